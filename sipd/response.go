package sipd

import (
	"bytes"
	"strconv"
	"strings"
	"sync"

	"github.com/emiago/sipgo/sip"
)

// Responses are written straight into a pooled buffer: the hot path of a registration
// is two of them, and building sipgo Response objects first would double the work.

var bufPool = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 1024)) }}

// respBuilder is a response being written; finish sends it and recycles the buffer.
type respBuilder struct {
	buf *bytes.Buffer
}

// header appends "name: value".
func (rb respBuilder) header(name, value string) {
	rb.buf.WriteString(name)
	rb.buf.WriteString(": ")
	rb.buf.WriteString(value)
	rb.buf.WriteString("\r\n")
}

// headerInt appends "name: n".
func (rb respBuilder) headerInt(name string, n int) {
	rb.buf.WriteString(name)
	rb.buf.WriteString(": ")
	rb.buf.Write(strconv.AppendInt(rb.buf.AvailableBuffer(), int64(n), 10))
	rb.buf.WriteString("\r\n")
}

// newResponse starts the answer to req: status line, Vias (the top one with RFC 3581
// received/rport), From, To with a tag, Call-ID, CSeq and Server.
func (s *Server) newResponse(req *sip.Request, src source, code int, reason string) respBuilder {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	rb := respBuilder{buf: buf}
	buf.WriteString("SIP/2.0 ")
	buf.Write(strconv.AppendInt(buf.AvailableBuffer(), int64(code), 10))
	buf.WriteByte(' ')
	buf.WriteString(reason)
	buf.WriteString("\r\n")

	top := true
	for _, h := range req.Headers() {
		switch h := h.(type) {
		case *sip.ViaHeader:
			if top {
				writeTopVia(buf, h, src)
				top = false
			} else {
				h.StringWrite(buf)
				buf.WriteString("\r\n")
			}
		}
	}
	if f := req.From(); f != nil {
		buf.WriteString("From: ")
		writeNameAddr(buf, f.DisplayName, &f.Address, f.Params)
		buf.WriteString("\r\n")
	}
	if t := req.To(); t != nil {
		buf.WriteString("To: ")
		writeNameAddr(buf, t.DisplayName, &t.Address, t.Params)
		if _, ok := paramValue(t.Params, "tag"); !ok {
			buf.WriteString(";tag=")
			writeTag(buf, req)
		}
		buf.WriteString("\r\n")
	}
	if c := req.CallID(); c != nil {
		rb.header("Call-ID", string(*c))
	}
	if c := req.CSeq(); c != nil {
		buf.WriteString("CSeq: ")
		buf.Write(strconv.AppendUint(buf.AvailableBuffer(), uint64(c.SeqNo), 10))
		buf.WriteByte(' ')
		buf.WriteString(strings.TrimSpace(string(c.MethodName)))
		buf.WriteString("\r\n")
	}
	rb.header("Server", s.cfg.UserAgent)
	return rb
}

// finish ends the header section (no body) and sends the response to src.
func (s *Server) finish(rb respBuilder, src source) {
	rb.buf.WriteString("Content-Length: 0\r\n\r\n")
	if err := s.send(src, rb.buf.Bytes()); err != nil {
		s.log.Debug("sending response failed", "destination", src.addr.String(), "transport", src.transport, "error", err)
	}
	if rb.buf.Cap() <= 64<<10 {
		bufPool.Put(rb.buf)
	}
}

// reply is the common answer without extra headers.
func (s *Server) reply(req *sip.Request, src source, code int, reason string) {
	s.finish(s.newResponse(req, src, code, reason), src)
}

// writeTopVia writes the request's top Via with received= and, when asked, rport=
// filled in (RFC 3581 §4; RFC 3261 §18.2.1).
func writeTopVia(buf *bytes.Buffer, v *sip.ViaHeader, src source) {
	buf.WriteString("Via: ")
	buf.WriteString(v.ProtocolName)
	buf.WriteByte('/')
	buf.WriteString(v.ProtocolVersion)
	buf.WriteByte('/')
	buf.WriteString(v.Transport)
	buf.WriteByte(' ')
	if strings.IndexByte(v.Host, ':') >= 0 && !strings.HasPrefix(v.Host, "[") {
		buf.WriteByte('[')
		buf.WriteString(v.Host)
		buf.WriteByte(']')
	} else {
		buf.WriteString(v.Host)
	}
	if v.Port > 0 {
		buf.WriteByte(':')
		buf.Write(strconv.AppendInt(buf.AvailableBuffer(), int64(v.Port), 10))
	}
	rport := false
	for _, kv := range v.Params {
		k := strings.TrimSpace(kv.K)
		if strings.EqualFold(k, "received") {
			continue // replaced below
		}
		buf.WriteByte(';')
		if strings.EqualFold(k, "rport") {
			rport = true
			buf.WriteString("rport=")
			buf.Write(strconv.AppendUint(buf.AvailableBuffer(), uint64(src.addr.Port()), 10))
			continue
		}
		buf.WriteString(k)
		if kv.V != "" {
			buf.WriteByte('=')
			buf.WriteString(kv.V)
		}
	}
	ip := src.addr.Addr()
	if rport || !viaHostIs(v.Host, ip.String()) {
		buf.WriteString(";received=")
		buf.Write(ip.AppendTo(buf.AvailableBuffer()))
	}
	buf.WriteString("\r\n")
}

func viaHostIs(host, ip string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return host == ip
}

// writeTag writes a To-tag derived from the dialog identifiers, so that a retransmitted
// request gets the same tag without the registrar remembering anything.
func writeTag(buf *bytes.Buffer, req *sip.Request) {
	h := uint64(fnvOffset)
	if c := req.CallID(); c != nil {
		h = fnvString(h, string(*c))
	}
	if f := req.From(); f != nil {
		if tag, ok := paramValue(f.Params, "tag"); ok {
			h = fnvString(h, tag)
		}
	}
	buf.Write(strconv.AppendUint(buf.AvailableBuffer(), h, 36))
}

// writeNameAddr writes a From/To value. sipgo's own writer probes every host with
// netip.ParseAddr, which allocates an error for the domain names GB From/To carry.
func writeNameAddr(buf *bytes.Buffer, display string, u *sip.Uri, params sip.HeaderParams) {
	if display != "" {
		buf.WriteByte('"')
		buf.WriteString(display)
		buf.WriteString(`" `)
	}
	buf.WriteByte('<')
	writeURI(buf, u)
	buf.WriteByte('>')
	writeParams(buf, params)
}

// writeURI writes a SIP URI without allocating.
func writeURI(buf *bytes.Buffer, u *sip.Uri) {
	if u.Wildcard {
		buf.WriteByte('*')
		return
	}
	if u.Scheme == "" || (u.Scheme != "sip" && u.Scheme != "sips") {
		u.StringWrite(buf) // other schemes are rare: let sipgo write them
		return
	}
	buf.WriteString(u.Scheme)
	buf.WriteByte(':')
	if u.User != "" {
		buf.WriteString(u.User)
		if u.Password != "" {
			buf.WriteByte(':')
			buf.WriteString(u.Password)
		}
		buf.WriteByte('@')
	}
	if strings.IndexByte(u.Host, ':') >= 0 && !strings.HasPrefix(u.Host, "[") {
		buf.WriteByte('[')
		buf.WriteString(u.Host)
		buf.WriteByte(']')
	} else {
		buf.WriteString(u.Host)
	}
	if u.Port > 0 {
		buf.WriteByte(':')
		buf.Write(strconv.AppendInt(buf.AvailableBuffer(), int64(u.Port), 10))
	}
	writeParams(buf, u.UriParams)
	if len(u.Headers) > 0 {
		for i, kv := range u.Headers {
			if i == 0 {
				buf.WriteByte('?')
			} else {
				buf.WriteByte('&')
			}
			buf.WriteString(kv.K)
			buf.WriteByte('=')
			buf.WriteString(kv.V)
		}
	}
}

// writeParams writes ;k=v parameters with their keys trimmed.
func writeParams(buf *bytes.Buffer, params sip.HeaderParams) {
	for _, kv := range params {
		buf.WriteByte(';')
		buf.WriteString(strings.TrimSpace(kv.K))
		if kv.V != "" {
			buf.WriteByte('=')
			buf.WriteString(kv.V)
		}
	}
}
