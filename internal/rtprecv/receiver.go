// Package rtprecv is the receiving end of a GB/T 28181 stream for tests and tools: it
// listens on 127.0.0.1 over UDP, or over TCP as the passive side of TCP/RTP/AVP (RFC 4571
// framing), counts the RTP packets carrying one SSRC, and keeps their payloads in arrival
// order, which for a device's MPEG-PS stream is the Program Stream itself. Probe asks
// ffprobe what that stream holds, VideoPTS (pts.go) the timestamps of its video.
package rtprecv

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// maxKept bounds the payload bytes a Receiver keeps (8 MiB, minutes of the test clip);
// packets past it are still counted.
const maxKept = 8 << 20

// Receiver receives one RTP stream.
type Receiver struct {
	ssrc uint32 // 0: any
	tcp  bool
	sink io.Writer // nil: payloads are kept (Stream)
	udp  net.PacketConn
	ln   net.Listener

	mu      sync.Mutex
	packets int // with the SSRC
	others  int // RTP packets with another SSRC
	last    time.Time
	ps      bytes.Buffer
	conns   []net.Conn
	wg      sync.WaitGroup
}

// Listen opens a receiver on 127.0.0.1 for ssrc, over TCP when tcp is set.
func Listen(ssrc uint32, tcp bool) (*Receiver, error) {
	return ListenOn("127.0.0.1:0", ssrc, tcp, nil)
}

// ListenOn opens a receiver on addr for ssrc (0: any SSRC). With a sink, payloads are
// written to it as they arrive instead of kept.
func ListenOn(addr string, ssrc uint32, tcp bool, sink io.Writer) (*Receiver, error) {
	r := &Receiver{ssrc: ssrc, tcp: tcp, sink: sink}
	var err error
	if tcp {
		r.ln, err = net.Listen("tcp", addr)
		if err != nil {
			return nil, err
		}
		r.wg.Add(1)
		go r.accept()
		return r, nil
	}
	r.udp, err = net.ListenPacket("udp", addr)
	if err != nil {
		return nil, err
	}
	r.wg.Add(1)
	go r.readUDP()
	return r, nil
}

// Port is the local port media should be sent to.
func (r *Receiver) Port() int {
	if r.tcp {
		return r.ln.Addr().(*net.TCPAddr).Port
	}
	return r.udp.LocalAddr().(*net.UDPAddr).Port
}

// Close stops receiving.
func (r *Receiver) Close() error {
	if r.tcp {
		_ = r.ln.Close()
		r.mu.Lock()
		for _, c := range r.conns {
			_ = c.Close()
		}
		r.mu.Unlock()
	} else {
		_ = r.udp.Close()
	}
	r.wg.Wait()
	return nil
}

func (r *Receiver) readUDP() {
	defer r.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, _, err := r.udp.ReadFrom(buf)
		if err != nil {
			return
		}
		r.packet(buf[:n])
	}
}

func (r *Receiver) accept() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		r.conns = append(r.conns, c)
		r.mu.Unlock()
		r.wg.Add(1)
		go r.readTCP(c)
	}
}

// readTCP reads RFC 4571 frames: a 2-byte length, then an RTP packet.
func (r *Receiver) readTCP(c net.Conn) {
	defer r.wg.Done()
	defer c.Close()
	var hdr [2]byte
	buf := make([]byte, 65536)
	for {
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint16(hdr[:]))
		if _, err := io.ReadFull(c, buf[:n]); err != nil {
			return
		}
		r.packet(buf[:n])
	}
}

// packet counts an RTP packet and keeps its payload when it carries the SSRC.
func (r *Receiver) packet(p []byte) {
	if len(p) < 12 || p[0]>>6 != 2 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ssrc != 0 && binary.BigEndian.Uint32(p[8:]) != r.ssrc {
		r.others++
		return
	}
	r.packets++
	r.last = time.Now()
	head := 12 + 4*int(p[0]&0x0f)
	if p[0]&0x10 != 0 && len(p) >= head+4 {
		head += 4 + 4*int(binary.BigEndian.Uint16(p[head+2:]))
	}
	switch {
	case head > len(p):
	case r.sink != nil:
		_, _ = r.sink.Write(p[head:])
	case r.ps.Len() < maxKept:
		r.ps.Write(p[head:])
	}
}

// Packets is the number of RTP packets received with the SSRC.
func (r *Receiver) Packets() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.packets
}

// Others is the number of RTP packets received with another SSRC.
func (r *Receiver) Others() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.others
}

// Last is when the latest packet with the SSRC arrived (zero if none).
func (r *Receiver) Last() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// Stream is a copy of the payload bytes received so far.
func (r *Receiver) Stream() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.ps.Bytes())
}

// WaitPackets waits until n packets with the SSRC arrived.
func (r *Receiver) WaitPackets(ctx context.Context, n int) error {
	for r.Packets() < n {
		select {
		case <-ctx.Done():
			return fmt.Errorf("rtprecv: %d of %d packets: %w", r.Packets(), n, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// ErrNoFFprobe is returned when ffprobe is not installed.
var ErrNoFFprobe = errors.New("rtprecv: ffprobe not installed")

// Probe writes a Program Stream to a file under dir and returns what ffprobe finds in
// it: one "codec_type,codec_name" line per stream, e.g. "video,h264".
func Probe(ctx context.Context, dir string, ps []byte) ([]string, error) {
	bin, err := exec.LookPath("ffprobe")
	if err != nil {
		return nil, ErrNoFFprobe
	}
	f := filepath.Join(dir, "stream.ps")
	if err := os.WriteFile(f, ps, 0o600); err != nil {
		return nil, err
	}
	out, err := exec.CommandContext(ctx, bin, "-v", "error", "-f", "mpeg", "-i", f,
		"-show_entries", "stream=codec_type,codec_name", "-of", "csv=p=0").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("rtprecv: ffprobe: %v: %s", err, out)
	}
	var streams []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			f := strings.Split(l, ",")
			if len(f) == 2 {
				l = f[1] + "," + f[0] // ffprobe prints in field order of the stream section
			}
			streams = append(streams, l)
		}
	}
	return streams, nil
}
