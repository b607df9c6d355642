package sim_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/cmd/camsim/sim"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// gbPlatform is the tests' platform for what sipd's registrar has no client side for
// yet (DeviceStatus, ConfigDownload, DeviceControl, DeviceConfig, RecordInfo, SUBSCRIBE,
// playback INVITE and INFO): a sipgo user agent on 127.0.0.1, over UDP or TCP, that is
// the registrar the device registers with (200 to every REGISTER, with a Date, no
// digest) and the platform that sends it requests. Every request a device sends it
// (REGISTER, MESSAGE, NOTIFY, BYE) is answered and kept, to be taken by the test in
// order. Over TCP its requests go over the connection the device registered on.
type gbPlatform struct {
	t         *testing.T
	ua        *sipgo.UserAgent
	client    *sipgo.Client
	transport string // "UDP" or "TCP"
	local     string // the platform's ip:port
	sn        atomic.Int64
	cseq      atomic.Uint32

	mu           sync.Mutex
	inbox        []inbound
	arrived      chan struct{}
	notifyStatus int // the answer to NOTIFYs (default 200)
}

// inbound is one request a device sent the platform.
type inbound struct {
	req *sip.Request
	at  time.Time
	msg *manscdp.Message // the decoded MANSCDP body, nil when none
}

const platformID = sim.DefaultServerID

func newGBPlatform(t *testing.T) *gbPlatform { return newGBPlatformOver(t, "udp") }

func newGBPlatformOver(t *testing.T, transport string) *gbPlatform {
	t.Helper()
	p := &gbPlatform{t: t, transport: strings.ToUpper(transport), arrived: make(chan struct{}, 1), notifyStatus: sip.StatusOK}
	var err error
	p.ua, err = sipgo.NewUA(sipgo.WithUserAgent("gbplatform"), sipgo.WithUserAgentHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(p.ua)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnRegister(p.onRegister)
	srv.OnMessage(p.keep(sip.StatusOK))
	srv.OnNotify(func(req *sip.Request, tx sip.ServerTransaction) {
		p.mu.Lock()
		code := p.notifyStatus
		p.mu.Unlock()
		p.keep(code)(req, tx)
	})
	srv.OnBye(p.keep(sip.StatusOK))
	t.Cleanup(func() { p.ua.Close() })
	if p.transport == "TCP" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		p.local = ln.Addr().String()
		if p.client, err = sipgo.NewClient(p.ua); err != nil {
			t.Fatal(err)
		}
		go func() { _ = p.ua.TransportLayer().ServeTCP(ln) }()
		return p
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	p.local = conn.LocalAddr().String()
	if p.client, err = sipgo.NewClient(p.ua, sipgo.WithClientConnectionAddr(p.local)); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.ua.TransportLayer().ServeUDP(conn) }()
	// ServeUDP puts the socket in sipgo's pool from its goroutine; requests sent before
	// would open a socket of their own, whose answers nobody reads.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if c := p.ua.TransportLayer().Pool("udp").Get(p.local); c != nil {
			c.TryClose()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("platform socket not served")
		}
	}
	return p
}

func (p *gbPlatform) addr() string { return p.local }

// answerNotifies makes the platform answer the devices' NOTIFYs with code.
func (p *gbPlatform) answerNotifies(code int) {
	p.mu.Lock()
	p.notifyStatus = code
	p.mu.Unlock()
}

// onRegister grants what was asked and gives the time, as a registrar does.
func (p *gbPlatform) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	if h := req.GetHeader("Expires"); h != nil {
		res.AppendHeader(sip.NewHeader("Expires", h.Value()))
	}
	res.AppendHeader(sip.NewHeader("Date", time.Now().In(sim.ChinaStandardTime).Format("2006-01-02T15:04:05.000")))
	p.store(req, nil)
	_ = tx.Respond(res)
}

// keep answers a request with code and keeps it.
func (p *gbPlatform) keep(code int) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		var m *manscdp.Message
		if len(req.Body()) > 0 {
			m, _ = manscdp.Decode(req.Body(), "")
		}
		// Kept before the answer: a device waiting for it sends its next request only
		// then, so the inbox keeps the device's order.
		p.store(req, m)
		_ = tx.Respond(sip.NewResponseFromRequest(req, code, "Status "+strconv.Itoa(code), nil))
	}
}

func (p *gbPlatform) store(req *sip.Request, m *manscdp.Message) {
	p.mu.Lock()
	p.inbox = append(p.inbox, inbound{req: req, at: time.Now(), msg: m})
	p.mu.Unlock()
	select {
	case p.arrived <- struct{}{}:
	default:
	}
}

// take removes and returns the first request kept that match accepts, waiting up to
// timeout for one; ok is false when none came.
func (p *gbPlatform) take(timeout time.Duration, match func(inbound) bool) (inbound, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		for i, in := range p.inbox {
			if match(in) {
				p.inbox = append(p.inbox[:i], p.inbox[i+1:]...)
				p.mu.Unlock()
				return in, true
			}
		}
		p.mu.Unlock()
		select {
		case <-p.arrived:
		case <-deadline.C:
			return inbound{}, false
		}
	}
}

// expect is take that fails the test when nothing matching comes.
func (p *gbPlatform) expect(what string, timeout time.Duration, match func(inbound) bool) inbound {
	p.t.Helper()
	in, ok := p.take(timeout, match)
	if !ok {
		p.t.Fatalf("no %s within %v", what, timeout)
	}
	return in
}

// expectNone fails the test when something matching comes within d.
func (p *gbPlatform) expectNone(what string, d time.Duration, match func(inbound) bool) {
	p.t.Helper()
	if in, ok := p.take(d, match); ok {
		p.t.Fatalf("unexpected %s: %s", what, in.req.String())
	}
}

// Matchers of kept requests.
func isMethod(m sip.RequestMethod) func(inbound) bool {
	return func(in inbound) bool { return in.req.Method == m }
}

func isResponse(cmdType string, sn int) func(inbound) bool {
	return func(in inbound) bool {
		return in.req.Method == sip.MESSAGE && in.msg != nil && in.msg.Root == "Response" && in.msg.CmdType == cmdType && in.msg.SN == sn
	}
}

func isNotify(callID string) func(inbound) bool {
	return func(in inbound) bool { return in.req.Method == sip.NOTIFY && in.req.CallID().Value() == callID }
}

func isMessageNotify(cmdType string) func(inbound) bool {
	return func(in inbound) bool {
		return in.req.Method == sip.MESSAGE && in.msg != nil && in.msg.Root == "Notify" && in.msg.CmdType == cmdType
	}
}

// newRequest is a request from the platform to target (a device or channel ID) at the
// device's endpoint.
func (p *gbPlatform) newRequest(method sip.RequestMethod, dev *sim.Device, target, callID, fromTag, toTag string, cseq uint32) *sip.Request {
	host, portText, _ := net.SplitHostPort(dev.Endpoint().LocalAddr())
	port, _ := strconv.Atoi(portText)
	req := sip.NewRequest(method, sip.Uri{Scheme: "sip", User: target, Host: host, Port: port})
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: platformID, Host: "3402000000"}, Params: sip.NewParams()}
	from.Params.Add("tag", fromTag)
	req.AppendHeader(from)
	to := &sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: target, Host: "3402000000"}, Params: sip.NewParams()}
	if toTag != "" {
		to.Params.Add("tag", toTag)
	}
	req.AppendHeader(to)
	cid := sip.CallIDHeader(callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: method})
	pHost, pPortText, _ := net.SplitHostPort(p.addr())
	pPort, _ := strconv.Atoi(pPortText)
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: platformID, Host: pHost, Port: pPort}})
	maxFwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxFwd)
	req.SetDestination(dev.Endpoint().LocalAddr())
	req.SetTransport(p.transport)
	return req
}

func withBody(req *sip.Request, contentType string, body []byte) *sip.Request {
	if len(body) > 0 {
		ct := sip.ContentTypeHeader(contentType)
		req.AppendHeader(&ct)
	}
	req.SetBody(body)
	return req
}

// do sends req and returns its final answer, failing the test on none.
func (p *gbPlatform) do(req *sip.Request) *sip.Response {
	p.t.Helper()
	res, err := p.tryDo(req, 5*time.Second)
	if err != nil {
		p.t.Fatalf("%s: %v", req.Method, err)
	}
	return res
}

func (p *gbPlatform) tryDo(req *sip.Request, timeout time.Duration) (*sip.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return p.client.Do(ctx, req)
}

func newCallID() string { return "plat-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "@127.0.0.1" }

// message sends a MANSCDP MESSAGE to target on dev and returns its answer.
func (p *gbPlatform) message(dev *sim.Device, target string, body []byte) *sip.Response {
	p.t.Helper()
	req := p.newRequest(sip.MESSAGE, dev, target, newCallID(), "m"+strconv.Itoa(int(p.cseq.Add(1))), "", p.cseq.Add(1))
	return p.do(withBody(req, "Application/MANSCDP+xml", body))
}

// ask sends a query or control (its SN is sn) and returns the device's Response.
func (p *gbPlatform) ask(dev *sim.Device, target string, sn int, cmdType string, body []byte) *manscdp.Message {
	p.t.Helper()
	if res := p.message(dev, target, body); res.StatusCode != sip.StatusOK {
		p.t.Fatalf("%s MESSAGE answered %d %s", cmdType, res.StatusCode, res.Reason)
	}
	return p.expect(cmdType+" Response", 5*time.Second, isResponse(cmdType, sn)).msg
}

func (p *gbPlatform) nextSN() int { return int(p.sn.Add(1)) }

// control sends a DeviceControl to target and returns its Result.
func (p *gbPlatform) control(dev *sim.Device, target string, cmd manscdp.ControlCommand) string {
	p.t.Helper()
	sn := p.nextSN()
	body, err := manscdp.EncodeDeviceControl(sn, target, cmd)
	if err != nil {
		p.t.Fatal(err)
	}
	return p.ask(dev, target, sn, "DeviceControl", body).Result
}

// ptz sends a PTZCmd to target and returns its Result.
func (p *gbPlatform) ptz(dev *sim.Device, target string, in manscdp.PTZInstruction) string {
	p.t.Helper()
	return p.control(dev, target, manscdp.PTZControl{Cmd: manscdp.NewPTZCmd(in)})
}

// dialog is the platform's side of a SUBSCRIBE or INVITE dialog.
type dialog struct {
	target, callID, fromTag, toTag string
	cseq                           uint32
}

func (d *dialog) next() uint32 { d.cseq++; return d.cseq }

// subscribe sends a new SUBSCRIBE and returns its answer and dialog.
func (p *gbPlatform) subscribe(dev *sim.Device, event string, expires int, body []byte) (*sip.Response, *dialog) {
	p.t.Helper()
	dl := &dialog{target: dev.ID(), callID: newCallID(), fromTag: "s" + strconv.Itoa(int(p.cseq.Add(1))), cseq: 1}
	res := p.do(p.subscribeRequest(dev, dl, event, expires, body))
	dl.toTag, _ = res.To().Params.Get("tag")
	return res, dl
}

// resubscribe refreshes (or with expires 0 ends) a subscription within its dialog.
func (p *gbPlatform) resubscribe(dev *sim.Device, dl *dialog, event string, expires int) *sip.Response {
	p.t.Helper()
	dl.next()
	return p.do(p.subscribeRequest(dev, dl, event, expires, nil))
}

func (p *gbPlatform) subscribeRequest(dev *sim.Device, dl *dialog, event string, expires int, body []byte) *sip.Request {
	req := p.newRequest(sip.SUBSCRIBE, dev, dl.target, dl.callID, dl.fromTag, dl.toTag, dl.cseq)
	req.AppendHeader(sip.NewHeader("Event", event))
	exp := sip.ExpiresHeader(uint32(expires))
	req.AppendHeader(&exp)
	return withBody(req, "Application/MANSCDP+xml", body)
}

// invite sends an INVITE for channel with an SDP body and ACKs a 2xx.
func (p *gbPlatform) invite(dev *sim.Device, channel string, sdpBody []byte) (*sip.Response, *dialog) {
	p.t.Helper()
	dl := &dialog{target: channel, callID: newCallID(), fromTag: "i" + strconv.Itoa(int(p.cseq.Add(1))), cseq: 1}
	req := p.newRequest(sip.INVITE, dev, channel, dl.callID, dl.fromTag, "", dl.cseq)
	res := p.do(withBody(req, "APPLICATION/SDP", sdpBody))
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		dl.toTag, _ = res.To().Params.Get("tag")
		ack := p.newRequest(sip.ACK, dev, channel, dl.callID, dl.fromTag, dl.toTag, dl.cseq)
		ack.SetBody(nil)
		if err := p.client.WriteRequest(ack); err != nil {
			p.t.Fatalf("ACK: %v", err)
		}
	}
	return res, dl
}

// info sends a MANSRTSP body within a call.
func (p *gbPlatform) info(dev *sim.Device, dl *dialog, body []byte) *sip.Response {
	p.t.Helper()
	req := p.newRequest(sip.INFO, dev, dl.target, dl.callID, dl.fromTag, dl.toTag, dl.next())
	return p.do(withBody(req, "Application/MANSRTSP", body))
}

// bye ends a call.
func (p *gbPlatform) bye(dev *sim.Device, dl *dialog) *sip.Response {
	p.t.Helper()
	req := p.newRequest(sip.BYE, dev, dl.target, dl.callID, dl.fromTag, dl.toTag, dl.next())
	req.SetBody(nil)
	return p.do(req)
}

// newPlatformDevice makes a device that registers with p, and registers it.
func newPlatformDevice(t *testing.T, p *gbPlatform, cfg sim.Config) *sim.Device {
	t.Helper()
	if cfg.ID == "" {
		cfg.ID = "34020000001320000001"
	}
	cfg.Server, cfg.LocalIP, cfg.Transport = p.addr(), "127.0.0.1", p.transport
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 3 * time.Second
	}
	dev := newDevice(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := dev.Register(ctx); err != nil {
		t.Fatalf("Register: %v", err)
	}
	p.expect("REGISTER", time.Second, isMethod(sip.REGISTER))
	return dev
}

// headerOf is a request's header value, "" when absent.
func headerOf(req *sip.Request, name string) string {
	if h := req.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

// subscriptionState splits a Subscription-State value: the state and its expires.
func subscriptionState(req *sip.Request) (state string, params map[string]string) {
	v := headerOf(req, "Subscription-State")
	parts := strings.Split(v, ";")
	params = map[string]string{}
	for _, kv := range parts[1:] {
		k, val, _ := strings.Cut(strings.TrimSpace(kv), "=")
		params[strings.ToLower(k)] = val
	}
	return strings.ToLower(strings.TrimSpace(parts[0])), params
}
