package sdp

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"
)

func TestMarshalParseRoundTrip(t *testing.T) {
	for _, s := range []Session{
		{User: "34020000002000000001", Name: "Play", Addr: "10.0.0.5", Port: 30000, Direction: "recvonly", SSRC: "0200000001"},
		{User: "34020000002000000001", Name: "Play", Addr: "10.0.0.5", Port: 30002, TCP: true, Setup: "passive", Direction: "recvonly", SSRC: "0200000002"},
		{User: "34020000001320000001", Name: "Play", Addr: "::1", Port: 15060, Direction: "sendonly", SSRC: "0200000003", Format: "v/2/4/25/1/4096a///"},
	} {
		got, err := Parse(s.Marshal())
		if err != nil {
			t.Fatalf("%+v: %v", s, err)
		}
		if got != s {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, s)
		}
	}
}

func TestMarshalIsGBOffer(t *testing.T) {
	body := string(Session{User: "34020000002000000001", Addr: "10.0.0.5", Port: 30000, TCP: true, Direction: "recvonly", SSRC: "0200000001"}.Marshal())
	for _, want := range []string{
		"s=Play\r\n", "c=IN IP4 10.0.0.5\r\n", "m=video 30000 TCP/RTP/AVP 96 98 97\r\n", "a=recvonly\r\n",
		"a=setup:passive\r\n", "a=rtpmap:96 PS/90000\r\n", "a=rtpmap:98 H264/90000\r\n", "a=rtpmap:97 MPEG4/90000\r\n", "y=0200000001\r\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("offer lacks %q:\n%s", want, body)
		}
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       Session
		err        error
	}{
		{"media c= wins, LF endings", "v=0\no=dev 0 0 IN IP4 1.1.1.1\ns=Play\nc=IN IP4 1.1.1.1\nt=0 0\nm=video 5000 RTP/AVP 96\nc=IN IP4 2.2.2.2\na=sendonly\ny=0100000001\n",
			Session{User: "dev", Name: "Play", Addr: "2.2.2.2", Port: 5000, Direction: "sendonly", SSRC: "0100000001"}, nil},
		{"audio line ignored", "c=IN IP4 1.1.1.1\nm=audio 8000 RTP/AVP 8\nm=video 5002 RTP/AVP 96\n",
			Session{Addr: "1.1.1.1", Port: 5002}, nil},
		{"no media", "v=0\nc=IN IP4 1.1.1.1\n", Session{Addr: "1.1.1.1"}, ErrIncomplete},
		{"no address", "m=video 5000 RTP/AVP 96\n", Session{Port: 5000}, ErrIncomplete},
		{"garbage", "\x00\xff=\n==\n", Session{}, ErrIncomplete},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse([]byte(tc.body))
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	if _, err := Parse([]byte("c=IN IP4 1.1.1.1\nm=video 99999 RTP/AVP 96\n")); err == nil {
		t.Error("port 99999 accepted")
	}
}

// TestParseKeepsNoBody: what Parse keeps is copied and bounded, so Sessions kept from
// answers padded to 40 KB hold neither their bodies nor more than the bound.
func TestParseKeepsNoBody(t *testing.T) {
	const answers = 200
	body := []byte("v=0\r\no=34020000001320000001 0 0 IN IP4 10.0.0.9\r\ns=Play\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\nm=video 6000 RTP/AVP 96\r\na=sendonly\r\ny=0200000001\r\nf=" + strings.Repeat("v", 40000) + "\r\n")
	kept := make([]Session, 0, answers)
	before := heapInUse()
	for range answers {
		s, err := Parse(bytes.Clone(body))
		if err != nil {
			t.Fatal(err)
		}
		kept = append(kept, s)
	}
	perAnswer := (heapInUse() - before) / answers
	t.Logf("heap per kept answer: %d bytes (body %d bytes)", perAnswer, len(body))
	if perAnswer > 2048 {
		t.Errorf("a kept answer holds %d bytes: Parse keeps the body", perAnswer)
	}
	if len(kept[0].Format) > maxFieldLen {
		t.Errorf("f= kept at %d bytes, bound %d", len(kept[0].Format), maxFieldLen)
	}
	runtime.KeepAlive(kept)
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// TestPlaybackOffer: a Playback or Download offer carries what GB/T 28181 §9.8/§9.9 asks
// beside a live one: s=Playback or s=Download, u=<channel>:0 after s=, t= with the
// recording's span in Unix seconds, and a=downloadspeed for a Download; Parse reads
// them back.
func TestPlaybackOffer(t *testing.T) {
	for _, tc := range []struct {
		name  string
		s     Session
		want  []string
		never []string
	}{
		{"playback", Session{User: "34020000002000000001", Name: NamePlayback, URI: "34020000001310000001:0", Addr: "10.0.0.5", Port: 30000, Direction: "recvonly", SSRC: "1200000001", Start: 1796342400, End: 1796344200},
			[]string{"s=Playback\r\nu=34020000001310000001:0\r\nc=IN IP4 10.0.0.5\r\nt=1796342400 1796344200\r\n", "y=1200000001\r\n"},
			[]string{"downloadspeed"}},
		{"download", Session{User: "34020000002000000001", Name: NameDownload, URI: "34020000001310000001:0", Addr: "10.0.0.5", Port: 30000, TCP: true, Setup: "passive", Direction: "recvonly", SSRC: "1200000002", Start: 1796342400, End: 1796344200, DownloadSpeed: 4},
			[]string{"s=Download\r\nu=34020000001310000001:0\r\n", "t=1796342400 1796344200\r\n", "a=downloadspeed:4\r\n", "m=video 30000 TCP/RTP/AVP 96 98 97\r\n"},
			nil},
		{"live", Session{User: "34020000002000000001", Addr: "10.0.0.5", Port: 30000, Direction: "recvonly", SSRC: "0200000001"},
			[]string{"s=Play\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n"},
			[]string{"u=", "downloadspeed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := string(tc.s.Marshal())
			for _, want := range tc.want {
				if !strings.Contains(body, want) {
					t.Errorf("offer lacks %q:\n%s", want, body)
				}
			}
			for _, never := range tc.never {
				if strings.Contains(body, never) {
					t.Errorf("offer has %q:\n%s", never, body)
				}
			}
			got, err := Parse([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			want := tc.s
			if want.Name == "" {
				want.Name = NamePlay
			}
			if got != want {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestParsePlaybackLines: what devices write in the playback lines is read leniently:
// a t= that is not two numbers is the unbounded 0 0, and an absurd download speed is
// not kept.
func TestParsePlaybackLines(t *testing.T) {
	for _, tc := range []struct {
		body       string
		start, end int64
		speed      int
	}{
		{"c=IN IP4 1.1.1.1\nt=1 2\nm=video 5000 RTP/AVP 96\na=downloadspeed:8\n", 1, 2, 8},
		{"c=IN IP4 1.1.1.1\nt=now later\nm=video 5000 RTP/AVP 96\na=downloadspeed:-1\n", 0, 0, 0},
		{"c=IN IP4 1.1.1.1\nt=-5 9\nm=video 5000 RTP/AVP 96\na=downloadspeed:99999999999\n", 0, 0, 0},
	} {
		s, err := Parse([]byte(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		if s.Start != tc.start || s.End != tc.end || s.DownloadSpeed != tc.speed {
			t.Errorf("%q: t=%d %d speed %d, want %d %d %d", tc.body, s.Start, s.End, s.DownloadSpeed, tc.start, tc.end, tc.speed)
		}
	}
}
