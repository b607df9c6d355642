package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// The lean REGISTER load: the calls of register-load.xml (REGISTER, 401, REGISTER with
// credentials, 200; a 503 ends the call, failed, as a device that honours Retry-After
// stops) and the answers of answer-queries.xml to the registrar's queries, made by a Go
// client on one UDP socket instead of by sipp. At twice the operator's clean rate, on the
// core it shares with the API server and etcd in the production-like topology, sipp
// dropped at its socket answers it did not read in time, in most runs, and the overload
// step measured sipp as much as the operator (docs/scaling.md). This client costs about
// what sipp costs per call, reads into a buffer eight times sipp's (growBuffers), and in
// the overload steps so far dropped no answer.
//
// Its timers are sipp's for a non-INVITE request: the first retransmission after
// 500 ms, doubling up to 4 s, at most leanMaxRetrans of them, then the call fails.

const (
	leanMaxRetrans = 7
	leanFirstWait  = 500 * time.Millisecond
	leanMaxWait    = 4 * time.Second
	// leanTick is how often calls are started and timers checked.
	leanTick = time.Millisecond
)

// leanDevice is one device the load registers.
type leanDevice struct{ id, password string }

// leanConfig is one lean load: calls registrations offered at rate per second to server
// from 127.0.0.1:port (0: any), at most limit in progress (sipp's -l), then up to drain
// for the last ones to end. The calls cycle through devices in order.
type leanConfig struct {
	server  netip.AddrPort
	port    int
	devices []leanDevice
	rate    int
	calls   int
	limit   int
	drain   time.Duration
}

// leanCounts are a lean load's figures: sipp's (Failed counts the calls answered
// otherwise than by the challenge and the 200, those that timed out and those still in
// progress at the end; Answers the final responses to REGISTERs), and its own.
type leanCounts struct {
	sippCounts
	// Seconds runs from the first call to the end of the last one.
	Seconds float64 `json:"seconds"`
	// Queries is the registrar's MESSAGE requests answered, QueryAnswersAccepted the
	// Response MESSAGEs the registrar then acknowledged with a 200.
	Queries              int64 `json:"queries_answered"`
	QueryAnswersAccepted int64 `json:"query_answers_accepted"`
}

// leanCall is one registration in progress.
type leanCall struct {
	dev     *leanDevice
	callID  string
	tag     string
	cseq    int // 1: waiting for the challenge; 2: for the 200
	req     []byte
	retrans int
	done    bool
}

// leanTimer is a retransmission due at at, for the call's request of cseq after
// retrans retransmissions; stale once the call moved on.
type leanTimer struct {
	call          *leanCall
	cseq, retrans int
	at            time.Time
}

// leanLoad is a running lean load.
type leanLoad struct {
	cfg  leanConfig
	conn *net.UDPConn
	port string
	tag  string

	mu     sync.Mutex
	calls  map[string]*leanCall
	active int
	// timers holds one queue per retransmission count: all of a queue's timers wait as
	// long, so each queue is in deadline order.
	timers  [leanMaxRetrans + 1][]leanTimer
	counts  leanCounts
	lastEnd time.Time
	seq     int64
}

// runLeanLoad offers cfg's load and returns its counts.
func runLeanLoad(ctx context.Context, cfg leanConfig) (leanCounts, error) {
	if len(cfg.devices) == 0 || cfg.rate <= 0 || cfg.calls <= 0 {
		return leanCounts{}, errors.New("lean load: no devices, rate or calls")
	}
	if cfg.limit <= 0 {
		cfg.limit = 2 * cfg.rate
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: cfg.port})
	if err != nil {
		return leanCounts{}, err
	}
	defer conn.Close()
	growBuffers(conn)
	_, port, _ := net.SplitHostPort(conn.LocalAddr().String())
	l := &leanLoad{cfg: cfg, conn: conn, port: port, tag: token(4), calls: make(map[string]*leanCall, cfg.limit),
		counts: leanCounts{sippCounts: sippCounts{Answers: map[int]int64{}}}}

	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		l.read()
	}()
	start := time.Now()
	l.offer(ctx, start)
	l.wait(ctx, time.Now().Add(cfg.drain))
	_ = conn.SetReadDeadline(time.Now())
	<-readerDone

	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts.Failed += int64(l.active)
	end := l.lastEnd
	if l.active > 0 || end.IsZero() {
		end = time.Now()
	}
	l.counts.Seconds = end.Sub(start).Seconds()
	return l.counts, ctx.Err()
}

// leanSocketBuffer is the size of the client's socket buffers: 32 MiB holds a second of
// answers at 40,000 calls a second, so that the client, sharing its core with the API
// server and etcd, drops none while the scheduler runs them instead of it.
const leanSocketBuffer = 32 << 20

// growBuffers sets conn's buffers to leanSocketBuffer, past net.core.rmem_max and
// wmem_max where the process may (CAP_NET_ADMIN), else as far as those allow.
func growBuffers(conn *net.UDPConn) {
	_ = conn.SetReadBuffer(leanSocketBuffer)
	_ = conn.SetWriteBuffer(leanSocketBuffer)
	raw, err := conn.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, leanSocketBuffer)
		_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, leanSocketBuffer)
	})
}

// offer starts the calls at the configured rate, no more than the limit at a time, and
// retransmits as the timers fall due.
func (l *leanLoad) offer(ctx context.Context, start time.Time) {
	tick := time.NewTicker(leanTick)
	defer tick.Stop()
	created, next := 0, 0
	for created < l.cfg.calls {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		due := min(int(float64(l.cfg.rate)*time.Since(start).Seconds()), l.cfg.calls) - created
		for ; due > 0; due-- {
			req, ok := l.startCall(&l.cfg.devices[next])
			if !ok {
				break // at the limit: the rest waits, as in sipp
			}
			next = (next + 1) % len(l.cfg.devices)
			created++
			l.send(req)
		}
		l.retransmit(time.Now())
	}
}

// wait retransmits until every call ended or until deadline.
func (l *leanLoad) wait(ctx context.Context, deadline time.Time) {
	tick := time.NewTicker(leanTick)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		l.mu.Lock()
		active := l.active
		l.mu.Unlock()
		if active == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		l.retransmit(time.Now())
	}
}

// startCall begins a registration of dev: its first REGISTER, or false at the limit.
func (l *leanLoad) startCall(dev *leanDevice) ([]byte, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.active >= l.cfg.limit {
		return nil, false
	}
	l.seq++
	c := &leanCall{dev: dev, callID: l.tag + strconv.FormatInt(l.seq, 36) + "@bench", tag: l.tag + strconv.FormatInt(l.seq, 36), cseq: 1}
	c.req = l.registerRequest(c, "")
	l.calls[c.callID] = c
	l.active++
	l.counts.Created++
	l.counts.Requests++
	l.arm(c, time.Now())
	return c.req, true
}

// arm schedules the retransmission of c's current request.
func (l *leanLoad) arm(c *leanCall, now time.Time) {
	wait := min(leanFirstWait<<c.retrans, leanMaxWait)
	l.timers[c.retrans] = append(l.timers[c.retrans], leanTimer{call: c, cseq: c.cseq, retrans: c.retrans, at: now.Add(wait)})
}

// retransmit sends again each request whose timer fell due, and fails the calls that
// ran out of retransmissions.
func (l *leanLoad) retransmit(now time.Time) {
	var again [][]byte
	l.mu.Lock()
	for k := range l.timers {
		q := l.timers[k]
		i := 0
		for ; i < len(q) && !q[i].at.After(now); i++ {
			t := q[i]
			c := t.call
			if c.done || c.cseq != t.cseq || c.retrans != t.retrans {
				continue
			}
			if c.retrans == leanMaxRetrans {
				l.end(c, false, now)
				continue
			}
			c.retrans++
			l.counts.Retransmissions++
			l.arm(c, now)
			again = append(again, c.req)
		}
		l.timers[k] = q[i:]
	}
	l.mu.Unlock()
	for _, req := range again {
		l.send(req)
	}
}

// end finishes c. Called with l.mu held.
func (l *leanLoad) end(c *leanCall, registered bool, now time.Time) {
	c.done = true
	delete(l.calls, c.callID)
	l.active--
	if registered {
		l.counts.Successful++
	} else {
		l.counts.Failed++
	}
	l.lastEnd = now
}

func (l *leanLoad) send(b []byte) {
	_, _ = l.conn.WriteToUDPAddrPort(b, l.cfg.server)
}

// read takes every datagram until the socket's read deadline passes.
func (l *leanLoad) read() {
	buf := make([]byte, 65536)
	for {
		n, from, err := l.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		msg := buf[:n]
		if bytes.HasPrefix(msg, []byte("SIP/2.0 ")) {
			l.onResponse(msg)
		} else if bytes.HasPrefix(msg, []byte("MESSAGE ")) {
			l.onQuery(msg, from)
		}
	}
}

// onResponse moves the call a response answers on.
func (l *leanLoad) onResponse(res []byte) {
	code := statusCode(res)
	cseq, method := cseqHeader(res)
	if method == "MESSAGE" {
		if code == 200 {
			l.mu.Lock()
			l.counts.QueryAnswersAccepted++
			l.mu.Unlock()
		}
		return
	}
	if code < 200 || method != "REGISTER" {
		return
	}
	callID := headerValue(res, "Call-ID", "i")
	l.mu.Lock()
	l.counts.Answers[code]++
	c := l.calls[string(callID)]
	if c == nil || c.done || c.cseq != cseq {
		l.mu.Unlock()
		return // an answer to a retransmission, after the call moved on
	}
	now := time.Now()
	if code != 401 || c.cseq != 1 {
		l.end(c, code == 200 && c.cseq == 2, now)
		l.mu.Unlock()
		return
	}
	dev := c.dev
	l.mu.Unlock()

	auth, err := answerChallenge(res, dev.id, dev.password)
	l.mu.Lock()
	if c.done || c.cseq != 1 {
		l.mu.Unlock()
		return
	}
	if err != nil {
		l.end(c, false, now)
		l.mu.Unlock()
		return
	}
	c.cseq, c.retrans = 2, 0
	c.req = l.registerRequest(c, auth)
	l.counts.Requests++
	l.arm(c, now)
	req := c.req
	l.mu.Unlock()
	l.send(req)
}

// registerRequest is c's REGISTER of its current CSeq, with auth when set: the request
// register-load.xml sends.
func (l *leanLoad) registerRequest(c *leanCall, auth string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "REGISTER sip:%s@%s SIP/2.0\r\n", platformID, sipDomain)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP 127.0.0.1:%s;rport;branch=z9hG4bK%s-%d\r\n", l.port, c.tag, c.cseq)
	fmt.Fprintf(&b, "From: <sip:%s@%s>;tag=%s\r\n", c.dev.id, sipDomain, c.tag)
	fmt.Fprintf(&b, "To: <sip:%s@%s>\r\n", c.dev.id, sipDomain)
	fmt.Fprintf(&b, "Call-ID: %s\r\nCSeq: %d REGISTER\r\n", c.callID, c.cseq)
	fmt.Fprintf(&b, "Contact: <sip:%s@127.0.0.1:%s>\r\n", c.dev.id, l.port)
	if auth != "" {
		b.WriteString("Authorization: " + auth + "\r\n")
	}
	b.WriteString("Max-Forwards: 70\r\nUser-Agent: bench\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n")
	return b.Bytes()
}

// onQuery answers a query MESSAGE as answer-queries.xml does: a 200, then a Response
// MESSAGE of the query's CmdType and SN from the device.
func (l *leanLoad) onQuery(req []byte, from netip.AddrPort) {
	head, body, _ := bytes.Cut(req, []byte("\r\n\r\n"))
	var ok bytes.Buffer
	ok.WriteString("SIP/2.0 200 OK\r\n")
	for _, line := range bytes.Split(head, []byte("\r\n"))[1:] {
		name, _, _ := bytes.Cut(line, []byte(":"))
		switch string(bytes.ToLower(bytes.TrimSpace(name))) {
		case "via", "v", "from", "f", "call-id", "i", "cseq":
			ok.Write(line)
			ok.WriteString("\r\n")
		case "to", "t":
			ok.Write(line)
			ok.WriteString(";tag=" + l.tag + "q\r\n")
		}
	}
	ok.WriteString("Content-Length: 0\r\n\r\n")
	_, _ = l.conn.WriteToUDPAddrPort(ok.Bytes(), from)

	dev := sipUser(headerValue(req, "To", "t"))
	plat := sipUser(headerValue(req, "From", "f"))
	cmd, sn := xmlElement(body, "CmdType"), xmlElement(body, "SN")
	if dev == nil || plat == nil || cmd == nil || sn == nil {
		return
	}
	answer := fmt.Sprintf(`<?xml version="1.0" encoding="GB2312"?>`+"\r\n<Response>\r\n<CmdType>%s</CmdType>\r\n<SN>%s</SN>\r\n<DeviceID>%s</DeviceID>\r\n"+
		"<Result>OK</Result>\r\n<DeviceName>sipp</DeviceName>\r\n<Manufacturer>%s</Manufacturer>\r\n<Model>register-load</Model>\r\n<Firmware>1</Firmware>\r\n"+
		"<Channel>0</Channel>\r\n<Online>ONLINE</Online>\r\n<Status>OK</Status>\r\n<SumNum>0</SumNum>\r\n<DeviceList Num=\"0\"></DeviceList>\r\n"+
		"<PresetList Num=\"0\"></PresetList>\r\n<BasicParam><Name>sipp</Name><Expiration>3600</Expiration><HeartBeatInterval>86400</HeartBeatInterval>"+
		"<HeartBeatCount>3</HeartBeatCount></BasicParam>\r\n</Response>\r\n", cmd, sn, dev, answeringManufacturer)
	l.mu.Lock()
	l.seq++
	n := strconv.FormatInt(l.seq, 36)
	l.counts.Queries++
	l.mu.Unlock()
	var m bytes.Buffer
	fmt.Fprintf(&m, "MESSAGE sip:%s@%s SIP/2.0\r\n", plat, from)
	fmt.Fprintf(&m, "Via: SIP/2.0/UDP 127.0.0.1:%s;rport;branch=z9hG4bK%sr%s\r\n", l.port, l.tag, n)
	fmt.Fprintf(&m, "From: <sip:%s@127.0.0.1:%s>;tag=%sr%s\r\n", dev, l.port, l.tag, n)
	fmt.Fprintf(&m, "To: <sip:%s@%s>\r\n", plat, from)
	fmt.Fprintf(&m, "Call-ID: %sr%s@bench\r\nCSeq: 1 MESSAGE\r\n", l.tag, n)
	m.WriteString("Max-Forwards: 70\r\nUser-Agent: bench\r\nContent-Type: Application/MANSCDP+xml\r\n")
	fmt.Fprintf(&m, "Content-Length: %d\r\n\r\n%s", len(answer), answer)
	_, _ = l.conn.WriteToUDPAddrPort(m.Bytes(), from)
}

// headerValue is the value of the first header of msg named name or compact, nil if
// there is none.
func headerValue(msg []byte, name, compact string) []byte {
	_, rest, _ := bytes.Cut(msg, []byte("\r\n")) // past the start line
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		if len(line) == 0 {
			return nil // the end of the headers
		}
		n, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		n = bytes.TrimSpace(n)
		if bytes.EqualFold(n, []byte(name)) || bytes.EqualFold(n, []byte(compact)) {
			return bytes.TrimSpace(v)
		}
	}
	return nil
}

// cseqHeader reads a message's CSeq: its number and method.
func cseqHeader(msg []byte) (int, string) {
	num, method, _ := bytes.Cut(headerValue(msg, "CSeq", "CSeq"), []byte(" "))
	n, err := strconv.Atoi(string(num))
	if err != nil {
		return 0, ""
	}
	return n, string(bytes.TrimSpace(method))
}

// sipUser is the user part of the SIP URI in a From or To value.
func sipUser(v []byte) []byte {
	_, rest, ok := bytes.Cut(v, []byte("sip:"))
	if !ok {
		return nil
	}
	user, _, ok := bytes.Cut(rest, []byte("@"))
	if !ok || len(user) == 0 {
		return nil
	}
	return user
}

// xmlElement is the text of body's first element named name, nil if there is none.
func xmlElement(body []byte, name string) []byte {
	_, rest, ok := bytes.Cut(body, []byte("<"+name+">"))
	if !ok {
		return nil
	}
	text, _, ok := bytes.Cut(rest, []byte("</"+name+">"))
	if !ok {
		return nil
	}
	return bytes.TrimSpace(text)
}
