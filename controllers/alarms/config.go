package alarms

import (
	"fmt"
	"net/url"
	"time"
)

// Config configures the Sink. Zero values take the defaults below; without a URL there
// is no sink.
type Config struct {
	// URL receives the alarms, one POST each (--alarm-sink-url; http or https).
	URL string
	// QueueSize bounds the alarms waiting to be sent (default 1024); past it an alarm
	// is dropped and counted.
	QueueSize int
	// Workers is the number of POSTs in flight (default 4).
	Workers int
	// Timeout bounds one POST (default 10s).
	Timeout time.Duration
	// MaxAttempts bounds the POSTs of one alarm (default 5); RetryMin and RetryMax
	// bound the backoff between them, doubling from one to the other (defaults 200ms and
	// 10s). A 4xx other than 408 and 429 is not retried: the receiver will not take it.
	MaxAttempts int
	RetryMin    time.Duration
	RetryMax    time.Duration
}

// WithDefaults validates c and returns it with every zero field at its default: the one
// place the sink's defaults are written.
func (c Config) WithDefaults() (Config, error) {
	if c.URL != "" {
		u, err := url.Parse(c.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("alarm sink URL %q: want an http or https URL", c.URL)
		}
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 1024
	}
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.RetryMin <= 0 {
		c.RetryMin = 200 * time.Millisecond
	}
	if c.RetryMax < c.RetryMin {
		c.RetryMax = max(10*time.Second, c.RetryMin)
	}
	return c, nil
}
