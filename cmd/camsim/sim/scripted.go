package sim

// Scripted is the device of tests that drive each exchange themselves: one request per
// call, each answer returned raw (the 401, a final 423, a partial catalog), fields
// changed between calls. Device and Fleet, by contrast, run a device's life on their own.
// Both answer queries with the same MANSCDP encoders.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// Scripted is a scripted device. Set the exported fields, then call its methods; the
// user agent starts on first use and stops with Close.
type Scripted struct {
	// ID is the device's GB ID (From/To user).
	ID string
	// Username is the digest user name (default ID); Password the digest password.
	Username string
	Password string
	// Server is the registrar's "host:port".
	Server string
	// ServerID is the platform ID put in the Request-URI (default 34020000002000000001).
	ServerID string
	// Domain is the host of From/To (default the first 10 digits of ID).
	Domain string
	// Transport is "udp" (default) or "tcp".
	Transport string
	// Expires is the requested registration lifetime in seconds (0: no Expires header).
	Expires int
	// Info answers DeviceInfo queries.
	Info manscdp.DeviceInfo
	// Catalog answers Catalog queries, CatalogPartSize items per MESSAGE (default 2).
	Catalog         []manscdp.CatalogItem
	CatalogPartSize int
	// CatalogParts, when positive, stops after sending that many parts (a partial
	// catalog); when negative, the device accepts Catalog queries and sends no part.
	CatalogParts int
	// Charset of the bodies the device sends (default GB2312).
	Charset string
	// Logger receives sipgo's logs (default: discarded).
	Logger *slog.Logger

	mu        sync.Mutex
	ua        *sipgo.UserAgent
	client    *sipgo.Client
	server    *sipgo.Server
	localAddr string
	callID    string
	fromTag   string
	cseq      uint32
	sn        int
	// queries counts the queries received, by CmdType.
	queries map[string]int
	closeFn func()
}

// Start creates the user agent: over UDP it listens on a free 127.0.0.1 port and
// sends from it, so the registrar's queries reach it; over TCP queries arrive on the
// connection it registers over.
func (d *Scripted) Start(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.startLocked()
}

func (d *Scripted) startLocked() error {
	if d.ua != nil {
		return nil
	}
	if d.ID == "" || d.Server == "" {
		return errors.New("sim: a Scripted device needs ID and Server")
	}
	log := d.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("scripted-"+d.ID),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(log)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(log)))
	if err != nil {
		return err
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(log))
	if err != nil {
		_ = ua.Close()
		return err
	}
	srv.OnMessage(d.onMessage)
	opts := []sipgo.ClientOption{sipgo.WithClientLogger(log)}
	var closers []func()
	if d.transport() == "UDP" {
		conn, err := net.ListenPacket("udp", net.JoinHostPort(d.loopback(), "0"))
		if err != nil {
			_ = ua.Close()
			return err
		}
		d.localAddr = conn.LocalAddr().String()
		go func() { _ = srv.ServeUDP(conn) }()
		closers = append(closers, func() { _ = conn.Close() })
		// The client sends from the listener only once sipgo has pooled it.
		for i := 0; i < 1000; i++ {
			if c, _ := ua.TransportLayer().GetConnection("udp", d.localAddr); c != nil {
				break
			}
			time.Sleep(time.Millisecond)
		}
		opts = append(opts, sipgo.WithClientConnectionAddr(d.localAddr), sipgo.WithClientNAT())
	}
	client, err := sipgo.NewClient(ua, opts...)
	if err != nil {
		_ = ua.Close()
		return err
	}
	d.ua, d.server, d.client = ua, srv, client
	d.callID = sip.GenerateTagN(16) + "@scripted"
	d.fromTag = sip.GenerateTagN(10)
	d.cseq = 1
	d.closeFn = func() {
		for _, c := range closers {
			c()
		}
		_ = ua.Close()
	}
	return nil
}

// LocalAddr is the "ip:port" a UDP device sends from and listens on, once started ("" over
// TCP, whose local port is the connection's).
func (d *Scripted) LocalAddr() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.localAddr
}

// loopback is the local address to send from: IPv6 loopback towards an IPv6 registrar,
// else IPv4 loopback.
func (d *Scripted) loopback() string {
	if ap, err := netip.ParseAddrPort(d.Server); err == nil && ap.Addr().Is6() {
		return "::1"
	}
	return "127.0.0.1"
}

// Close stops the user agent.
func (d *Scripted) Close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closeFn != nil {
		d.closeFn()
		d.closeFn, d.ua = nil, nil
	}
}

func (d *Scripted) transport() string {
	if strings.EqualFold(d.Transport, "tcp") {
		return "TCP"
	}
	return "UDP"
}

func (d *Scripted) domain() string {
	if d.Domain != "" {
		return d.Domain
	}
	if len(d.ID) >= 10 {
		return d.ID[:10]
	}
	return d.ID
}

func (d *Scripted) serverID() string {
	if d.ServerID != "" {
		return d.ServerID
	}
	return "34020000002000000001"
}

// newRequest builds a request to the registrar with the device's dialog identifiers.
func (d *Scripted) newRequest(method sip.RequestMethod) *sip.Request {
	host, portStr, _ := net.SplitHostPort(d.Server)
	port, _ := strconv.Atoi(portStr)
	recipient := sip.Uri{Scheme: "sip", User: d.serverID(), Host: host, Port: port}
	req := sip.NewRequest(method, recipient)
	req.SetTransport(d.transport())
	req.SetDestination(d.Server)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: d.ID, Host: d.domain()}, Params: sip.NewParams()}
	from.Params.Add("tag", d.fromTag)
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: d.ID, Host: d.domain()}})
	return req
}

// ScriptedResult is the outcome of a registration attempt.
type ScriptedResult struct {
	// Challenge is the 401 that preceded the authenticated attempt (nil if none).
	Challenge *sip.Response
	// Final is the last answer.
	Final *sip.Response
}

// Register sends REGISTER with d.Expires, answers the digest challenge, and returns
// the final answer.
func (d *Scripted) Register(ctx context.Context) (*sip.Response, error) {
	r, err := d.RegisterExpires(ctx, d.Expires)
	if err != nil {
		return nil, err
	}
	return r.Final, nil
}

// Unregister sends REGISTER with Expires: 0.
func (d *Scripted) Unregister(ctx context.Context) (*sip.Response, error) {
	r, err := d.RegisterExpires(ctx, 0, "0")
	if err != nil {
		return nil, err
	}
	return r.Final, nil
}

// RegisterExpires registers asking for expires seconds (0 and no explicit header:
// no Expires header; pass "0" as header to unregister).
func (d *Scripted) RegisterExpires(ctx context.Context, expires int, header ...string) (ScriptedResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.startLocked(); err != nil {
		return ScriptedResult{}, err
	}
	req := d.newRequest(sip.REGISTER)
	contact := &sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: d.ID, Host: "127.0.0.1"}}
	if d.localAddr != "" {
		h, p, _ := net.SplitHostPort(d.localAddr)
		contact.Address.Host = h
		contact.Address.Port, _ = strconv.Atoi(p)
	}
	req.AppendHeader(contact)
	switch {
	case len(header) > 0:
		req.AppendHeader(sip.NewHeader("Expires", header[0]))
	case expires > 0:
		req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	}
	return d.doRegister(ctx, req)
}

func (d *Scripted) doRegister(ctx context.Context, req *sip.Request) (ScriptedResult, error) {
	var out ScriptedResult
	cid := sip.CallIDHeader(d.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: d.cseq, MethodName: sip.REGISTER})
	d.cseq++
	res, err := clientDo(ctx, d.client, req)
	if err != nil {
		return out, err
	}
	out.Final = res
	if res.StatusCode != 401 {
		return out, nil
	}
	out.Challenge = res
	user := d.Username
	if user == "" {
		user = d.ID
	}
	res2, err := d.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: user, Password: d.Password})
	if err != nil {
		return out, err
	}
	d.cseq = req.CSeq().SeqNo + 1
	out.Final = res2
	return out, nil
}

// Keepalive sends a Keepalive Notify and returns the answer.
func (d *Scripted) Keepalive(ctx context.Context) (*sip.Response, error) {
	d.mu.Lock()
	if err := d.startLocked(); err != nil {
		d.mu.Unlock()
		return nil, err
	}
	d.sn++
	sn := d.sn
	d.mu.Unlock()
	body, err := manscdp.EncodeKeepalive(sn, d.ID, d.charset())
	if err != nil {
		return nil, err
	}
	return d.sendMessage(ctx, body)
}

// SendMessage sends a MANSCDP body in a MESSAGE and returns the answer.
func (d *Scripted) SendMessage(ctx context.Context, body []byte) (*sip.Response, error) {
	d.mu.Lock()
	if err := d.startLocked(); err != nil {
		d.mu.Unlock()
		return nil, err
	}
	d.mu.Unlock()
	return d.sendMessage(ctx, body)
}

func (d *Scripted) charset() string {
	if d.Charset == "" {
		return "GB2312"
	}
	return d.Charset
}

func (d *Scripted) sendMessage(ctx context.Context, body []byte) (*sip.Response, error) {
	d.mu.Lock()
	req := d.newRequest(sip.MESSAGE)
	cid := sip.CallIDHeader(sip.GenerateTagN(16) + "@scripted")
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: d.cseq, MethodName: sip.MESSAGE})
	d.cseq++
	client := d.client
	d.mu.Unlock()
	req.AppendHeader(sip.NewHeader("Content-Type", "Application/MANSCDP+xml;charset="+d.charset()))
	req.SetBody(body)
	return clientDo(ctx, client, req)
}

// QueryCount is how many queries of cmdType (DeviceInfo, Catalog...) the device received.
func (d *Scripted) QueryCount(cmdType string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.queries[cmdType]
}

// onMessage answers the registrar's queries: 200 first, then the Response MESSAGE(s).
func (d *Scripted) onMessage(req *sip.Request, tx sip.ServerTransaction) {
	charset := ""
	if ct := req.ContentType(); ct != nil {
		if _, v, ok := strings.Cut(strings.ToLower(string(*ct)), "charset="); ok {
			charset = v
		}
	}
	msg, err := manscdp.Decode(req.Body(), charset)
	if err != nil || msg.Root != "Query" {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 400, "Bad Request", nil))
		return
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	d.mu.Lock()
	if d.queries == nil {
		d.queries = make(map[string]int)
	}
	d.queries[msg.CmdType]++
	d.mu.Unlock()
	go d.answer(*msg)
}

// SetCatalogParts changes CatalogParts while the device may be answering a query.
func (d *Scripted) SetCatalogParts(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.CatalogParts = n
}

func (d *Scripted) answer(q manscdp.Message) {
	ctx := context.Background()
	d.mu.Lock()
	info, catalog, size, limit, charset := d.Info, d.Catalog, d.CatalogPartSize, d.CatalogParts, d.charset()
	d.mu.Unlock()
	switch q.CmdType {
	case "DeviceInfo":
		info.DeviceID = d.ID
		body, err := manscdp.EncodeDeviceInfoResponse(q.SN, info, charset)
		if err == nil {
			_, _ = d.SendMessage(ctx, body)
		}
	case "Catalog":
		if size <= 0 {
			size = 2
		}
		parts := 0
		for i := 0; i < len(catalog) || (i == 0 && len(catalog) == 0); i += size {
			if limit < 0 || (limit > 0 && parts >= limit) {
				return
			}
			items := catalog[i:min(i+size, len(catalog))]
			body, err := manscdp.EncodeCatalogResponse(q.SN, d.ID, len(catalog), items, charset)
			if err != nil {
				return
			}
			if _, err := d.SendMessage(ctx, body); err != nil {
				return
			}
			parts++
		}
	}
}

// String names the device in test logs.
func (d *Scripted) String() string { return fmt.Sprintf("device %s (%s)", d.ID, d.transport()) }
