package mansrtsp

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// MaxBodySize bounds a body. Real ones are under 80 bytes; a few more headers (Date,
// Session) fit many times over.
const MaxBodySize = 1024

// Version is the protocol token written on the request line. The standard writes
// MANSRTSP/1.0; WVP-GB28181-pro, the most deployed platform, writes RTSP/1.0 and
// devices play along, and the project's protocol notes follow it. Decode accepts both.
const Version = "RTSP/1.0"

// Errors. Match them with errors.Is.
var (
	// ErrTooLarge: the body exceeds MaxBodySize.
	ErrTooLarge = errors.New("mansrtsp: body too large")
	// ErrMalformed: the body is not a MANSRTSP request this package understands.
	ErrMalformed = errors.New("mansrtsp: malformed body")
	// ErrInvalid: Encode was given a request the standard does not allow.
	ErrInvalid = errors.New("mansrtsp: invalid request")
)

// Method is a MANSRTSP method.
type Method string

// Methods. TEARDOWN is decoded (some platforms send it) but platforms end a playback
// with BYE.
const (
	Play     Method = "PLAY"
	Pause    Method = "PAUSE"
	Teardown Method = "TEARDOWN"
)

// Scale bounds: the speeds devices offer, from a quarter to four times.
const (
	MinScale = 0.25
	MaxScale = 4
)

// maxDecodedScale bounds the Scale Decode accepts. Some platforms send negative
// scales (reverse play) and speeds beyond 4; the device decides what it can do.
const maxDecodedScale = 64

// maxOffset bounds a Range or PauseTime offset, far beyond any recording.
const maxOffset = 10 * 365 * 24 * time.Hour

// Position is a point in the played file: Now (where the playback is, to resume), or an
// Offset from the file's start (npt seconds, kept to the millisecond).
type Position struct {
	Now    bool
	Offset time.Duration
}

// Request is one MANSRTSP request.
type Request struct {
	Method Method
	// CSeq orders the requests of a dialog, from 1.
	CSeq int
	// Scale is a PLAY's speed (1 normal, 2 twice as fast, 0.5 half); 0 means no Scale
	// header.
	Scale float64
	// Range is where a PLAY starts; nil means no Range header.
	Range *Position
	// PauseTime is when a PAUSE takes effect; nil means no PauseTime header.
	PauseTime *Position
}

// PlayScale changes the playback speed.
func PlayScale(cseq int, scale float64) Request {
	return Request{Method: Play, CSeq: cseq, Scale: scale}
}

// PlaySeek plays from offset into the file.
func PlaySeek(cseq int, offset time.Duration) Request {
	return Request{Method: Play, CSeq: cseq, Range: &Position{Offset: offset}}
}

// PlayResume resumes a paused playback where it stopped (Range: npt=now-).
func PlayResume(cseq int) Request {
	return Request{Method: Play, CSeq: cseq, Range: &Position{Now: true}}
}

// PauseNow pauses the playback (PauseTime: now).
func PauseNow(cseq int) Request {
	return Request{Method: Pause, CSeq: cseq, PauseTime: &Position{Now: true}}
}

// Encode writes r, CRLF-terminated lines as devices expect. A request the standard
// does not allow (no CSeq, a Scale outside MinScale-MaxScale, a Range on a PAUSE...) is
// an error wrapping ErrInvalid.
func (r Request) Encode() ([]byte, error) {
	if r.CSeq < 1 || r.CSeq > math.MaxInt32 {
		return nil, fmt.Errorf("%w: CSeq %d", ErrInvalid, r.CSeq)
	}
	if err := r.checkHeaders(encodableScale); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s\r\nCSeq: %d\r\n", r.Method, Version, r.CSeq)
	if r.Scale != 0 {
		fmt.Fprintf(&b, "Scale: %s\r\n", formatScale(r.Scale))
	}
	if r.Range != nil {
		fmt.Fprintf(&b, "Range: npt=%s-\r\n", formatPosition(*r.Range))
	}
	if r.PauseTime != nil {
		fmt.Fprintf(&b, "PauseTime: %s\r\n", formatPosition(*r.PauseTime))
	}
	return b.Bytes(), nil
}

// checkHeaders checks that r's headers belong to its method and hold sane values;
// scaleOK says which speeds are.
func (r Request) checkHeaders(scaleOK func(float64) bool) error {
	switch r.Method {
	case Play:
		if r.PauseTime != nil {
			return errors.New("PauseTime on a PLAY")
		}
		if r.Scale != 0 && !scaleOK(r.Scale) {
			return fmt.Errorf("unsupported Scale %v", r.Scale)
		}
	case Pause, Teardown:
		if r.Scale != 0 || r.Range != nil {
			return fmt.Errorf("a Scale or Range on a %s", r.Method)
		}
		if r.Method == Teardown && r.PauseTime != nil {
			return errors.New("PauseTime on a TEARDOWN")
		}
	default:
		return fmt.Errorf("method %q", r.Method)
	}
	for _, p := range []*Position{r.Range, r.PauseTime} {
		if p != nil && !p.Now && (p.Offset < 0 || p.Offset > maxOffset) {
			return fmt.Errorf("offset %v", p.Offset)
		}
	}
	return nil
}

// encodableScale is a speed the platform sends: MinScale to MaxScale.
func encodableScale(s float64) bool { return s >= MinScale && s <= MaxScale }

// decodableScale is a speed a device is asked for: forward or reverse, up to
// maxDecodedScale.
func decodableScale(s float64) bool { return math.Abs(s) <= maxDecodedScale }

// formatScale writes 2 as 2.0, as platforms do, and other speeds exactly (0.25, not
// the 0.3 of a one-decimal format).
func formatScale(s float64) string {
	if s == math.Trunc(s) {
		return strconv.FormatFloat(s, 'f', 1, 64)
	}
	return strconv.FormatFloat(s, 'f', -1, 64)
}

// formatPosition writes now, or the offset in seconds to the millisecond, decimals
// only when needed.
func formatPosition(p Position) string {
	if p.Now {
		return "now"
	}
	return strconv.FormatFloat(float64(p.Offset.Round(time.Millisecond).Milliseconds())/1000, 'f', -1, 64)
}

// Decode reads a MANSRTSP request. It is lenient where platforms differ (RTSP/1.0 or
// MANSRTSP/1.0, LF or CRLF, a space after the colon or none, header names in any case,
// headers it does not know or that belong to another method, an npt end it does not
// use, h:mm:ss offsets, negative and fast scales) and strict where the request could
// not be acted on: no CSeq, an unknown method, a value that does not parse.
func Decode(body []byte) (Request, error) {
	if len(body) > MaxBodySize {
		return Request{}, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(body), MaxBodySize)
	}
	for _, c := range body {
		if (c < 0x20 && c != '\r' && c != '\n' && c != '\t') || c > 0x7e {
			return Request{}, fmt.Errorf("%w: byte %#x", ErrMalformed, c)
		}
	}
	lines := strings.Split(strings.TrimLeft(string(body), "\r\n\t "), "\n")
	r, err := requestLine(strings.TrimSpace(lines[0]))
	if err != nil {
		return Request{}, err
	}
	seen := map[string]bool{}
	for _, line := range lines[1:] {
		line = strings.TrimSpace(line)
		if line == "" {
			break // the end of the headers; MANSRTSP has no body
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return Request{}, fmt.Errorf("%w: header line %q", ErrMalformed, line)
		}
		name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
		switch name {
		case "cseq", "scale", "range", "pausetime":
			if seen[name] {
				return Request{}, fmt.Errorf("%w: %s twice", ErrMalformed, name)
			}
			seen[name] = true
		default:
			continue
		}
		if err := r.setHeader(name, value); err != nil {
			return Request{}, fmt.Errorf("%w: %s: %v", ErrMalformed, name, err)
		}
	}
	if !seen["cseq"] {
		return Request{}, fmt.Errorf("%w: no CSeq", ErrMalformed)
	}
	// A header of another method's (a Range on a PAUSE) is dropped, not refused: the
	// device does what the method says.
	if r.Method != Play {
		r.Scale, r.Range = 0, nil
	}
	if r.Method != Pause {
		r.PauseTime = nil
	}
	if err := r.checkHeaders(decodableScale); err != nil {
		return Request{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return r, nil
}

// requestLine reads "METHOD VERSION" (or "METHOD URI VERSION", as in RTSP proper).
func requestLine(line string) (Request, error) {
	f := strings.Fields(line)
	if len(f) != 2 && len(f) != 3 {
		return Request{}, fmt.Errorf("%w: request line %q", ErrMalformed, line)
	}
	version := strings.ToUpper(f[len(f)-1])
	if version != "RTSP/1.0" && version != "MANSRTSP/1.0" {
		return Request{}, fmt.Errorf("%w: version %q", ErrMalformed, f[len(f)-1])
	}
	m := Method(strings.ToUpper(f[0]))
	switch m {
	case Play, Pause, Teardown:
		return Request{Method: m}, nil
	}
	return Request{}, fmt.Errorf("%w: method %q", ErrMalformed, f[0])
}

func (r *Request) setHeader(name, value string) error {
	switch name {
	case "cseq":
		n, err := strconv.Atoi(value)
		if err != nil || n < 1 || n > math.MaxInt32 {
			return fmt.Errorf("%q is not a sequence number", value)
		}
		r.CSeq = n
	case "scale":
		s, err := strconv.ParseFloat(value, 64)
		if err != nil || s == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
			return fmt.Errorf("%q is not a speed", value)
		}
		r.Scale = s
	case "range":
		spec, ok := cutPrefixFold(value, "npt=")
		if !ok {
			return fmt.Errorf("%q is not an npt range", value)
		}
		start, end, ok := strings.Cut(spec, "-")
		if !ok {
			return fmt.Errorf("%q has no '-'", value)
		}
		p, err := parsePosition(start)
		if err != nil {
			return err
		}
		if end = strings.TrimSpace(end); end != "" {
			// Read to refuse garbage, not kept: a playback runs to the end of its file.
			e, err := parsePosition(end)
			if err != nil || e.Now || (!p.Now && e.Offset < p.Offset) {
				return fmt.Errorf("range end %q", end)
			}
		}
		r.Range = &p
	case "pausetime":
		p, err := parsePosition(value)
		if err != nil {
			return err
		}
		r.PauseTime = &p
	}
	return nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}

// parsePosition reads now, seconds (120, 120.5) or h:mm:ss(.frac).
func parsePosition(s string) (Position, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "now") {
		return Position{Now: true}, nil
	}
	seconds, err := parseNPT(s)
	if err != nil || seconds < 0 || seconds > maxOffset.Seconds() {
		return Position{}, fmt.Errorf("npt time %q", s)
	}
	return Position{Offset: time.Duration(math.Round(seconds*1000)) * time.Millisecond}, nil
}

func parseNPT(s string) (float64, error) {
	parts := strings.Split(s, ":")
	switch len(parts) {
	case 1:
		return parseDecimal(s)
	case 3:
		h, err1 := strconv.ParseUint(parts[0], 10, 32)
		m, err2 := strconv.ParseUint(parts[1], 10, 8)
		sec, err3 := parseDecimal(parts[2])
		if err1 != nil || err2 != nil || err3 != nil || m > 59 || sec >= 60 {
			return 0, errors.New("not h:mm:ss")
		}
		return float64(h)*3600 + float64(m)*60 + sec, nil
	}
	return 0, errors.New("not an npt time")
}

// parseDecimal reads digits with an optional fraction: no sign, exponent, hex, NaN or
// infinity, which strconv.ParseFloat would take.
func parseDecimal(s string) (float64, error) {
	if s == "" || s == "." {
		return 0, errors.New("empty")
	}
	for _, c := range s {
		if (c < '0' || c > '9') && c != '.' {
			return 0, errors.New("not a decimal")
		}
	}
	return strconv.ParseFloat(s, 64)
}
