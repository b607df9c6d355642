package sipd_test

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
	"github.com/gb28181/camera-operator/sipd/sipdtest"
)

// BenchmarkRecordInfoAssembly: an NVR answers a RecordInfo query with 10,000 items in
// 200 MESSAGEs of 50, over loopback UDP, each part sent once the previous one was
// answered, as devices do; one op is the whole answer assembled. Beside the time it
// reports the items kept, the peak of the heap in use while the parts arrive (sampled
// every millisecond, above the heap before the query), and the heap the assembled
// answer holds, against the bound MaxRecordItems puts on one query: 8 bytes of part
// identifier and 256 bytes of text per item. The peak is the highest of all ops.
func BenchmarkRecordInfoAssembly(b *testing.B) {
	const items, parts = 10000, 200
	s, p := recordInfoServer(b)
	const channel = "34020000001310000003"
	window := manscdp.RecordQuery{DeviceID: channel, Start: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 12, 0, 0, 0, 0, time.UTC)}
	// Encoded once with SN 1; each op puts the query's SN in.
	bodies, err := manscdp.EncodeRecordInfoParts(1, channel, "NVR", recordItems(channel, items), items/parts, "GB2312")
	if err != nil {
		b.Fatal(err)
	}
	if len(bodies) != parts {
		b.Fatalf("%d parts, want %d", len(bodies), parts)
	}

	var peak, kept, answerBytes, deviceBytes float64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		base := heapInUse()
		sampler := sampleHeap()
		b.StartTimer()
		var r *manscdp.RecordInfo
		var qerr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			r, qerr = s.QueryRecordInfo(context.Background(), sipd.DeviceRef{ID: devID}, window, time.UTC)
		}()
		deviceBytes = float64(answerRecordInfo(b, p, bodies, i))
		<-done
		b.StopTimer()
		high := sampler()
		if qerr != nil || r == nil || len(r.Items) != items || r.SumNum != items {
			b.Fatalf("answer %v: %d items of %d (%v)", qerr, len(r.Items), items, r)
		}
		answerBytes = float64(heapInUse() - base)
		peak = max(peak, float64(max(int64(high), base)-base))
		kept = float64(len(r.Items))
		runtime.KeepAlive(r)
		b.StartTimer()
	}
	b.StopTimer()
	bound := float64(items * (8 + 256))
	b.ReportMetric(kept, "items")
	b.ReportMetric(peak/(1<<20), "peak-heap-MiB")
	b.ReportMetric(answerBytes/(1<<20), "answer-heap-MiB")
	b.ReportMetric(bound/(1<<20), "text-bound-MiB")
	b.ReportMetric(deviceBytes/(1<<20), "wire-MiB")
}

// recordInfoServer is a registrar with devID seeded at a bare UDP peer's address.
func recordInfoServer(b *testing.B) (*sipd.Server, *rawPeer) {
	b.Helper()
	s := sipdtest.StartT(b, sipd.Config{Logger: quietLogger()}, devStore())
	p := dialRaw(b, s, "udp")
	now := time.Now()
	s.Seed([]sipd.Binding{{DeviceID: devID, Transport: "UDP", RemoteAddr: p.udp.LocalAddr().String(), Contact: "sip:" + devID + "@" + p.udp.LocalAddr().String(), RegisteredAt: now, ExpiresAt: now.Add(time.Hour)}})
	return s, p
}

// answerRecordInfo plays the device: it takes the query, answers it 200, and sends the
// parts, each once the previous one was answered. It returns the bytes sent.
func answerRecordInfo(b *testing.B, p *rawPeer, bodies [][]byte, op int) int {
	b.Helper()
	req := readRequest(b, p)
	q, err := manscdp.Decode(req.Body(), "")
	if err != nil || q.RecordQuery == nil {
		b.Fatalf("not a RecordInfo query: %v", err)
	}
	p.send(sip.NewResponseFromRequest(req, 200, "OK", nil).String())
	sn := []byte("<SN>" + strconv.Itoa(q.SN) + "</SN>")
	sent := 0
	for i, body := range bodies {
		body = bytes.Replace(body, []byte("<SN>1</SN>"), sn, 1)
		text := messageText(devID, fmt.Sprintf("b%d-%d", op, i), i+1, fmt.Sprintf("rec-%d-%d", op, i), string(body), len(body))
		sent += len(text)
		if res := p.exchange(text); res.StatusCode != 200 {
			b.Fatalf("part %d answered %d", i, res.StatusCode)
		}
	}
	return sent
}

// sampleHeap samples the heap in use every millisecond until the returned function is
// called, which returns the highest sample.
func sampleHeap() func() uint64 {
	var high atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > high.Load() {
				high.Store(m.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(stop); wg.Wait(); return high.Load() }
}
