package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"time"
)

// The metrics recording (--record-metrics): every few seconds of the live phases, the
// operator's whole /metrics exposition, after a line "# scrape <unix milliseconds>".
// hack/monitoring's render command draws the fleet dashboard's panels from it, so the
// README's picture shows a real run's data through the dashboard's own queries.

// scrapeMark starts each scrape of a recording.
const scrapeMark = "# scrape "

// recordInterval is the recording's scrape interval.
const recordInterval = 2 * time.Second

// maxScrapeBytes bounds one scrape: the operator's exposition is tens of kilobytes.
const maxScrapeBytes = 8 << 20

// recorder appends the operator's metrics to a file until stopped.
type recorder struct {
	stop func()
	done chan error
}

// recordMetrics scrapes url every interval into path until stop is called.
func recordMetrics(url, path string, interval time.Duration) (*recorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &recorder{stop: cancel, done: make(chan error, 1)}
	client := &http.Client{Timeout: interval}
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		failures := 0
		for {
			if err := scrapeInto(ctx, client, url, f); err != nil && ctx.Err() == nil {
				// The operator restarts in some phases: a missed scrape is a gap.
				failures++
				slog.Debug("recording the operator's metrics", "error", err)
			}
			select {
			case <-ctx.Done():
				if failures > 0 {
					slog.Info("metrics recording ended", "path", path, "missedScrapes", failures)
				}
				r.done <- f.Close()
				return
			case <-tick.C:
			}
		}
	}()
	return r, nil
}

// end stops the recording and closes its file.
func (r *recorder) end() error {
	r.stop()
	return <-r.done
}

// scrapeInto appends one scrape of url to w.
func scrapeInto(ctx context.Context, c *http.Client, url string, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	at := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxScrapeBytes+1))
	if err != nil {
		return err
	}
	if len(body) > maxScrapeBytes {
		return errors.New("exposition larger than the recording's bound")
	}
	if _, err := io.WriteString(w, scrapeMark+strconv.FormatInt(at.UnixMilli(), 10)+"\n"); err != nil {
		return err
	}
	_, err = w.Write(body)
	return err
}
