package mansrtsp

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestEncode(t *testing.T) {
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"speed", PlayScale(3, 2), "PLAY RTSP/1.0\r\nCSeq: 3\r\nScale: 2.0\r\n"},
		{"quarter speed, exactly", PlayScale(3, 0.25), "PLAY RTSP/1.0\r\nCSeq: 3\r\nScale: 0.25\r\n"},
		{"half speed", PlayScale(3, 0.5), "PLAY RTSP/1.0\r\nCSeq: 3\r\nScale: 0.5\r\n"},
		{"four times", PlayScale(3, 4), "PLAY RTSP/1.0\r\nCSeq: 3\r\nScale: 4.0\r\n"},
		{"seek", PlaySeek(4, 120*time.Second), "PLAY RTSP/1.0\r\nCSeq: 4\r\nRange: npt=120-\r\n"},
		{"seek to the start", PlaySeek(4, 0), "PLAY RTSP/1.0\r\nCSeq: 4\r\nRange: npt=0-\r\n"},
		{"seek to a fraction", PlaySeek(4, 90500*time.Millisecond), "PLAY RTSP/1.0\r\nCSeq: 4\r\nRange: npt=90.5-\r\n"},
		{"resume", PlayResume(5), "PLAY RTSP/1.0\r\nCSeq: 5\r\nRange: npt=now-\r\n"},
		{"pause", PauseNow(6), "PAUSE RTSP/1.0\r\nCSeq: 6\r\nPauseTime: now\r\n"},
		{"teardown", Request{Method: Teardown, CSeq: 7}, "TEARDOWN RTSP/1.0\r\nCSeq: 7\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.req.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("Encode = %q, want %q", got, tt.want)
			}
			back, err := Decode(got)
			if err != nil || !reflect.DeepEqual(back, tt.req) {
				t.Errorf("Decode(Encode) = %+v, %v; want %+v", back, err, tt.req)
			}
		})
	}
}

func TestEncodeRefuses(t *testing.T) {
	for name, req := range map[string]Request{
		"no CSeq":           PlayScale(0, 2),
		"huge CSeq":         PlayScale(1<<31, 2),
		"too slow":          PlayScale(1, 0.125),
		"too fast":          PlayScale(1, 8),
		"reverse":           PlayScale(1, -1),
		"negative seek":     PlaySeek(1, -time.Second),
		"unknown method":    {Method: "RECORD", CSeq: 1},
		"range on a pause":  {Method: Pause, CSeq: 1, Range: &Position{Now: true}},
		"scale on a pause":  {Method: Pause, CSeq: 1, Scale: 2},
		"pause time a play": {Method: Play, CSeq: 1, PauseTime: &Position{Now: true}},
		"pause teardown":    {Method: Teardown, CSeq: 1, PauseTime: &Position{Now: true}},
	} {
		if body, err := req.Encode(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %q, %v; want ErrInvalid", name, body, err)
		}
	}
}

// TestDecodeBodies reads the bodies WVP-GB28181-pro sends (testdata/bodies).
func TestDecodeBodies(t *testing.T) {
	for file, want := range map[string]Request{
		"wvp-pause.txt":      PauseNow(6),
		"wvp-resume.txt":     PlayResume(7),
		"wvp-seek.txt":       PlaySeek(8, 120*time.Second),
		"wvp-speed.txt":      PlayScale(9, 2),
		"wvp-speed-half.txt": PlayScale(10, 0.5),
	} {
		body, err := os.ReadFile(filepath.Join("testdata", "bodies", file))
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(body)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Decode = %+v, %v; want %+v", file, got, err, want)
		}
	}
}

func TestDecode(t *testing.T) {
	pos := func(d time.Duration) *Position { return &Position{Offset: d} }
	tests := []struct {
		name    string
		body    string
		want    Request
		wantErr error
	}{
		{name: "the standard's version token, LF, no spaces", body: "PLAY MANSRTSP/1.0\nCSeq:5\nScale:1.0\nRange:npt=196-", want: Request{Method: Play, CSeq: 5, Scale: 1, Range: pos(196 * time.Second)}},
		{name: "lower case, extra headers, trailing blank line", body: "play rtsp/1.0\r\ncseq: 2\r\nSession: 1234\r\nDate: Thu, 03 Dec 2026\r\nrange: NPT=NOW-\r\n\r\n", want: PlayResume(2)},
		{name: "decimal npt start", body: "PLAY MANSRTSP/1.0\r\nCSeq: 1\r\nRange: npt=0.000-\r\n", want: Request{Method: Play, CSeq: 1, Range: pos(0)}},
		{name: "npt end accepted, not kept", body: "PLAY RTSP/1.0\r\nCSeq: 1\r\nRange: npt=10-20.5\r\n", want: Request{Method: Play, CSeq: 1, Range: pos(10 * time.Second)}},
		{name: "h:mm:ss npt", body: "PLAY RTSP/1.0\r\nCSeq: 1\r\nRange: npt=1:02:03.5-\r\n", want: Request{Method: Play, CSeq: 1, Range: pos(3723500 * time.Millisecond)}},
		{name: "reverse play", body: "PLAY RTSP/1.0\r\nCSeq: 1\r\nScale: -2\r\n", want: Request{Method: Play, CSeq: 1, Scale: -2}},
		{name: "plain PLAY", body: "PLAY RTSP/1.0\r\nCSeq: 1\r\n", want: Request{Method: Play, CSeq: 1}},
		{name: "pause at an offset", body: "PAUSE RTSP/1.0\r\nCSeq: 1\r\nPauseTime: 30\r\n", want: Request{Method: Pause, CSeq: 1, PauseTime: pos(30 * time.Second)}},
		{name: "a range on a pause is dropped", body: "PAUSE MANSRTSP/1.0\nCSeq:5\nRange:npt=123-", want: Request{Method: Pause, CSeq: 5}},
		{name: "teardown", body: "TEARDOWN MANSRTSP/1.0\r\nCSeq: 9\r\n", want: Request{Method: Teardown, CSeq: 9}},
		{name: "RTSP request line with a URI", body: "PLAY rtsp://10.0.0.1/x RTSP/1.0\r\nCSeq: 1\r\n", want: Request{Method: Play, CSeq: 1}},
		{name: "empty", body: "", wantErr: ErrMalformed},
		{name: "not MANSRTSP", body: "<?xml version=\"1.0\"?><Notify/>", wantErr: ErrMalformed},
		{name: "unknown method", body: "RECORD RTSP/1.0\r\nCSeq: 1\r\n", wantErr: ErrMalformed},
		{name: "unknown version", body: "PLAY HTTP/1.1\r\nCSeq: 1\r\n", wantErr: ErrMalformed},
		{name: "no CSeq", body: "PLAY MANSRTSP/1.0\r\nRange: npt=0.000-\r\n", wantErr: ErrMalformed},
		{name: "CSeq twice", body: "PLAY RTSP/1.0\r\nCSeq: 1\r\nCSeq: 2\r\n", wantErr: ErrMalformed},
		{name: "CSeq 0", body: "PLAY RTSP/1.0\r\nCSeq: 0\r\n", wantErr: ErrMalformed},
		{name: "CSeq not a number", body: "PLAY RTSP/1.0\r\nCSeq: one\r\n", wantErr: ErrMalformed},
		{name: "header without colon", body: "PLAY RTSP/1.0\r\nCSeq 1\r\n", wantErr: ErrMalformed},
		{name: "scale 0", body: "PLAY RTSP/1.0\r\nCSeq: 1\r\nScale: 0\r\n", wantErr: ErrMalformed},
		{name: "scale NaN", body: "PLAY RTSP/1.0\r\nCSeq: 1\r\nScale: NaN\r\n", wantErr: ErrMalformed},
		{name: "scale absurd", body: "PLAY RTSP/1.0\r\nCSeq: 1\r\nScale: 1000\r\n", wantErr: ErrMalformed},
		{name: "clock range", body: "PLAY RTSP/1.0\r\nCSeq: 1\r\nRange: clock=20261203T000000Z-\r\n", wantErr: ErrMalformed},
		{name: "range without dash", body: "PLAY RTSP/1.0\r\nCSeq: 1\r\nRange: npt=5\r\n", wantErr: ErrMalformed},
		{name: "negative range", body: "PLAY RTSP/1.0\r\nCSeq: 1\r\nRange: npt=-5-\r\n", wantErr: ErrMalformed},
		{name: "exponent range", body: "PLAY RTSP/1.0\r\nCSeq: 1\r\nRange: npt=1e9-\r\n", wantErr: ErrMalformed},
		{name: "range end before start", body: "PLAY RTSP/1.0\r\nCSeq: 1\r\nRange: npt=20-10\r\n", wantErr: ErrMalformed},
		{name: "range beyond ten years", body: "PLAY RTSP/1.0\r\nCSeq: 1\r\nRange: npt=999999999-\r\n", wantErr: ErrMalformed},
		{name: "pause time garbage", body: "PAUSE RTSP/1.0\r\nCSeq: 1\r\nPauseTime: soon\r\n", wantErr: ErrMalformed},
		{name: "binary", body: "PLAY RTSP/1.0\r\nCSeq: 1\x00\r\n", wantErr: ErrMalformed},
		{name: "non-ASCII", body: "PLAY RTSP/1.0\r\nCSeq: 1\r\nX: 暂停\r\n", wantErr: ErrMalformed},
		{name: "too large", body: "PLAY RTSP/1.0\r\nCSeq: 1\r\nX: " + strings.Repeat("x", MaxBodySize) + "\r\n", wantErr: ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.body))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Decode(%q) = %+v, %v; want %v", tt.body, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode(%q): %v", tt.body, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode(%q) = %+v, want %+v", tt.body, got, tt.want)
			}
		})
	}
}
