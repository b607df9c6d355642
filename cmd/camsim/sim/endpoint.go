package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// EndpointConfig configures an Endpoint.
type EndpointConfig struct {
	// Server is the registrar's host:port.
	Server string
	// Transport is "udp" (default) or "tcp".
	Transport string
	// LocalIP is the address to send from (default: the local address that routes to
	// Server, as a device would use).
	LocalIP string
	// UserAgent is the User-Agent header (default "camsim").
	UserAgent string
	// MaxAnswering bounds the queries answered at once; more get 503 (default 64).
	MaxAnswering int
	// Logger receives the endpoint's logs (default slog.Default()).
	Logger *slog.Logger
}

// Endpoint is one local SIP socket shared by any number of devices: a sipgo user agent
// whose client sends the devices' requests and whose server answers the registrar's
// queries, dispatched to a device by the Request-URI user.
//
// Over UDP it is one socket that both sends and receives, so the registrar's replies and
// queries reach it at the source address of the REGISTER (what a device behind NAT
// needs). Over TCP it is one connection to the registrar, dialled on first use and
// re-dialled after a loss; the registrar's queries arrive on it.
type Endpoint struct {
	cfg        EndpointConfig
	log        *slog.Logger
	transport  string // "UDP" or "TCP", as in Via
	serverAddr string // resolved ip:port
	localIP    string

	ua     *sipgo.UserAgent
	client *sipgo.Client
	server *sipgo.Server
	udp    net.PacketConn // nil over TCP

	mu      sync.RWMutex
	devices map[string]*Device

	answering chan struct{} // semaphore bounding concurrent query answers
	calls     calls         // live video dialogs (invite.go)
	closeOnce sync.Once
}

// NewEndpoint opens a local SIP endpoint toward cfg.Server.
func NewEndpoint(cfg EndpointConfig) (*Endpoint, error) {
	if cfg.UserAgent == "" {
		cfg.UserAgent = "camsim"
	}
	if cfg.MaxAnswering <= 0 {
		cfg.MaxAnswering = 64
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	e := &Endpoint{
		cfg:       cfg,
		log:       cfg.Logger,
		devices:   make(map[string]*Device),
		answering: make(chan struct{}, cfg.MaxAnswering),
	}
	switch strings.ToLower(cfg.Transport) {
	case "", "udp":
		e.transport = "UDP"
	case "tcp":
		e.transport = "TCP"
	default:
		return nil, fmt.Errorf("sim: unsupported transport %q (udp or tcp)", cfg.Transport)
	}
	ra, err := net.ResolveUDPAddr("udp", cfg.Server)
	if err != nil {
		return nil, fmt.Errorf("sim: server address %q: %w", cfg.Server, err)
	}
	e.serverAddr = ra.String()
	e.localIP = cfg.LocalIP
	if e.localIP == "" {
		// Connecting a UDP socket sends nothing; it only asks the kernel for the route.
		c, err := net.DialUDP("udp", nil, ra)
		if err != nil {
			return nil, fmt.Errorf("sim: no route to %s: %w", e.serverAddr, err)
		}
		e.localIP = c.LocalAddr().(*net.UDPAddr).IP.String()
		c.Close()
	}

	e.ua, err = sipgo.NewUA(
		sipgo.WithUserAgent(cfg.UserAgent),
		sipgo.WithUserAgentHostname(e.localIP),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(e.log)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(e.log)),
	)
	if err != nil {
		return nil, err
	}
	clientOpts := []sipgo.ClientOption{sipgo.WithClientLogger(e.log), sipgo.WithClientNAT()}
	if e.transport == "UDP" {
		e.udp, err = net.ListenPacket("udp", net.JoinHostPort(e.localIP, "0"))
		if err != nil {
			e.ua.Close()
			return nil, fmt.Errorf("sim: udp socket: %w", err)
		}
		// Send from the socket we receive on: the registrar answers and queries there.
		clientOpts = append(clientOpts, sipgo.WithClientConnectionAddr(e.udp.LocalAddr().String()))
	}
	e.client, err = sipgo.NewClient(e.ua, clientOpts...)
	if err != nil {
		e.Close()
		return nil, err
	}
	e.server, err = sipgo.NewServer(e.ua, sipgo.WithServerLogger(e.log))
	if err != nil {
		e.Close()
		return nil, err
	}
	e.server.OnMessage(e.onMessage)
	e.server.OnInvite(e.onInvite)
	e.server.OnAck(e.onAck)
	e.server.OnBye(e.onBye)
	e.server.OnInfo(e.onInfo)
	e.server.OnSubscribe(e.onSubscribe)
	e.server.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		respond(tx, req, sip.StatusOK, "OK")
	})
	if e.udp != nil {
		go func() {
			// Returns when the socket is closed by Close.
			_ = e.ua.TransportLayer().ServeUDP(e.udp)
		}()
		// ServeUDP registers the socket in sipgo's connection pool from its goroutine;
		// until then a request would try to bind the same port again and fail.
		laddr := e.udp.LocalAddr().String()
		for deadline := time.Now().Add(5 * time.Second); e.pooled("udp", laddr) == nil; {
			if time.Now().After(deadline) {
				e.Close()
				return nil, errors.New("sim: udp socket not served")
			}
			time.Sleep(time.Millisecond)
		}
	}
	return e, nil
}

// pooled returns the local address of sipgo's pooled connection for addr, or nil.
// sipgo's pool counts references on Get; the reference is released at once since only
// the address is wanted.
func (e *Endpoint) pooled(network, addr string) net.Addr {
	c := e.ua.TransportLayer().Pool(network).Get(addr)
	if c == nil {
		return nil
	}
	la := c.LocalAddr()
	c.TryClose()
	return la
}

// Transport is "UDP" or "TCP".
func (e *Endpoint) Transport() string { return e.transport }

// Server is the registrar's resolved ip:port.
func (e *Endpoint) Server() string { return e.serverAddr }

// LocalAddr is the local ip:port devices send from ("" over TCP before the first dial).
func (e *Endpoint) LocalAddr() string {
	if e.udp != nil {
		return e.udp.LocalAddr().String()
	}
	if la := e.pooled("tcp", e.serverAddr); la != nil {
		return la.String()
	}
	return ""
}

// Close stops the endpoint: its socket or connection, and every transaction on it.
// Devices on it can no longer send.
func (e *Endpoint) Close() error {
	e.closeOnce.Do(func() {
		if e.udp != nil {
			e.udp.Close()
		}
		if e.ua != nil {
			e.ua.Close()
		}
	})
	return nil
}

func (e *Endpoint) add(d *Device) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, dup := e.devices[d.cfg.ID]; dup {
		return fmt.Errorf("sim: device %s already on this endpoint", d.cfg.ID)
	}
	e.devices[d.cfg.ID] = d
	return nil
}

func (e *Endpoint) remove(d *Device) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.devices[d.cfg.ID] == d {
		delete(e.devices, d.cfg.ID)
	}
}

func (e *Endpoint) device(id string) *Device {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.devices[id]
}

// contactAddr returns the local ip:port to put in a Contact, dialling the TCP connection
// first when there is none, so the Contact names the connection the REGISTER will use.
func (e *Endpoint) contactAddr(ctx context.Context) (string, error) {
	if e.udp != nil {
		return e.udp.LocalAddr().String(), nil
	}
	if la := e.pooled("tcp", e.serverAddr); la != nil {
		return la.String(), nil
	}
	tp := e.ua.TransportLayer()
	// ClientRequestConnection dials (or finds) the connection a request to the server
	// would use; it only needs the request's destination, transport and a Via.
	probe := sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", Host: e.localIP})
	probe.AppendHeader(&sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "TCP", Params: sip.NewParams()})
	probe.SetDestination(e.serverAddr)
	probe.SetTransport("TCP")
	c, err := tp.ClientRequestConnection(ctx, probe)
	if err != nil {
		return "", fmt.Errorf("sim: connecting to %s: %w", e.serverAddr, err)
	}
	addr := c.LocalAddr().String()
	c.TryClose() // release the reference ClientRequestConnection took; the pool keeps it
	return addr, nil
}

// do sends req to the registrar and waits for its final response.
func (e *Endpoint) do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	req.SetDestination(e.serverAddr)
	req.SetTransport(e.transport)
	res, err := clientDo(ctx, e.client, req)
	if err != nil {
		return nil, classify(err)
	}
	return res, nil
}

// ErrNoResponse is returned (wrapped) when a request's transaction ended with neither a
// response nor an error: sipgo ends it that way when its transport shuts down under it,
// as when the endpoint closes while an alarm or a keepalive is out.
var ErrNoResponse = errors.New("sim: the transaction ended without a response")

// clientDo is client.Do, with a transaction that ended without a response reported as
// ErrNoResponse rather than as a nil response and a nil error.
func clientDo(ctx context.Context, client *sipgo.Client, req *sip.Request) (*sip.Response, error) {
	res, err := client.Do(ctx, req)
	if err == nil && res == nil {
		return nil, fmt.Errorf("%w: %s to %s", ErrNoResponse, req.Method, req.Recipient.String())
	}
	return res, err
}

// ErrTimeout is returned (wrapped) when the registrar did not answer in time.
var ErrTimeout = errors.New("sim: no answer from the registrar")

func classify(err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sip.ErrTransactionTimeout) {
		return fmt.Errorf("%w: %v", ErrTimeout, err)
	}
	return err
}

// onMessage answers a MESSAGE from the registrar on behalf of the device it names (or
// the device of the channel it names).
func (e *Endpoint) onMessage(req *sip.Request, tx sip.ServerTransaction) {
	d, id := e.deviceFor(req)
	if d == nil {
		e.log.Debug("MESSAGE for a device not on this endpoint", "id", id)
		respond(tx, req, sip.StatusNotFound, "Not Found")
		return
	}
	if d.rebooting() {
		return // a booting device answers nothing
	}
	d.handleMessage(req, tx)
}

// onSubscribe answers a SUBSCRIBE on behalf of the device it names.
func (e *Endpoint) onSubscribe(req *sip.Request, tx sip.ServerTransaction) {
	d, id := e.deviceFor(req)
	if d == nil {
		e.log.Debug("SUBSCRIBE for a device not on this endpoint", "id", id)
		respond(tx, req, sip.StatusNotFound, "Not Found")
		return
	}
	if d.rebooting() {
		return
	}
	d.handleSubscribe(req, tx)
}

func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string) {
	_ = tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil))
}
