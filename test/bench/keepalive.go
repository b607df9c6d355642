package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// keepaliveResult is the outcome of the keepalive load.
type keepaliveResult struct {
	Devices     int     `json:"devices"`
	Connections int     `json:"connections"`
	Window      int     `json:"window_per_connection"`
	Seconds     float64 `json:"seconds"`
	Sent        int64   `json:"sent"`
	// Answered200 counts the 200 OKs received within the measured time; PerSecond is
	// that over Seconds.
	Answered200 int64            `json:"answered_200"`
	PerSecond   float64          `json:"per_second"`
	Refused     map[string]int64 `json:"refused_by_status"`
	Lost        int64            `json:"lost"`
	// OperatorCPU is the serving process's CPU use over the load, in cores (1.0 = one
	// core): the operator's, or the registrar alone's; GeneratorCPU the bench
	// process's, which sends them.
	OperatorCPU  float64 `json:"operator_cpu_cores"`
	GeneratorCPU float64 `json:"generator_cpu_cores"`
	// RoundsPerSecond are the rates of the rounds a summed result joins.
	RoundsPerSecond []float64 `json:"rounds_per_second,omitempty"`
	// GCPercent is the serving process's GOGC (negative: off; 0: not recorded).
	GCPercent int `json:"gc_percent,omitempty"`
}

// kaFleet is the keepalive load's devices, each registered from one of the generator's
// sockets and keeping alive from it, as devices do: the registrar hears a device only
// from where it registered.
type kaFleet struct {
	server string
	conns  []*rawConn
	ids    [][]string // ids[i] registered from conns[i]
}

// registerKeepaliveFleet registers ids at server with full digest exchanges, spread over
// conns sockets that then carry their keepalives.
func registerKeepaliveFleet(server string, ids []string, conns int, password string) (*kaFleet, error) {
	if len(ids) == 0 {
		return nil, errors.New("no devices to keep alive")
	}
	conns = min(conns, len(ids))
	f := &kaFleet{server: server, ids: make([][]string, conns)}
	for range conns {
		c, err := dialRaw(server)
		if err != nil {
			f.Close()
			return nil, err
		}
		f.conns = append(f.conns, c)
	}
	for j, id := range ids {
		f.ids[j%conns] = append(f.ids[j%conns], id)
	}
	var failed atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for i, c := range f.conns {
		wg.Go(func() {
			for _, id := range f.ids[i] {
				if err := c.register(id, password); err != nil {
					failed.Add(1)
					once.Do(func() { firstErr = err })
				}
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		f.Close()
		return nil, fmt.Errorf("%d of %d registrations failed: %v", n, len(ids), firstErr)
	}
	return f, nil
}

// localAddrs are the "ip:port"s the fleet's devices registered from.
func (f *kaFleet) localAddrs() map[string]bool {
	addrs := make(map[string]bool, len(f.conns))
	for _, c := range f.conns {
		addrs[c.conn.LocalAddr().String()] = true
	}
	return addrs
}

// Close closes the fleet's sockets.
func (f *kaFleet) Close() {
	for _, c := range f.conns {
		_ = c.Close()
	}
}

// load sends the fleet's keepalives as fast as the registrar answers them, for d: at
// most window unanswered keepalives per socket (closed loop, so an overloaded registrar
// slows the load rather than drowning in it). A keepalive unanswered after 2 s counts as
// lost.
func (f *kaFleet) load(ctx context.Context, window int, d time.Duration) (keepaliveResult, error) {
	devices := 0
	for _, ids := range f.ids {
		devices += len(ids)
	}
	res := keepaliveResult{Devices: devices, Connections: len(f.conns), Window: window, Refused: map[string]int64{}}
	var sent, ok, lost atomic.Int64
	var refusedMu sync.Mutex
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for ci, c := range f.conns {
		ids := f.ids[ci]
		wg.Go(func() {
			l := &kaConn{c: c, tokens: make(chan struct{}, window), pending: map[int]time.Time{}}
			for range window {
				l.tokens <- struct{}{}
			}
			done := make(chan struct{})
			var inner sync.WaitGroup
			inner.Go(func() {
				l.receive(done, func(code int, at time.Time) {
					switch {
					case code == 200 && !at.After(deadline):
						ok.Add(1)
					case code != 200:
						refusedMu.Lock()
						res.Refused[strconv.Itoa(code)]++
						refusedMu.Unlock()
					}
				})
			})
			inner.Go(func() { l.reap(done, &lost) })
			buf := make([]byte, 0, 1024)
			end := time.NewTimer(time.Until(deadline))
			defer end.Stop()
			for seq := 1; ; seq++ {
				select {
				case <-l.tokens:
				case <-ctx.Done():
				case <-end.C:
				}
				if ctx.Err() != nil || !time.Now().Before(deadline) {
					break
				}
				id := ids[seq%len(ids)]
				buf = c.keepaliveRequest(buf, id, seq)
				l.mu.Lock()
				l.pending[seq] = time.Now()
				l.mu.Unlock()
				if _, err := c.conn.Write(buf); err != nil {
					l.mu.Lock()
					delete(l.pending, seq)
					l.mu.Unlock()
					lost.Add(1)
					l.tokens <- struct{}{}
					continue
				}
				sent.Add(1)
			}
			// Let the last answers arrive, then count what never did.
			for range 40 {
				l.mu.Lock()
				n := len(l.pending)
				l.mu.Unlock()
				if n == 0 {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			close(done)
			inner.Wait()
			l.mu.Lock()
			lost.Add(int64(len(l.pending)))
			l.mu.Unlock()
		})
	}
	wg.Wait()
	res.Seconds = d.Seconds()
	res.Sent, res.Answered200, res.Lost = sent.Load(), ok.Load(), lost.Load()
	res.PerSecond = float64(res.Answered200) / res.Seconds
	return res, ctx.Err()
}

// kaConn is the state of one socket of the keepalive load.
type kaConn struct {
	c      *rawConn
	tokens chan struct{} // free slots of the window
	mu     sync.Mutex
	// pending are the unanswered keepalives by CSeq, with when they were sent.
	pending map[int]time.Time
}

// receive reads answers until done, releasing a window slot for each.
func (l *kaConn) receive(done <-chan struct{}, count func(code int, at time.Time)) {
	buf := make([]byte, 65536)
	for {
		select {
		case <-done:
			return
		default:
		}
		_ = l.c.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		n, err := l.c.conn.Read(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		at := time.Now()
		res := buf[:n]
		code := statusCode(res)
		seq, ok := cseqOf(res)
		if code < 200 || !ok {
			continue
		}
		l.mu.Lock()
		_, was := l.pending[seq]
		delete(l.pending, seq)
		l.mu.Unlock()
		if was {
			count(code, at)
			l.tokens <- struct{}{}
		}
	}
}

// reap gives up on keepalives unanswered for 2 s, freeing their window slots.
func (l *kaConn) reap(done <-chan struct{}, lost *atomic.Int64) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			l.mu.Lock()
			for seq, at := range l.pending {
				if now.Sub(at) > 2*time.Second {
					delete(l.pending, seq)
					lost.Add(1)
					l.tokens <- struct{}{}
				}
			}
			l.mu.Unlock()
		}
	}
}

// sumKeepalives joins rounds of the same load into one result: counts added, rates and
// CPU over the total time.
func sumKeepalives(rounds []keepaliveResult) *keepaliveResult {
	if len(rounds) == 0 {
		return nil
	}
	sum := rounds[0]
	sum.Refused = map[string]int64{}
	sum.Sent, sum.Answered200, sum.Lost, sum.Seconds = 0, 0, 0, 0
	var opCPU, genCPU float64
	for _, k := range rounds {
		sum.Sent += k.Sent
		sum.Answered200 += k.Answered200
		sum.Lost += k.Lost
		sum.Seconds += k.Seconds
		for code, n := range k.Refused {
			sum.Refused[code] += n
		}
		opCPU += k.OperatorCPU * k.Seconds
		genCPU += k.GeneratorCPU * k.Seconds
		sum.RoundsPerSecond = append(sum.RoundsPerSecond, k.PerSecond)
	}
	if sum.Seconds > 0 {
		sum.PerSecond = float64(sum.Answered200) / sum.Seconds
		sum.OperatorCPU, sum.GeneratorCPU = opCPU/sum.Seconds, genCPU/sum.Seconds
	}
	return &sum
}
