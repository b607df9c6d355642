package sipd_test

import (
	"context"
	"crypto/md5"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/gb28181/camera-operator/sipd"
)

// staticStore is the simplest CredentialStore: a fixed map of device IDs to passwords.
type staticStore map[string]string

func (s staticStore) LookupCredentials(deviceID string) (sipd.Credentials, error) {
	pw, ok := s[deviceID]
	if !ok {
		return sipd.Credentials{}, sipd.ErrUnknownDevice
	}
	return sipd.Credentials{Password: pw, Owner: "static"}, nil
}

// Embedding the registrar: a static credential store, and a Notifier that hands the IDs
// of changed devices to whoever keeps their state (here a channel; the operator uses a
// workqueue). Device then tells what changed.
func Example() {
	changes := make(chan string, 16)
	srv, err := sipd.New(sipd.Config{
		ListenAddr: "127.0.0.1:0",
		ServerID:   "34020000002000000001",
		Notifier: sipd.NotifyFunc(func(deviceID string) {
			select { // Notify must never block the SIP path
			case changes <- deviceID:
			default:
			}
		}),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, staticStore{"34020000001320000001": "12345678"})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = srv.Start(ctx) }()
	<-srv.Ready()

	// A device registers without credentials first and is challenged.
	conn, err := net.Dial("udp", srv.UDPAddr())
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	const uri = "sip:34020000002000000001@3402000000"
	register := func(cseq int, authorization string) string {
		msg := "REGISTER " + uri + " SIP/2.0\r\n" +
			"Via: SIP/2.0/UDP " + conn.LocalAddr().String() + ";rport;branch=z9hG4bKexample" + fmt.Sprint(cseq) + "\r\n" +
			"From: <sip:34020000001320000001@3402000000>;tag=1\r\n" +
			"To: <sip:34020000001320000001@3402000000>\r\n" +
			"Call-ID: example\r\nCSeq: " + fmt.Sprint(cseq) + " REGISTER\r\nMax-Forwards: 70\r\n" +
			"Contact: <sip:34020000001320000001@" + conn.LocalAddr().String() + ">\r\nExpires: 3600\r\n" +
			authorization + "Content-Length: 0\r\n\r\n"
		if _, err := conn.Write([]byte(msg)); err != nil {
			panic(err)
		}
		buf := make([]byte, 2048)
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			panic(err)
		}
		return string(buf[:n])
	}
	answer := register(1, "")
	status, _, _ := strings.Cut(answer, "\r\n")
	fmt.Println(status)

	// It answers the challenge (RFC 2617 digest without qop, which the registrar accepts).
	_, nonce, _ := strings.Cut(answer, `nonce="`)
	nonce, _, _ = strings.Cut(nonce, `"`)
	md5hex := func(s string) string { return fmt.Sprintf("%x", md5.Sum([]byte(s))) }
	response := md5hex(md5hex("34020000001320000001:3402000000:12345678") + ":" + nonce + ":" + md5hex("REGISTER:"+uri))
	answer = register(2, `Authorization: Digest username="34020000001320000001", realm="3402000000", nonce="`+nonce+
		`", uri="`+uri+`", response="`+response+`", algorithm=MD5`+"\r\n")
	status, _, _ = strings.Cut(answer, "\r\n")
	fmt.Println(status)

	// The registrar signals the change; the device's state says what it is.
	id := <-changes
	b := srv.Device(id).Binding
	fmt.Println(id, "registered over", b.Transport, "for", b.Expires)
	// Output:
	// SIP/2.0 401 Unauthorized
	// SIP/2.0 200 OK
	// 34020000001320000001 registered over UDP for 1h0m0s
}
