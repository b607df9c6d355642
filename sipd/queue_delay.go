package sipd

import (
	"sync/atomic"
	"time"
)

// How long UDP datagrams lately waited for a worker, for those who share the CPU with
// the registrar and must yield to it: the operator paces its own API writes while this
// grows (the registrar first). Each handled datagram records its wait and when; the
// figure is the latest wait, forgotten once no datagram has been handled for
// queueDelayFresh, so a registrar gone quiet reads as no delay.

// queueDelayFresh is how long a recorded wait stands for the queue's delay.
const queueDelayFresh = time.Second

// queueDelayGauge is the latest wait, lock-free: the UDP workers write it.
type queueDelayGauge struct {
	wait atomic.Int64 // nanoseconds
	at   atomic.Int64 // unix nanoseconds of the datagram's handling
}

// record notes that a datagram handled at now waited wait.
func (g *queueDelayGauge) record(wait time.Duration, now time.Time) {
	g.wait.Store(int64(wait))
	g.at.Store(now.UnixNano())
}

// delay is the latest wait, or 0 when none was recorded within queueDelayFresh of now.
func (g *queueDelayGauge) delay(now time.Time) time.Duration {
	at := g.at.Load()
	if at == 0 || now.UnixNano()-at > int64(queueDelayFresh) {
		return 0
	}
	return time.Duration(g.wait.Load())
}

// QueueDelay is how long the latest UDP datagram waited for a worker between its read
// and its handling, or 0 when the registrar handled none in the last second. It costs
// two atomic loads.
func (s *Server) QueueDelay() time.Duration {
	return s.queueDelay.delay(time.Now())
}
