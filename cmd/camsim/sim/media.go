package sim

import (
	"context"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/gb28181/camera-operator/sipd/sdp"
)

// The media a simulated device plays: a two-second H.264 clip of ffmpeg's test pattern
// (320x240, 25 fps, baseline, a key frame every second), looped, muxed into MPEG-PS and
// sent as RTP to where the platform's offer pointed, as a camera does after the ACK.

//go:embed testdata/clip.h264
var clip []byte

// clipFrames is the clip cut into access units, once.
var clipFrames = sync.OnceValue(func() []accessUnit { return splitAccessUnits(clip) })

const (
	// frameInterval is the clip's frame period (25 fps).
	frameInterval = 40 * time.Millisecond
	// ticksPerFrame is frameInterval on the 90 kHz RTP and PS clocks.
	ticksPerFrame = 90000 / 25
)

// MediaConfig configures what a device does with live video requests.
type MediaConfig struct {
	// ByeAfter makes the device end each stream itself with a BYE after this long, as a
	// device does when its stream ends (0: never).
	ByeAfter time.Duration
	// MaxStreams bounds the streams the device plays at once (default 4, a camera's
	// usual limit); more INVITEs get 486 Busy Here.
	MaxStreams int
}

func (c MediaConfig) maxStreams() int {
	if c.MaxStreams <= 0 {
		return 4
	}
	return c.MaxStreams
}

// rtpWriter sends RTP packets over one media transport.
type rtpWriter interface {
	write(pkt []byte) error
	Close() error
}

type udpWriter struct{ net.Conn }

// write ignores a refused datagram: the receiver may open its port after the ACK, and
// a camera keeps sending regardless.
func (w udpWriter) write(pkt []byte) error {
	_, err := w.Write(pkt)
	if errors.Is(err, syscall.ECONNREFUSED) {
		return nil
	}
	return err
}

// tcpWriter frames packets with a 2-byte length (RFC 4571), as TCP/RTP/AVP requires.
type tcpWriter struct{ net.Conn }

func (w tcpWriter) write(pkt []byte) error {
	if len(pkt) > 0xffff {
		return errors.New("sim: RTP packet too long for RFC 4571 framing")
	}
	buf := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(pkt)), uint16(len(pkt)))
	_, err := w.Write(append(buf, pkt...))
	return err
}

// dialMedia opens the media transport to the offer's address. Over TCP the platform's
// offer says setup:passive (it listens) and the device connects; an active offer, where
// the device would listen, is not simulated.
func dialMedia(ctx context.Context, offer sdp.Session) (rtpWriter, error) {
	addr := net.JoinHostPort(offer.Addr, strconv.Itoa(offer.Port))
	var d net.Dialer
	if !offer.TCP {
		c, err := d.DialContext(ctx, "udp", addr)
		if err != nil {
			return nil, err
		}
		return udpWriter{c}, nil
	}
	if offer.Setup == "active" {
		return nil, errors.New("sim: a=setup:active (device listens) is not simulated")
	}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return tcpWriter{c}, nil
}

// parseSSRC reads the y= value: 10 decimal digits that fit 32 bits.
func parseSSRC(y string) (uint32, error) {
	n, err := strconv.ParseUint(y, 10, 32)
	if err != nil || len(y) != 10 {
		return 0, fmt.Errorf("sim: bad SSRC %q", y)
	}
	return uint32(n), nil
}

// playClip sends the clip in a loop over w until ctx ends or a write fails, paced at
// the clip's frame rate. It returns the number of RTP packets sent.
func playClip(ctx context.Context, w rtpWriter, ssrc uint32) (int, error) {
	frames := clipFrames()
	if len(frames) == 0 {
		return 0, errors.New("sim: no frames in the clip")
	}
	p := packetizer{ssrc: ssrc}
	tick := time.NewTicker(frameInterval)
	defer tick.Stop()
	sent := 0
	var pts uint64
	var ps []byte
	for i := 0; ; i++ {
		ps = muxPS(ps[:0], frames[i%len(frames)], pts)
		for _, pkt := range p.packets(ps, uint32(pts)) {
			if err := w.write(pkt); err != nil {
				return sent, err
			}
			sent++
		}
		pts += ticksPerFrame
		select {
		case <-ctx.Done():
			return sent, nil
		case <-tick.C:
		}
	}
}
