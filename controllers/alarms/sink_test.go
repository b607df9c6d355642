package alarms

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// receiver is an HTTP server on 127.0.0.1 that answers each POST with the next status
// of its script (200 once the script is spent) and keeps what it accepted.
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	script   []int
	posts    atomic.Int64
	accepted []received
	// block, when set, holds every request until closed.
	block chan struct{}
}

// received is a structured CloudEvent as it arrived.
type received struct {
	ContentType string
	Event       struct {
		SpecVersion     string `json:"specversion"`
		ID              string `json:"id"`
		Type            string `json:"type"`
		Source          string `json:"source"`
		Subject         string `json:"subject"`
		DataContentType string `json:"datacontenttype"`
		Data            Alarm  `json:"data"`
	}
}

func newReceiver(t *testing.T, script ...int) *receiver {
	r := &receiver{script: script}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.block != nil {
			<-r.block
		}
		r.posts.Add(1)
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		code := http.StatusOK
		if len(r.script) > 0 {
			code, r.script = r.script[0], r.script[1:]
		}
		if code < 300 {
			var rec received
			rec.ContentType = req.Header.Get("Content-Type")
			if err := json.Unmarshal(body, &rec.Event); err != nil {
				t.Errorf("undecodable CloudEvent %q: %v", body, err)
			}
			r.accepted = append(r.accepted, rec)
		}
		r.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) got() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.accepted...)
}

// startSink runs a sink posting to url until the test ends.
func startSink(t *testing.T, cfg Config) *Sink {
	t.Helper()
	s, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Start(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var testAlarm = Alarm{Namespace: "site-a", Name: "gate", DeviceID: "34020000001320000001", ChannelID: "34020000001310000001",
	Priority: 1, Method: 5, Type: "2", Description: "移动侦测报警", ReceivedAt: time.Date(2026, 12, 3, 0, 0, 1, 0, time.UTC)}

// TestSinkPostsStructuredCloudEvents: an alarm arrives as one structured CloudEvent
// whose source names the Camera and whose data holds the Camera, device and alarm.
func TestSinkPostsStructuredCloudEvents(t *testing.T) {
	r := newReceiver(t)
	sent0 := testutil.ToFloat64(sent)
	s := startSink(t, Config{URL: r.srv.URL})
	if !s.Send(testAlarm) {
		t.Fatal("the alarm was not queued")
	}
	eventually(t, "the alarm posted", func() bool { return len(r.got()) == 1 })
	got := r.got()[0]
	ev := got.Event
	if got.ContentType != "application/cloudevents+json" || ev.SpecVersion != "1.0" || ev.Type != EventType || ev.ID == "" ||
		ev.Source != "/apis/gb28181.io/v1alpha1/namespaces/site-a/cameras/gate" || ev.Subject != testAlarm.DeviceID || ev.DataContentType != "application/json" {
		t.Errorf("CloudEvent %+v (Content-Type %q)", ev, got.ContentType)
	}
	if ev.Data.Namespace != "site-a" || ev.Data.Name != "gate" || ev.Data.DeviceID != testAlarm.DeviceID || ev.Data.Priority != 1 || ev.Data.Description != testAlarm.Description {
		t.Errorf("data %+v", ev.Data)
	}
	if d := testutil.ToFloat64(sent) - sent0; d != 1 {
		t.Errorf("sent grew by %v, want 1", d)
	}
}

// TestSinkRetries: failed POSTs (503, 500, 429) are repeated with a backoff until one is
// accepted; a 400 is not repeated; an alarm that fails MaxAttempts times is given up
// and counted as failed.
func TestSinkRetries(t *testing.T) {
	cfg := func(url string) Config {
		return Config{URL: url, MaxAttempts: 4, RetryMin: 20 * time.Millisecond, RetryMax: 40 * time.Millisecond, Workers: 1}
	}
	t.Run("until accepted", func(t *testing.T) {
		r := newReceiver(t, 503, 500, 429)
		sent0, retried0 := testutil.ToFloat64(sent), testutil.ToFloat64(retried)
		s := startSink(t, cfg(r.srv.URL))
		s.Send(testAlarm)
		eventually(t, "the alarm accepted", func() bool { return len(r.got()) == 1 })
		if n := r.posts.Load(); n != 4 {
			t.Errorf("%d POSTs, want 3 refused and 1 accepted", n)
		}
		if d := testutil.ToFloat64(retried) - retried0; d != 3 {
			t.Errorf("retries grew by %v, want 3", d)
		}
		if d := testutil.ToFloat64(sent) - sent0; d != 1 {
			t.Errorf("sent grew by %v, want 1", d)
		}
	})
	t.Run("refused", func(t *testing.T) {
		r := newReceiver(t, 400)
		failed0 := testutil.ToFloat64(failed)
		s := startSink(t, cfg(r.srv.URL))
		s.Send(testAlarm)
		eventually(t, "the alarm given up", func() bool { return testutil.ToFloat64(failed)-failed0 == 1 })
		time.Sleep(100 * time.Millisecond)
		if n := r.posts.Load(); n != 1 {
			t.Errorf("%d POSTs of an alarm refused with 400, want 1", n)
		}
	})
	t.Run("out of attempts", func(t *testing.T) {
		r := newReceiver(t, 500, 500, 500, 500, 500)
		failed0 := testutil.ToFloat64(failed)
		s := startSink(t, cfg(r.srv.URL))
		s.Send(testAlarm)
		eventually(t, "the alarm given up", func() bool { return testutil.ToFloat64(failed)-failed0 == 1 })
		if n := r.posts.Load(); n != 4 {
			t.Errorf("%d POSTs, want MaxAttempts (4)", n)
		}
	})
	t.Run("nobody listening", func(t *testing.T) {
		r := newReceiver(t)
		url := r.srv.URL
		r.srv.Close()
		failed0, retried0 := testutil.ToFloat64(failed), testutil.ToFloat64(retried)
		s := startSink(t, cfg(url))
		s.Send(testAlarm)
		eventually(t, "the alarm given up", func() bool { return testutil.ToFloat64(failed)-failed0 == 1 })
		if d := testutil.ToFloat64(retried) - retried0; d != 3 {
			t.Errorf("retries grew by %v, want 3", d)
		}
	})
}

// TestSinkDropsWhenFull: with the receiver stuck, Send never blocks; past the queue
// (and the alarm each worker holds) alarms are dropped and counted, and the queued ones
// are posted once the receiver answers again.
func TestSinkDropsWhenFull(t *testing.T) {
	r := newReceiver(t)
	r.block = make(chan struct{})
	dropped0 := testutil.ToFloat64(dropped)
	s := startSink(t, Config{URL: r.srv.URL, QueueSize: 3, Workers: 1})
	queued := 0
	start := time.Now()
	for range 10 {
		if s.Send(testAlarm) {
			queued++
		}
		time.Sleep(5 * time.Millisecond) // lets the worker take the first
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("10 Sends took %v", d)
	}
	if queued != 4 {
		t.Errorf("%d alarms queued, want 4 (one posting, three waiting)", queued)
	}
	if d := testutil.ToFloat64(dropped) - dropped0; d != 6 {
		t.Errorf("dropped grew by %v, want 6", d)
	}
	close(r.block)
	eventually(t, "the queued alarms posted", func() bool { return len(r.got()) == 4 })
}

// TestConfig: only http and https URLs are taken.
func TestConfig(t *testing.T) {
	for url, ok := range map[string]bool{"": true, "http://127.0.0.1:8080/alarms": true, "https://hooks.example/x": true,
		"ftp://x/": false, "127.0.0.1:80": false, "http://": false} {
		if _, err := (Config{URL: url}).WithDefaults(); (err == nil) != ok {
			t.Errorf("URL %q: %v", url, err)
		}
	}
}
