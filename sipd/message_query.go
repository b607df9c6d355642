package sipd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// Queries: the platform asks a registered device for its DeviceInfo or Catalog with a
// MESSAGE, sent as a client transaction (transaction_client.go), and waits for the
// device's Response MESSAGE, which message_query_table.go hands over.

// Errors of the query API.
var (
	// ErrPartialCatalog: the catalog's parts did not all arrive in time.
	ErrPartialCatalog = errors.New("sipd: partial catalog")
	// ErrTooManyQueries: MaxQueries queries are already outstanding.
	ErrTooManyQueries = errors.New("sipd: too many outstanding queries")
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
	tx, err := s.begin(sip.MESSAGE, branch, msg, dst)
	if err != nil {
		s.queries.remove(q)
		return nil, err
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

const (
	deliveredNone deliverResult = iota
	deliveredInfo
	deliveredCatalogPart
	deliveredCatalogDone
)
