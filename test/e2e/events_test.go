package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/internal/localcluster"
	"github.com/gb28181/camera-operator/internal/testutil"
)

// cloudEventSink is the alarm sink's receiver: an HTTP server on 127.0.0.1 keeping the
// structured CloudEvents POSTed to it.
type cloudEventSink struct {
	srv    *httptest.Server
	mu     sync.Mutex
	events []sinkEvent
}

type sinkEvent struct {
	Type   string `json:"type"`
	Source string `json:"source"`
	Data   struct {
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
		DeviceID  string `json:"deviceID"`
		Priority  int    `json:"priority"`
	} `json:"data"`
}

func newCloudEventSink(t *testing.T) *cloudEventSink {
	s := &cloudEventSink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev sinkEvent
		if r.Header.Get("Content-Type") != "application/cloudevents+json" || json.Unmarshal(body, &ev) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.events = append(s.events, ev)
		s.mu.Unlock()
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *cloudEventSink) received() []sinkEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sinkEvent(nil), s.events...)
}

// startEventsOperator runs an operator serving the shard "events" with its alarm sink
// at sinkURL, beside the suite's, and returns its SIP address.
func (e *env) startEventsOperator(t *testing.T, ns, sinkURL string) string {
	t.Helper()
	logPath := filepath.Join(e.dir, "operator-events.log")
	out, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	sipAddr := testutil.FreeSIPAddr(t)
	op := e.launchOperator(t, out, sipAddr, testutil.FreeTCPAddr(t),
		"--shard=events", "--metrics-bind-address=0", "--leader-elect", "--leader-election-namespace="+ns,
		"--alarm-sink-url="+sinkURL)
	t.Cleanup(func() {
		op.Stop(localcluster.StopTimeout)
		if t.Failed() {
			testutil.LogTail(t, "operator of shard events", logPath, 120)
		}
		out.Close()
	})
	return sipAddr
}

// subscribingCamera is a Camera of the shard "events" declaring subscriptions, given as
// the YAML of spec.subscriptions.
func subscribingCamera(ns, name, deviceID, subscriptions string) string {
	return strings.Replace(camera(cameraSpec{ns: ns, name: name, deviceID: deviceID, secret: "creds", shard: "events"}),
		"\n---\n", "\n  subscriptions:\n"+subscriptions+"---\n", 1)
}

// testEvents: an NVR whose Camera declares catalog and alarm subscriptions, and an old
// IPC that refuses them. The NVR's Camera turns Subscribed, its first channel's OFF and
// ON reach status.channels within seconds, its alarms become Alarm Events (`kubectl get
// events`), status.lastAlarm and CloudEvents at the alarm sink naming the Camera; the
// IPC's Camera says Subscribed=False, Polling, and still has its catalog. Deleting the
// NVR's Camera ends its subscriptions on the device.
func testEvents(t *testing.T, e *env) {
	const ns, password = "e2e-events", "e2e-Ev3nts"
	const nvrID, ipcID, channels = "34020000001180001101", "34020000001320001101", 4
	sink := newCloudEventSink(t)
	e.apply(t, namespace(ns)+secret(ns, "creds", password)+
		subscribingCamera(ns, "hall-nvr", nvrID, "    catalog: {}\n    alarm:\n      minPriority: 1\n      maxPriority: 4\n")+
		subscribingCamera(ns, "old-ipc", ipcID, "    catalog: {}\n"))
	sipAddr := e.startEventsOperator(t, ns, sink.srv.URL)

	nvr := e.startCamsim(t, "hall-nvr", "--server", sipAddr, "--id", nvrID, "--password", password,
		"--channels", fmt.Sprint(channels), "--catalog-flap", "4s", "--alarm-interval", "1s", "--alarm-without-guard")
	e.startCamsim(t, "old-ipc", "--server", sipAddr, "--id", ipcID, "--password", password, "--subscribe-refuse", "489")
	e.wait(t, ns, "condition=Subscribed", 90*time.Second, "camera/hall-nvr")
	testutil.Eventually(t, 60*time.Second, "the old IPC polled", func() error {
		if got := e.condition(t, ns, "old-ipc", "Subscribed"); got != "False/Polling" {
			return fmt.Errorf("Subscribed %s, want False/Polling", got)
		}
		if got := e.jsonpath(t, ns, "camera/old-ipc", "{.status.channelCount}"); got != "1" {
			return fmt.Errorf("channelCount %q, want the polled catalog's 1", got)
		}
		return nil
	})

	flapped := sim.ChannelID(nvrID, channels, 0)
	for _, want := range []string{"OFF", "ON"} {
		testutil.Eventually(t, 20*time.Second, "channel "+want, func() error {
			if got := e.jsonpath(t, ns, "camera/hall-nvr", fmt.Sprintf(`{.status.channels[?(@.id==%q)].status}`, flapped)); got != want {
				return fmt.Errorf("channel %s is %q, want %s", flapped, got, want)
			}
			return nil
		})
	}

	testutil.Eventually(t, 30*time.Second, "alarms", func() error {
		if got := e.kubectlOK(t, "get", "events", "-n", ns, "--field-selector", "reason=Alarm", "-o", "name"); got == "" {
			return fmt.Errorf("no Alarm Events")
		}
		if got := e.jsonpath(t, ns, "camera/hall-nvr", "{.status.lastAlarm.priority}"); got == "" {
			return fmt.Errorf("no status.lastAlarm")
		}
		for _, ev := range sink.received() {
			if ev.Data.Namespace == ns && ev.Data.Name == "hall-nvr" && ev.Data.DeviceID == nvrID && ev.Data.Priority > 0 {
				return nil
			}
		}
		return fmt.Errorf("no alarm of hall-nvr at the sink (%d CloudEvents)", len(sink.received()))
	})
	if out := e.kubectlOK(t, "describe", "camera", "-n", ns, "hall-nvr"); !strings.Contains(out, "Alarm") || !strings.Contains(out, "Subscriptions") {
		t.Errorf("kubectl describe shows no alarm or subscriptions:\n%s", out)
	}

	e.kubectlOK(t, "delete", "camera", "-n", ns, "hall-nvr", "--wait=true", "--timeout=60s")
	testutil.Eventually(t, 30*time.Second, "the NVR's subscriptions ended", func() error {
		st, ok := nvr.reports.Device(nvrID)
		if !ok || len(st.Subscriptions) != 0 {
			return fmt.Errorf("the NVR holds %+v", st.Subscriptions)
		}
		return nil
	})
}
