package sipd

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// Errors of the query API.
var (
	// ErrNotRegistered: the device has no live binding to send a query over.
	ErrNotRegistered = errors.New("sipd: device not registered")
	// ErrPartialCatalog: the catalog's parts did not all arrive in time.
	ErrPartialCatalog = errors.New("sipd: partial catalog")
	// ErrTooManyQueries: MaxQueries queries are already outstanding.
	ErrTooManyQueries = errors.New("sipd: too many outstanding queries")
	// ErrUnreachable: the device's TCP connection is gone, or the query could not be sent.
	ErrUnreachable = errors.New("sipd: device unreachable")
	// ErrStopped: the server is not running.
	ErrStopped = errors.New("sipd: server not running")
)

// QueryError is a device's non-2xx answer to a query MESSAGE.
type QueryError struct {
	Code   int
	Reason string
}

func (e *QueryError) Error() string {
	return "sipd: device answered " + strconv.Itoa(e.Code) + " " + e.Reason
}

// QueryDeviceInfo asks a registered device for its DeviceInfo and waits for the answer.
// It acts only through a binding dev.Owner holds (ErrNotOwner otherwise).
func (s *Server) QueryDeviceInfo(ctx context.Context, dev DeviceRef) (*manscdp.DeviceInfo, error) {
	ctx, cancel := s.queryContext(ctx)
	defer cancel()
	q, err := s.startQuery(ctx, dev, "DeviceInfo")
	if err != nil {
		return nil, err
	}
	defer s.queries.remove(q)
	select {
	case <-q.done:
		q.mu.Lock()
		defer q.mu.Unlock()
		info := *q.info
		return &info, nil
	case err := <-q.failed:
		return nil, err
	case <-ctx.Done():
		return nil, fmt.Errorf("sipd: DeviceInfo of %s: %w", dev.ID, ctx.Err())
	case <-s.stopping:
		return nil, ErrStopped
	}
}

// QueryCatalog asks a registered device for its Catalog and joins the response parts by
// SN until SumNum items arrived. When ctx ends first it returns the items received so
// far with ErrPartialCatalog. It acts only through a binding dev.Owner holds.
func (s *Server) QueryCatalog(ctx context.Context, dev DeviceRef) (*manscdp.Catalog, error) {
	ctx, cancel := s.queryContext(ctx)
	defer cancel()
	q, err := s.startQuery(ctx, dev, "Catalog")
	if err != nil {
		return nil, err
	}
	defer s.queries.remove(q)
	collected := func() *manscdp.Catalog {
		q.mu.Lock()
		defer q.mu.Unlock()
		c := q.catalog
		c.Items = append([]manscdp.CatalogItem(nil), q.catalog.Items...)
		return &c
	}
	select {
	case <-q.done:
		return collected(), nil
	case err := <-q.failed:
		return nil, err
	case <-ctx.Done():
	case <-s.stopping:
	}
	c := collected()
	s.log.Info("catalog incomplete", "device", dev.ID, "received", len(c.Items), "sumNum", c.SumNum)
	return c, fmt.Errorf("%w: %d of %d items from %s", ErrPartialCatalog, len(c.Items), c.SumNum, dev.ID)
}

func (s *Server) queryContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, s.cfg.QueryTimeout)
}

// startQuery registers a waiter, sends the Query MESSAGE, and watches its transaction
// in the background; a non-2xx answer or a timeout is reported on q.failed.
func (s *Server) startQuery(ctx context.Context, dev DeviceRef, cmd string) (*pendingQuery, error) {
	select {
	case <-s.ready:
	default:
		return nil, ErrStopped
	}
	b, err := s.table.lookupOwned(dev)
	if err != nil {
		return nil, err
	}
	dst, err := s.bindingSource(b)
	if err != nil {
		return nil, err
	}
	q, err := s.queries.add(dev.ID, cmd, dst.addr.Addr().String(), s.catalogLimits())
	if err != nil {
		return nil, err
	}
	msg, branch := s.buildQuery(b, dst, cmd, q.key.sn)
	tx, err := s.txs.add(txKey{branch: branch, method: sip.MESSAGE}, dst)
	if err != nil {
		s.queries.remove(q)
		return nil, err
	}
	if err := s.send(dst, msg); err != nil {
		s.txs.remove(tx)
		s.queries.remove(q)
		return nil, fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	go func() {
		defer s.txs.remove(tx)
		out, err := s.await(ctx, tx, msg)
		switch {
		case err == nil && out.final.StatusCode >= 300:
			q.fail(&QueryError{Code: out.final.StatusCode, Reason: deviceText(out.final.Reason, maxReasonLen)})
		case errors.Is(err, ErrTimeout):
			q.fail(fmt.Errorf("%w: no answer to %s query", ErrUnreachable, q.cmd))
		}
	}()
	return q, nil
}

// bindingSource is where requests to a device go: over UDP to the address it
// registered from, over TCP on its connection from there while it is open.
func (s *Server) bindingSource(b Binding) (source, error) {
	remote, err := netip.ParseAddrPort(b.RemoteAddr)
	if err != nil {
		return source{}, fmt.Errorf("%w: bad remote address %q", ErrUnreachable, b.RemoteAddr)
	}
	if b.Transport != "TCP" {
		return source{transport: "UDP", addr: remote}, nil
	}
	conn := s.conns.get(remote)
	if conn == nil {
		return source{}, fmt.Errorf("%w: TCP connection of %s is closed", ErrUnreachable, b.DeviceID)
	}
	return source{transport: "TCP", addr: remote, conn: conn}, nil
}

// fail reports a failure to the query's waiter.
func (q *pendingQuery) fail(err error) {
	select {
	case q.failed <- err:
	default:
	}
}

// buildQuery writes the Query MESSAGE to the device's Contact.
func (s *Server) buildQuery(b Binding, dst source, cmd string, sn int) ([]byte, string) {
	var uri sip.Uri
	if err := sip.ParseUri(b.Contact, &uri); err != nil || uri.Host == "" {
		uri = sip.Uri{Scheme: "sip", User: b.DeviceID, Host: dst.addr.Addr().String(), Port: int(dst.addr.Port())}
	}
	host, port := s.viaAddr(dst.addr, dst.conn)
	branch := "z9hG4bK" + randHex(10)
	req := sip.NewRequest(sip.MESSAGE, uri)
	via := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: b.Transport, Host: host, Port: port, Params: sip.NewParams()}
	via.Params.Add("rport", "")
	via.Params.Add("branch", branch)
	req.AppendHeader(via)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: s.cfg.ServerID, Host: s.cfg.Realm}, Params: sip.NewParams()}
	from.Params.Add("tag", randHex(6))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: b.DeviceID, Host: s.cfg.Realm}})
	callID := sip.CallIDHeader(randHex(12) + "@" + host)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: uint32(sn), MethodName: sip.MESSAGE})
	maxFwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxFwd)
	req.AppendHeader(sip.NewHeader("Content-Type", "Application/MANSCDP+xml"))
	req.AppendHeader(sip.NewHeader("User-Agent", s.cfg.UserAgent))
	req.SetBody(manscdp.EncodeQuery(cmd, sn, b.DeviceID))
	var buf bytes.Buffer
	req.StringWrite(&buf)
	return buf.Bytes(), branch
}

// viaAddr is the sent-by of requests to remote: the configured advertise address, the
// TCP connection's local address, the listen address, or the local address the kernel
// routes to remote from.
func (s *Server) viaAddr(remote netip.AddrPort, conn *tcpConn) (string, int) {
	if s.cfg.AdvertiseAddr != "" {
		h, p, err := net.SplitHostPort(s.cfg.AdvertiseAddr)
		if err == nil {
			n, _ := strconv.Atoi(p)
			return h, n
		}
	}
	if conn != nil {
		if la, ok := conn.conn.LocalAddr().(*net.TCPAddr); ok {
			return la.AddrPort().Addr().Unmap().String(), la.Port
		}
	}
	la := s.udp.LocalAddr().(*net.UDPAddr)
	ip := la.AddrPort().Addr().Unmap()
	if ip.IsUnspecified() {
		if c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(remote)); err == nil {
			ip = c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
			_ = c.Close()
		}
	}
	return ip.String(), la.Port
}

// queryKey identifies a query by the device and the SN its Response will carry.
type queryKey struct {
	deviceID string
	sn       int
}

type pendingQuery struct {
	key      queryKey
	cmd      string
	remoteIP string
	limits   catalogLimits
	done     chan struct{} // closed when the answer is complete
	failed   chan error    // the transaction failed (cap 1)

	mu        sync.Mutex
	completed bool
	info      *manscdp.DeviceInfo
	catalog   manscdp.Catalog
	// parts holds the catalogPartIDs seen (see message_catalog.go).
	parts map[uint64]struct{}
	// heldBytes is the text of the items collected.
	heldBytes int
}

// queryTable holds the outstanding queries, bounded by MaxQueries; their MESSAGE
// transactions are the registrar's client transactions (transaction_client.go).
type queryTable struct {
	mu      sync.Mutex
	pending map[queryKey]*pendingQuery
	max     int
	sn      atomic.Int64
	stopped bool
}

func newQueryTable(max int) *queryTable {
	return &queryTable{pending: make(map[queryKey]*pendingQuery), max: max}
}

func (t *queryTable) add(deviceID, cmd, remoteIP string, limits catalogLimits) (*pendingQuery, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return nil, ErrStopped
	}
	if len(t.pending) >= t.max {
		return nil, ErrTooManyQueries
	}
	for {
		// SNs are positive and below 10^9: some firmware stores them in an int32.
		sn := int(t.sn.Add(1)%999_999_999) + 1
		k := queryKey{deviceID: deviceID, sn: sn}
		if _, busy := t.pending[k]; busy {
			continue
		}
		q := &pendingQuery{key: k, cmd: cmd, remoteIP: remoteIP, limits: limits, done: make(chan struct{}), failed: make(chan error, 1)}
		q.catalog.DeviceID = deviceID
		t.pending[k] = q
		return q, nil
	}
}

func (t *queryTable) remove(q *pendingQuery) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending[q.key] == q {
		delete(t.pending, q.key)
	}
}

type deliverResult int

const (
	deliveredNone deliverResult = iota
	deliveredInfo
	deliveredCatalogPart
	deliveredCatalogDone
)

// deliver hands a Response body to the query waiting for (deviceID, SN).
func (t *queryTable) deliver(bodyID, fromID, srcIP string, msg *manscdp.Message, partID uint64) deliverResult {
	t.mu.Lock()
	q := t.pending[queryKey{deviceID: bodyID, sn: msg.SN}]
	if q == nil && fromID != bodyID {
		q = t.pending[queryKey{deviceID: fromID, sn: msg.SN}]
	}
	t.mu.Unlock()
	if q == nil || q.cmd != msg.CmdType || q.remoteIP != srcIP {
		return deliveredNone
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.completed {
		return deliveredNone
	}
	switch {
	case msg.DeviceInfo != nil:
		q.info = msg.DeviceInfo
		q.completed = true
		close(q.done)
		return deliveredInfo
	case msg.Catalog != nil:
		return q.addCatalogPart(msg.Catalog, partID)
	}
	return deliveredNone
}

// closeAll refuses new queries at shutdown; the waiters wake on Server.stopping.
func (t *queryTable) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
}

// randHex returns 2n random hex digits for tags, branches and Call-IDs.
func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
