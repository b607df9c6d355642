package alarms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
)

// Sink posts alarms as CloudEvents to one URL. Send queues an alarm without waiting; the
// workers that Start runs POST them in structured JSON, each up to MaxAttempts times.
// It runs on the leader only: only the leader's registrar hears alarms.
type Sink struct {
	cfg    Config
	client cloudevents.Client
	queue  chan Alarm
	log    *slog.Logger
	// lastDrop throttles the warning of a full queue.
	dropMu   sync.Mutex
	lastDrop time.Time
}

// New returns the sink cfg describes; cfg.URL must be set.
func New(cfg Config, log *slog.Logger) (*Sink, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.URL == "" {
		return nil, errors.New("alarm sink: no URL")
	}
	if log == nil {
		log = slog.Default()
	}
	client, err := cloudevents.NewClientHTTP(
		cloudevents.WithTarget(cfg.URL),
		cehttp.WithClient(http.Client{Timeout: cfg.Timeout}),
	)
	if err != nil {
		return nil, fmt.Errorf("alarm sink: %w", err)
	}
	return &Sink{cfg: cfg, client: client, queue: make(chan Alarm, cfg.QueueSize), log: log}, nil
}

// Send queues a for posting and reports whether it was queued: false when the queue is
// full (the alarm is dropped and counted). It never blocks.
func (s *Sink) Send(a Alarm) bool {
	select {
	case s.queue <- a:
		return true
	default:
		dropped.Inc()
		s.warnDrop()
		return false
	}
}

// warnDrop logs a full queue at most once a minute.
func (s *Sink) warnDrop() {
	s.dropMu.Lock()
	defer s.dropMu.Unlock()
	if now := time.Now(); now.Sub(s.lastDrop) >= time.Minute {
		s.lastDrop = now
		s.log.Warn("alarm sink queue full: alarms dropped", "url", s.cfg.URL, "queue", s.cfg.QueueSize)
	}
}

// NeedLeaderElection reports true: alarms reach the leader only.
func (s *Sink) NeedLeaderElection() bool { return true }

// Start posts queued alarms with Workers workers until ctx ends. Alarms still queued
// then are not sent.
func (s *Sink) Start(ctx context.Context) error {
	var wg sync.WaitGroup
	for range s.cfg.Workers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case a := <-s.queue:
					s.deliver(ctx, a)
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// deliver posts a until it is accepted, refused for good, or out of attempts.
func (s *Sink) deliver(ctx context.Context, a Alarm) {
	ev, err := a.cloudEvent()
	if err != nil {
		failed.Inc()
		s.log.Error("alarm sink: cannot encode an alarm", "error", err)
		return
	}
	ctx = cloudevents.WithEncodingStructured(ctx)
	wait := s.cfg.RetryMin
	for attempt := 1; ; attempt++ {
		result := s.client.Send(ctx, ev)
		if cloudevents.IsACK(result) {
			sent.Inc()
			return
		}
		if ctx.Err() != nil {
			return // shutting down
		}
		if !retriable(result) || attempt >= s.cfg.MaxAttempts {
			failed.Inc()
			s.log.Info("alarm sink: giving up on an alarm", "camera", a.Namespace+"/"+a.Name, "attempts", attempt, "error", cut(result.Error(), 256))
			return
		}
		retried.Inc()
		if !sleepCtx(ctx, wait) {
			return
		}
		wait = min(2*wait, s.cfg.RetryMax)
	}
}

// retriable reports whether a failed POST may succeed if repeated: no answer, a 5xx,
// 408 or 429; not another 4xx, which says the receiver will not take it.
func retriable(result error) bool {
	var res *cehttp.Result
	if !errors.As(result, &res) {
		return true
	}
	switch {
	case res.StatusCode == http.StatusRequestTimeout, res.StatusCode == http.StatusTooManyRequests:
		return true
	case res.StatusCode >= 400 && res.StatusCode < 500:
		return false
	}
	return true
}

// sleepCtx waits d, or until ctx ends (false).
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// cut bounds s, an error that may carry the receiver's answer, to n bytes.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
