// Package sdp writes and reads the small SDP bodies of GB/T 28181 media sessions: live
// video (点播), and the playback and download of a recording; the platform's offer naming
// where the media goes, and the device's answer naming where it comes from. It knows
// only the lines those bodies use:
//
//	v=0
//	o=<user> 0 0 IN IP4 <addr>
//	s=Play                                   (Playback or Download for a recording)
//	u=<channel>:0                            (Playback and Download: the channel)
//	c=IN IP4 <addr>
//	t=0 0                                    (Playback and Download: <start> <end>, Unix seconds)
//	m=video <port> RTP/AVP 96 98 97          (TCP/RTP/AVP over TCP, RFC 4571)
//	a=recvonly                               (sendonly in the answer)
//	a=setup:passive                          (TCP only: the offerer listens)
//	a=connection:new                         (TCP only)
//	a=downloadspeed:4                        (Download only: times real time)
//	a=rtpmap:96 PS/90000
//	a=rtpmap:98 H264/90000
//	a=rtpmap:97 MPEG4/90000
//	y=0200000001                             (the SSRC, 10 decimal digits; 1 first for a recording)
//
// Parse is lenient about order, unknown lines and line endings, as devices vary; it fails
// only when an answer lacks what a media session needs (an address and a port).
package sdp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Session is one side of a GB/T 28181 media session.
type Session struct {
	// User is the o= user name: the sender's GB ID.
	User string
	// Name is the s= line: Play (live video, the default), Playback or Download.
	Name string
	// URI is the u= line, "<channel>:0" for a Playback or Download; "" writes none.
	URI string
	// Start and End are the t= line: the recording's span in Unix seconds for a
	// Playback or Download, 0 0 for live video.
	Start, End int64
	// Addr and Port are where the media goes (offer) or comes from (answer).
	Addr string
	Port int
	// TCP selects TCP/RTP/AVP (RFC 4571 framing) instead of RTP/AVP over UDP.
	TCP bool
	// Setup is the a=setup role over TCP: "passive" (this side listens) or "active".
	Setup string
	// Direction is "recvonly" (the platform's offer) or "sendonly" (the device's answer).
	Direction string
	// SSRC is the y= value, 10 decimal digits.
	SSRC string
	// Format is the f= line devices add to describe the stream, as sent.
	Format string
	// DownloadSpeed is a=downloadspeed of a Download: how many times faster than real
	// time the device is asked to send; 0 writes none.
	DownloadSpeed int
}

// The session names of the s= line.
const (
	NamePlay     = "Play"
	NamePlayback = "Playback"
	NameDownload = "Download"
)

// payloads are the RTP payload types the platform offers, PS first as GB/T 28181
// requires of every device.
var payloads = []struct {
	pt    int
	codec string
}{{96, "PS/90000"}, {98, "H264/90000"}, {97, "MPEG4/90000"}}

// Marshal writes s as an SDP body with CRLF line endings.
func (s Session) Marshal() []byte {
	var b strings.Builder
	line := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\r\n")
	}
	name := s.Name
	if name == "" {
		name = NamePlay
	}
	line("v=0")
	line("o=%s 0 0 IN %s %s", s.User, ipVersion(s.Addr), s.Addr)
	line("s=%s", name)
	if s.URI != "" {
		line("u=%s", s.URI)
	}
	line("c=IN %s %s", ipVersion(s.Addr), s.Addr)
	line("t=%d %d", s.Start, s.End)
	proto, pts := "RTP/AVP", ""
	if s.TCP {
		proto = "TCP/RTP/AVP"
	}
	for _, p := range payloads {
		pts += " " + strconv.Itoa(p.pt)
	}
	line("m=video %d %s%s", s.Port, proto, pts)
	if s.Direction != "" {
		line("a=%s", s.Direction)
	}
	if s.TCP {
		setup := s.Setup
		if setup == "" {
			setup = "passive"
		}
		line("a=setup:%s", setup)
		line("a=connection:new")
	}
	if s.DownloadSpeed > 0 {
		line("a=downloadspeed:%d", s.DownloadSpeed)
	}
	for _, p := range payloads {
		line("a=rtpmap:%d %s", p.pt, p.codec)
	}
	if s.SSRC != "" {
		line("y=%s", s.SSRC)
	}
	if s.Format != "" {
		line("f=%s", s.Format)
	}
	return []byte(b.String())
}

func ipVersion(addr string) string {
	if strings.Contains(addr, ":") {
		return "IP6"
	}
	return "IP4"
}

// maxFieldLen bounds each field Parse keeps: what a device writes ends up in a Stream's
// status.
const maxFieldLen = 256

// keep returns a copy of a field of the body, cut to maxFieldLen bytes, so that a kept
// Session does not hold the whole body alive.
func keep(field string) string {
	if len(field) > maxFieldLen {
		field = field[:maxFieldLen]
	}
	return strings.Clone(field)
}

// ErrIncomplete is returned (wrapped) for a body without a media address or port.
var ErrIncomplete = errors.New("sdp: no media address or port")

// Parse reads a GB/T 28181 SDP body.
func Parse(body []byte) (Session, error) {
	var s Session
	var sessionAddr, mediaAddr string
	inMedia := false
	for _, raw := range strings.Split(string(body), "\n") {
		l := strings.TrimRight(raw, "\r ")
		if len(l) < 2 || l[1] != '=' {
			continue
		}
		v := l[2:]
		switch l[0] {
		case 'o':
			if f := strings.Fields(v); len(f) > 0 {
				s.User = f[0]
			}
		case 's':
			s.Name = v
		case 'u':
			s.URI = v
		case 't':
			s.Start, s.End = parseTimes(v)
		case 'c':
			if f := strings.Fields(v); len(f) == 3 {
				if inMedia {
					mediaAddr = f[2]
				} else {
					sessionAddr = f[2]
				}
			}
		case 'm':
			f := strings.Fields(v)
			if len(f) < 3 || f[0] != "video" || inMedia {
				continue // only the first video description is the stream
			}
			inMedia = true
			port, err := strconv.Atoi(f[1])
			if err != nil || port < 0 || port > 65535 {
				return s, fmt.Errorf("sdp: bad media port %q", f[1])
			}
			s.Port = port
			s.TCP = strings.HasPrefix(strings.ToUpper(f[2]), "TCP/")
		case 'a':
			s.attribute(v)
		case 'y':
			s.SSRC = strings.TrimSpace(v)
		case 'f':
			s.Format = v
		}
	}
	s.Addr = sessionAddr
	if mediaAddr != "" {
		s.Addr = mediaAddr
	}
	s.User, s.Name, s.URI, s.Addr, s.Setup = keep(s.User), keep(s.Name), keep(s.URI), keep(s.Addr), keep(s.Setup)
	s.Direction, s.SSRC, s.Format = keep(s.Direction), keep(s.SSRC), keep(s.Format)
	if s.Addr == "" || !inMedia {
		return s, ErrIncomplete
	}
	return s, nil
}

// attribute reads an a= line the session keeps: the direction, the TCP setup role, a
// download's speed.
func (s *Session) attribute(v string) {
	switch {
	case v == "recvonly" || v == "sendonly" || v == "sendrecv" || v == "inactive":
		s.Direction = v
	case strings.HasPrefix(v, "setup:"):
		s.Setup = strings.TrimPrefix(v, "setup:")
	case strings.HasPrefix(v, "downloadspeed:"):
		if n, err := strconv.Atoi(strings.TrimPrefix(v, "downloadspeed:")); err == nil && n > 0 && n <= maxDownloadSpeed {
			s.DownloadSpeed = n
		}
	}
}

// maxDownloadSpeed bounds the a=downloadspeed Parse keeps; devices offer up to 16 or 32.
const maxDownloadSpeed = 256

// parseTimes reads a t= line's start and stop; what does not parse as two non-negative
// numbers reads as 0 0, the unbounded session of live video.
func parseTimes(v string) (start, end int64) {
	f := strings.Fields(v)
	if len(f) != 2 {
		return 0, 0
	}
	a, err1 := strconv.ParseInt(f[0], 10, 64)
	b, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil || a < 0 || b < 0 {
		return 0, 0
	}
	return a, b
}
