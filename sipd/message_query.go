package sipd

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// Queries and commands: the platform sends a registered device a MANSCDP MESSAGE (a
// Query, a Control) as a client transaction (transaction_client.go), and, when the
// command has one, waits for the device's Response MESSAGE with the same SN, which
// message_query_table.go hands to the query's answer (message_answer.go). The typed
// queries and commands (DeviceInfo below, Catalog, DeviceStatus, ConfigDownload,
// DeviceConfig, DeviceControl, PresetQuery, RecordInfo) are each a few lines over query.

// Errors of the query API.
var (
	// ErrPartialCatalog means the catalog's parts did not all arrive in time.
	ErrPartialCatalog = errors.New("sipd: partial catalog")
	// ErrTooManyQueries means MaxQueries queries are already outstanding.
	ErrTooManyQueries = errors.New("sipd: too many outstanding queries")
	// ErrNoAnswer means the device accepted the MESSAGE but sent no Response in time.
	ErrNoAnswer = errors.New("sipd: no Response from the device")
)

// errIncomplete marks a query that ended (its context, or the server) before its
// answer was complete: what arrived is in the answer.
var errIncomplete = errors.New("no complete answer in time")

// QueryError is a device's non-2xx answer to a query MESSAGE.
type QueryError struct {
	Code   int
	Reason string
}

func (e *QueryError) Error() string {
	return "sipd: device answered " + strconv.Itoa(e.Code) + " " + e.Reason
}

// ResultError is a device's Response with <Result>ERROR</Result> (or another value than
// OK) to a command: it understood and refused.
type ResultError struct {
	CmdType string
	Result  string
}

func (e *ResultError) Error() string {
	return "sipd: device answered " + e.CmdType + " with Result " + e.Result
}

// exchange is one MANSCDP request to a device and what answers it.
type exchange struct {
	// cmd is the CmdType of the request and of its Response.
	cmd string
	// target is the body's DeviceID, which the Response carries back: the device, or
	// one of its channels.
	target string
	// body writes the request's body with the query's SN.
	body func(sn int) ([]byte, error)
	// answer collects the Responses; nil when the command has none, and the
	// MESSAGE's 2xx is the whole answer.
	answer answer
}

// QueryDeviceInfo asks a registered device for its DeviceInfo and waits for the answer.
// It acts only through a binding dev.Owner holds (ErrNotOwner otherwise).
func (s *Server) QueryDeviceInfo(ctx context.Context, dev DeviceRef) (*manscdp.DeviceInfo, error) {
	a, err := s.queryOne(ctx, dev, dev.ID, "DeviceInfo", func(sn int) ([]byte, error) {
		return manscdp.EncodeQuery("DeviceInfo", sn, dev.ID), nil
	})
	if err != nil {
		return nil, err
	}
	if a.DeviceInfo == nil {
		return nil, fmt.Errorf("%w: DeviceInfo Response of %s without its fields", ErrNoAnswer, dev.ID)
	}
	info := *a.DeviceInfo
	return &info, nil
}

// queryOne sends a request answered by one Response and returns that Response.
func (s *Server) queryOne(ctx context.Context, dev DeviceRef, target, cmd string, body func(sn int) ([]byte, error)) (*manscdp.Message, error) {
	a := &oneMessage{}
	err := s.query(ctx, dev, exchange{cmd: cmd, target: target, body: body, answer: a})
	if errors.Is(err, errIncomplete) {
		return nil, fmt.Errorf("sipd: %s of %s: %w", cmd, target, err)
	}
	if err != nil {
		return nil, err
	}
	return a.msg, nil
}

// query sends ex's request to dev's binding and waits until its answer is complete
// (nil), the device refused or did not answer the MESSAGE (QueryError, ErrUnreachable),
// or ctx or the server ended first (errIncomplete, wrapping the cause). When query
// returns, nothing writes to ex.answer any more.
func (s *Server) query(ctx context.Context, dev DeviceRef, ex exchange) error {
	ctx, cancel := s.queryContext(ctx)
	defer cancel()
	q, err := s.startQuery(ctx, dev, ex)
	if err != nil {
		return err
	}
	defer s.endQuery(q)
	select {
	case <-q.done:
		return nil
	case err := <-q.failed:
		return err
	case <-ctx.Done():
		if q.accepted.Load() {
			// The device took the MESSAGE and sent no Response.
			return fmt.Errorf("%w (%w): %w", errIncomplete, ErrNoAnswer, ctx.Err())
		}
		return fmt.Errorf("%w: %w", errIncomplete, ctx.Err())
	case <-s.stopping:
		return fmt.Errorf("%w: %w", errIncomplete, ErrStopped)
	}
}

func (s *Server) queryContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, s.cfg.QueryTimeout)
}

// startQuery registers a waiter, sends the request, and watches its transaction in
// the background; a non-2xx answer or a timeout is reported on q.failed, and so is
// the 2xx of a command without a Response (as nil: it is complete).
func (s *Server) startQuery(ctx context.Context, dev DeviceRef, ex exchange) (*pendingQuery, error) {
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
	a := ex.answer
	if a == nil {
		a = noResponse{}
	}
	q, err := s.queries.add(ex.target, ex.cmd, dst.addr.Addr().String(), a)
	if err != nil {
		return nil, err
	}
	body, err := ex.body(q.key.sn)
	if err != nil {
		s.queries.remove(q)
		return nil, err
	}
	msg, branch := s.buildRequestMessage(b, dst, body, q.key.sn)
	tx, err := s.begin(sip.MESSAGE, branch, msg, dst)
	if err != nil {
		s.queries.remove(q)
		return nil, err
	}
	go func() {
		defer s.txs.remove(tx)
		out, err := s.await(ctx, tx, msg)
		if err == nil && out.final.StatusCode < 300 {
			q.accepted.Store(true)
		}
		switch {
		case err == nil && out.final.StatusCode >= 300:
			q.fail(&QueryError{Code: out.final.StatusCode, Reason: deviceText(out.final.Reason, maxReasonLen)})
		case err == nil && ex.answer == nil:
			q.fail(nil)
		case errors.Is(err, ErrTimeout):
			q.fail(fmt.Errorf("%w: no answer to %s", ErrUnreachable, q.cmd))
		}
	}()
	return q, nil
}

// endQuery forgets q and waits for a delivery in progress: after it, nothing writes
// to q's answer.
func (s *Server) endQuery(q *pendingQuery) {
	s.queries.remove(q)
	q.mu.Lock()
	q.completed = true
	q.mu.Unlock()
}

// noResponse is the answer of a command the device answers with the MESSAGE's 2xx
// alone: no Response MESSAGE is taken for it.
type noResponse struct{}

func (noResponse) add(*manscdp.Message, uint64) bool { return false }

// resultOf returns nil for a Response whose Result is OK, a ResultError otherwise. A
// Response without a Result is taken as OK: the device answered.
func resultOf(msg *manscdp.Message) error {
	if msg.Result == "" || msg.Result == "OK" {
		return nil
	}
	return &ResultError{CmdType: msg.CmdType, Result: deviceText(msg.Result, maxReasonLen)}
}

// buildRequestMessage writes a MESSAGE carrying body to the device's Contact.
func (s *Server) buildRequestMessage(b Binding, dst source, body []byte, sn int) ([]byte, string) {
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
	req.SetBody(body)
	return requestBytes(req), branch
}
