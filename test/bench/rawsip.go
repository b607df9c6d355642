package main

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gb28181/camera-operator/sipd/digestparam"
)

// The lean SIP client of the bench: templated requests on a UDP socket, MD5 digest by
// hand. It costs a few microseconds per request, so that the figures it drives measure
// the registrar, not the load generator (which shares the CPU with it).

const (
	platformID = "34020000002000000001"
	sipDomain  = "3402000000"
)

// rawConn is one UDP socket toward the registrar.
type rawConn struct {
	conn *net.UDPConn
	port string
	buf  []byte
	seq  int
	tag  string
}

func dialRaw(server string) (*rawConn, error) {
	ra, err := net.ResolveUDPAddr("udp", server)
	if err != nil {
		return nil, err
	}
	conn, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, ra)
	if err != nil {
		return nil, err
	}
	_ = conn.SetReadBuffer(4 << 20)
	_, port, _ := net.SplitHostPort(conn.LocalAddr().String())
	return &rawConn{conn: conn, port: port, buf: make([]byte, 65536), tag: token(6)}, nil
}

func (c *rawConn) Close() error { return c.conn.Close() }

func token(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// register registers id with password: REGISTER, 401, REGISTER with credentials, 200.
func (c *rawConn) register(id, password string) error {
	callID := token(8) + "@bench"
	res, err := c.exchange(c.registerRequest(id, callID, 1, ""))
	if err != nil {
		return err
	}
	if code := statusCode(res); code != 401 {
		return fmt.Errorf("REGISTER answered %d, want a 401 challenge", code)
	}
	auth, err := answerChallenge(res, id, password)
	if err != nil {
		return err
	}
	res, err = c.exchange(c.registerRequest(id, callID, 2, auth))
	if err != nil {
		return err
	}
	if code := statusCode(res); code != 200 {
		return fmt.Errorf("authenticated REGISTER answered %d", code)
	}
	return nil
}

func (c *rawConn) registerRequest(id, callID string, cseq int, auth string) []byte {
	c.seq++
	var b bytes.Buffer
	fmt.Fprintf(&b, "REGISTER sip:%s@%s SIP/2.0\r\n", platformID, sipDomain)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP 127.0.0.1:%s;rport;branch=z9hG4bK%s%d\r\n", c.port, c.tag, c.seq)
	fmt.Fprintf(&b, "From: <sip:%s@%s>;tag=%s\r\n", id, sipDomain, c.tag)
	fmt.Fprintf(&b, "To: <sip:%s@%s>\r\n", id, sipDomain)
	fmt.Fprintf(&b, "Call-ID: %s\r\nCSeq: %d REGISTER\r\n", callID, cseq)
	fmt.Fprintf(&b, "Contact: <sip:%s@127.0.0.1:%s>\r\n", id, c.port)
	b.WriteString("Max-Forwards: 70\r\nUser-Agent: bench\r\nExpires: 3600\r\n")
	if auth != "" {
		b.WriteString("Authorization: " + auth + "\r\n")
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.Bytes()
}

// exchange sends req and returns the first response, retransmitting as RFC 3261's
// timer E does (0.5 s, doubling) for up to 8 s.
func (c *rawConn) exchange(req []byte) ([]byte, error) {
	wait := 500 * time.Millisecond
	for deadline := time.Now().Add(8 * time.Second); time.Now().Before(deadline); wait = min(2*wait, 4*time.Second) {
		if _, err := c.conn.Write(req); err != nil {
			return nil, err
		}
		_ = c.conn.SetReadDeadline(time.Now().Add(wait))
		for {
			n, err := c.conn.Read(c.buf)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					break
				}
				return nil, err
			}
			res := c.buf[:n]
			if bytes.HasPrefix(res, []byte("SIP/2.0 1")) {
				continue // provisional
			}
			if bytes.HasPrefix(res, []byte("SIP/2.0 ")) {
				return append([]byte(nil), res...), nil
			}
		}
	}
	return nil, errors.New("no answer from the registrar")
}

// statusCode reads the status code of a response (0 if it is not one).
func statusCode(res []byte) int {
	if len(res) < 12 || !bytes.HasPrefix(res, []byte("SIP/2.0 ")) {
		return 0
	}
	n, err := strconv.Atoi(string(res[8:11]))
	if err != nil {
		return 0
	}
	return n
}

// answerChallenge builds the Authorization header answering the MD5 challenge of a 401.
func answerChallenge(res []byte, user, password string) (string, error) {
	var params map[string]string
	for _, line := range strings.Split(string(res), "\r\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "WWW-Authenticate") {
			continue
		}
		p, err := digestparam.Parse(value)
		if err != nil {
			continue
		}
		if alg := p["algorithm"]; alg == "" || strings.EqualFold(alg, "MD5") {
			params = p
			break
		}
	}
	if params == nil {
		return "", errors.New("401 without an MD5 digest challenge")
	}
	uri := "sip:" + platformID + "@" + sipDomain
	ha1 := md5hex(user + ":" + params["realm"] + ":" + password)
	ha2 := md5hex("REGISTER:" + uri)
	auth := fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", algorithm=MD5`, user, params["realm"], params["nonce"], uri)
	if qop := params["qop"]; strings.Contains(qop, "auth") {
		cnonce := token(8)
		resp := md5hex(ha1 + ":" + params["nonce"] + ":00000001:" + cnonce + ":auth:" + ha2)
		auth += fmt.Sprintf(`, response="%s", qop=auth, nc=00000001, cnonce="%s"`, resp, cnonce)
	} else {
		auth += fmt.Sprintf(`, response="%s"`, md5hex(ha1+":"+params["nonce"]+":"+ha2))
	}
	if op, ok := params["opaque"]; ok {
		auth += fmt.Sprintf(`, opaque="%s"`, op)
	}
	return auth, nil
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// keepaliveRequest is a GB/T 28181 keepalive MESSAGE from id with sequence seq.
func (c *rawConn) keepaliveRequest(dst []byte, id string, seq int) []byte {
	body := `<?xml version="1.0" encoding="GB2312"?>` + "\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>" +
		strconv.Itoa(seq) + "</SN>\r\n<DeviceID>" + id + "</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n"
	b := bytes.NewBuffer(dst[:0])
	fmt.Fprintf(b, "MESSAGE sip:%s@%s SIP/2.0\r\n", platformID, sipDomain)
	fmt.Fprintf(b, "Via: SIP/2.0/UDP 127.0.0.1:%s;rport;branch=z9hG4bK%sk%d\r\n", c.port, c.tag, seq)
	fmt.Fprintf(b, "From: <sip:%s@%s>;tag=%s\r\n", id, sipDomain, c.tag)
	fmt.Fprintf(b, "To: <sip:%s@%s>\r\n", platformID, sipDomain)
	fmt.Fprintf(b, "Call-ID: ka%s%d@bench\r\nCSeq: %d MESSAGE\r\n", c.tag, seq, seq)
	b.WriteString("Max-Forwards: 70\r\nUser-Agent: bench\r\nContent-Type: Application/MANSCDP+xml\r\n")
	fmt.Fprintf(b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	return b.Bytes()
}

// cseqOf reads the sequence number of a response's CSeq header.
func cseqOf(res []byte) (int, bool) {
	n, method := cseqHeader(res)
	return n, method != ""
}
