package sim

import (
	"container/heap"
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// FleetConfig configures a Fleet.
type FleetConfig struct {
	// Device is the template of every device; its ID is the first device's, the others
	// count up from it (see NextID). Its Endpoint and Stats are ignored.
	Device Config
	// Count is the number of devices (default 1).
	Count int
	// Endpoints is the number of local sockets (UDP) or connections (TCP) the devices
	// are spread over, round-robin (default min(Count, 64)). One per device is the most
	// realistic; a few are what lets one process simulate 10,000 devices.
	Endpoints int
	// Workers bounds the SIP exchanges in flight at once (default 256).
	Workers int
	// Rate limits REGISTERs per second across the fleet (0: unlimited).
	Rate float64
}

// Fleet is many simulated devices sharing a few endpoints, driven by a fixed worker pool
// and one timer heap: its goroutines and memory do not grow with the device count beyond
// the devices themselves.
type Fleet struct {
	cfg       FleetConfig
	devices   []*Device
	endpoints []*Endpoint
	stats     *Stats
	limiter   *rate.Limiter
}

// NewFleet creates the devices and their endpoints. Nothing is sent yet.
func NewFleet(cfg FleetConfig) (*Fleet, error) {
	if cfg.Count <= 0 {
		cfg.Count = 1
	}
	if cfg.Endpoints <= 0 {
		cfg.Endpoints = 64
	}
	cfg.Endpoints = min(cfg.Endpoints, cfg.Count)
	if cfg.Workers <= 0 {
		cfg.Workers = 256
	}
	f := &Fleet{cfg: cfg, stats: NewStats(), limiter: rate.NewLimiter(rate.Inf, 1)}
	if cfg.Rate > 0 {
		f.limiter = rate.NewLimiter(rate.Limit(cfg.Rate), max(1, int(cfg.Rate/100)))
	}
	tmpl := cfg.Device
	if err := tmpl.setDefaults(); err != nil {
		return nil, err
	}
	for range cfg.Endpoints {
		ep, err := NewEndpoint(EndpointConfig{Server: tmpl.Server, Transport: tmpl.Transport, LocalIP: tmpl.LocalIP, Logger: tmpl.Logger})
		if err != nil {
			f.Close()
			return nil, err
		}
		f.endpoints = append(f.endpoints, ep)
	}
	f.devices = make([]*Device, 0, cfg.Count)
	for i := range cfg.Count {
		dc := tmpl
		id, err := NextID(tmpl.ID, i)
		if err != nil {
			f.Close()
			return nil, err
		}
		dc.ID, dc.Username = id, cfg.Device.Username
		dc.Endpoint = f.endpoints[i%len(f.endpoints)]
		dc.Stats = f.stats
		d, err := NewDevice(dc)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("sim: device %s: %w", id, err)
		}
		f.devices = append(f.devices, d)
	}
	return f, nil
}

// Devices are the fleet's devices, in ID order.
func (f *Fleet) Devices() []*Device { return f.devices }

// Stats are the fleet's figures.
func (f *Fleet) Stats() *Stats { return f.stats }

// Summary is a snapshot of the fleet's figures.
func (f *Fleet) Summary() Summary {
	s := f.stats.Summary()
	s.Devices = len(f.devices)
	if len(f.endpoints) > 0 {
		s.Transport = f.endpoints[0].transport
	}
	return s
}

// Close closes every endpoint (without unregistering).
func (f *Fleet) Close() {
	for _, d := range f.devices {
		d.Close()
	}
	for _, ep := range f.endpoints {
		ep.Close()
	}
}

// each runs fn for every device through the worker pool, at most Workers at once.
func (f *Fleet) each(ctx context.Context, devices []*Device, fn func(context.Context, *Device)) {
	jobs := make(chan *Device)
	var wg sync.WaitGroup
	for range min(f.cfg.Workers, len(devices)) {
		wg.Go(func() {
			for d := range jobs {
				fn(ctx, d)
			}
		})
	}
	for _, d := range devices {
		select {
		case jobs <- d:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(jobs)
	wg.Wait()
}

// RegisterAll registers every device once, at the configured rate, without retries, and
// returns how many succeeded. The figures are in Stats.
func (f *Fleet) RegisterAll(ctx context.Context) (registered int) {
	var mu sync.Mutex
	f.each(ctx, f.devices, func(ctx context.Context, d *Device) {
		if f.limiter.Wait(ctx) != nil {
			return
		}
		if _, err := d.Register(ctx); err == nil {
			mu.Lock()
			registered++
			mu.Unlock()
		}
	})
	return registered
}

// UnregisterAll unregisters every device that holds a registration.
func (f *Fleet) UnregisterAll(ctx context.Context) {
	var live []*Device
	for _, d := range f.devices {
		if d.Registered() {
			live = append(live, d)
		}
	}
	f.each(ctx, live, func(ctx context.Context, d *Device) {
		if f.limiter.Wait(ctx) == nil {
			_ = d.Unregister(ctx)
		}
	})
}

// Run runs every device's life (see Device.Run) until ctx ends, then unregisters them
// all within unregisterTimeout.
func (f *Fleet) Run(ctx context.Context, unregisterTimeout time.Duration) {
	s := &schedule{wake: make(chan struct{}, 1)}
	now := time.Now()
	for _, d := range f.devices {
		heap.Push(&s.h, entry{at: now, d: d})
		d.setWaker(s)
	}
	defer func() {
		for _, d := range f.devices {
			d.setWaker(nil)
		}
	}()
	jobs := make(chan *Device)
	var wg sync.WaitGroup
	for range f.cfg.Workers {
		wg.Go(func() {
			for d := range jobs {
				next := d.step(ctx, f.limiter.Wait)
				s.push(next, d)
			}
		})
	}
	s.dispatch(ctx, jobs)
	close(jobs)
	wg.Wait()

	uctx, cancel := context.WithTimeout(context.Background(), unregisterTimeout)
	defer cancel()
	f.UnregisterAll(uctx)
}

// schedule is the fleet's timer heap: one entry per device not being stepped. A device
// knows its place in it (fleetSlot), so that waking it (a new keepalive interval, a
// reboot) moves its one entry instead of adding a second, which could have two workers
// step it at once.
type schedule struct {
	mu   sync.Mutex
	h    entries
	wake chan struct{}
}

// fleetSlot is a device's place in a Fleet's schedule, guarded by the schedule's mutex.
type fleetSlot struct {
	index int  // in the heap; meaningful only while the entry there holds the device
	woken bool // woken while being stepped: due again as soon as it is pushed back
}

type entry struct {
	at time.Time
	d  *Device
}

type entries []entry

func (h entries) Len() int           { return len(h) }
func (h entries) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h entries) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].d.slot.index, h[j].d.slot.index = i, j
}
func (h *entries) Push(x any) {
	e := x.(entry)
	e.d.slot.index = len(*h)
	*h = append(*h, e)
}
func (h *entries) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

func (s *schedule) push(at time.Time, d *Device) {
	s.mu.Lock()
	if d.slot.woken {
		at, d.slot.woken = time.Now(), false
	}
	heap.Push(&s.h, entry{at: at, d: d})
	s.mu.Unlock()
	s.signal()
}

func (s *schedule) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// wakeDevice makes d due now: its entry moves to the front, or, while a worker steps
// it, it is due again as soon as the worker pushes it back.
func (s *schedule) wakeDevice(d *Device) {
	s.mu.Lock()
	if i := d.slot.index; i < len(s.h) && s.h[i].d == d {
		s.h[i].at = time.Now()
		heap.Fix(&s.h, i)
	} else {
		d.slot.woken = true
	}
	s.mu.Unlock()
	s.signal()
}

// dispatch hands due devices to the workers until ctx ends.
func (s *schedule) dispatch(ctx context.Context, jobs chan<- *Device) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.mu.Lock()
		var due *Device
		wait := time.Hour
		if len(s.h) > 0 {
			if w := time.Until(s.h[0].at); w <= 0 {
				due = heap.Pop(&s.h).(entry).d
			} else {
				wait = w
			}
		}
		s.mu.Unlock()
		if due != nil {
			select {
			case jobs <- due:
				continue
			case <-ctx.Done():
				return
			}
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-timer.C:
		}
	}
}
