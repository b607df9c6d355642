package rtprecv

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"strconv"
	"testing"
	"time"
)

// rtp builds an RTP packet; ext adds a one-word header extension.
func rtp(ssrc uint32, payload string, ext bool) []byte {
	p := []byte{0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(p[8:], ssrc)
	if ext {
		p[0] |= 0x10
		p = append(p, 0xbe, 0xde, 0, 1, 1, 2, 3, 4)
	}
	return append(p, payload...)
}

func TestReceiver(t *testing.T) {
	packets := [][]byte{rtp(7, "ab", false), rtp(8, "XX", false), rtp(7, "cd", true), []byte("not rtp"), rtp(7, "ef", false)}
	for _, tcp := range []bool{false, true} {
		t.Run(map[bool]string{false: "udp", true: "tcp"}[tcp], func(t *testing.T) {
			r, err := Listen(7, tcp)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			network := map[bool]string{false: "udp", true: "tcp"}[tcp]
			c, err := net.Dial(network, net.JoinHostPort("127.0.0.1", itoa(r.Port())))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for _, p := range packets {
				if tcp {
					p = append(binary.BigEndian.AppendUint16(nil, uint16(len(p))), p...)
				}
				if _, err := c.Write(p); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := r.WaitPackets(ctx, 3); err != nil {
				t.Fatal(err)
			}
			if got := string(r.Stream()); got != "abcdef" {
				t.Errorf("payloads %q, want abcdef (headers and extension stripped, other SSRC left out)", got)
			}
			if r.Others() != 1 {
				t.Errorf("%d packets of another SSRC counted, want 1", r.Others())
			}
		})
	}
}

func TestReceiverSink(t *testing.T) {
	var sink bytes.Buffer
	r, err := ListenOn("127.0.0.1:0", 0, false, &sink)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("udp", net.JoinHostPort("127.0.0.1", itoa(r.Port())))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, p := range [][]byte{rtp(1, "ab", false), rtp(2, "cd", false)} {
		_, _ = c.Write(p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.WaitPackets(ctx, 2); err != nil {
		t.Fatal(err)
	}
	r.Close()
	if sink.String() != "abcd" || len(r.Stream()) != 0 {
		t.Errorf("sink got %q, kept %q; want every SSRC's payload in the sink only", sink.String(), r.Stream())
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
