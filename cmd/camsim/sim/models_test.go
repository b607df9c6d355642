package sim

// Table tests of the pure models behind the device: the recording timeline, the play
// request an INVITE carries, the PTZ kinematics.

import (
	"testing"
	"time"

	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// TestRecordTimeline: the schedule's segments are aligned on the epoch, lie wholly
// inside the span and before now, leave the gaps empty, every fourth is an alarm
// recording, and a limit keeps the earliest.
func TestRecordTimeline(t *testing.T) {
	c := RecordConfig{Span: time.Hour, Segment: 10 * time.Minute, Gap: 5 * time.Minute}
	if err := c.setDefaults(); err != nil {
		t.Fatal(err)
	}
	// 1,800,000,000 is a multiple of the 15-minute period: segments start at now-60m,
	// -45m, -30m and -15m and last 10 minutes.
	now := time.Unix(1_800_000_000, 0)
	at := func(m int) time.Time { return now.Add(time.Duration(m) * time.Minute) }
	type seg struct {
		start, end int
		kind       string
	}
	tests := []struct {
		name     string
		cfg      RecordConfig
		from, to time.Time
		now      time.Time
		limit    int
		want     []seg
	}{
		{name: "the whole span", cfg: c, from: at(-120), to: now, now: now, limit: 100,
			want: []seg{{-60, -50, "time"}, {-45, -35, "time"}, {-30, -20, "time"}, {-15, -5, "alarm"}}},
		{name: "a gap", cfg: c, from: at(-34), to: at(-31), now: now, limit: 100},
		{name: "overlapping two", cfg: c, from: at(-36), to: at(-25), now: now, limit: 100,
			want: []seg{{-45, -35, "time"}, {-30, -20, "time"}}},
		{name: "limited", cfg: c, from: at(-120), to: now, now: now, limit: 2,
			want: []seg{{-60, -50, "time"}, {-45, -35, "time"}}},
		{name: "the segment running is not a file yet", cfg: c, from: at(-20), to: at(10), now: at(3), limit: 100,
			want: []seg{{-15, -5, "alarm"}}},
		{name: "no span, no recordings", cfg: RecordConfig{Segment: time.Minute}, from: at(-120), to: now, now: now, limit: 100},
		{name: "backwards range", cfg: c, from: now, to: at(-60), now: now, limit: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cfg.segmentsBetween(tt.from, tt.to, tt.now, tt.limit)
			if len(got) != len(tt.want) {
				t.Fatalf("%d segments %+v, want %+v", len(got), got, tt.want)
			}
			for i, w := range tt.want {
				if !got[i].start.Equal(at(w.start)) || !got[i].end.Equal(at(w.end)) || got[i].kind != w.kind {
					t.Errorf("segment %d = %v-%v %s, want %v-%v %s", i, got[i].start, got[i].end, got[i].kind, at(w.start), at(w.end), w.kind)
				}
			}
		})
	}
}

// TestParsePlayRequest reads the lines a playback or download INVITE adds to a live one.
func TestParsePlayRequest(t *testing.T) {
	live := "v=0\r\ns=Play\r\nt=0 0\r\n"
	playback := "v=0\r\ns=Playback\r\nu=34020000001310000001:0\r\nt=1800000000 1800000600\r\n"
	download := "v=0\r\ns=Download\r\nu=34020000001310000001:0\r\nt=1800000000 1800000600\r\na=downloadspeed:4\r\n"
	tests := []struct {
		name, body string
		want       playRequest
		wantErr    bool
	}{
		{name: "live", body: live, want: playRequest{kind: sessionPlay, speed: 1}},
		{name: "no s= line", body: "v=0\r\n", want: playRequest{kind: sessionPlay, speed: 1}},
		{name: "playback", body: playback, want: playRequest{kind: sessionPlayback, channel: "34020000001310000001", start: time.Unix(1800000000, 0), end: time.Unix(1800000600, 0), speed: 1}},
		{name: "download", body: download, want: playRequest{kind: sessionDownload, channel: "34020000001310000001", start: time.Unix(1800000000, 0), end: time.Unix(1800000600, 0), speed: 4}},
		{name: "LF line ends", body: "s=Playback\nt=1800000000 1800000001\n", want: playRequest{kind: sessionPlayback, start: time.Unix(1800000000, 0), end: time.Unix(1800000001, 0), speed: 1}},
		{name: "playback without a range", body: "s=Playback\r\nt=0 0\r\n", wantErr: true},
		{name: "range backwards", body: "s=Playback\r\nt=1800000600 1800000000\r\n", wantErr: true},
		{name: "range not numbers", body: "s=Playback\r\nt=now later\r\n", wantErr: true},
		{name: "download too fast", body: "s=Download\r\nt=1800000000 1800000600\r\na=downloadspeed:1000\r\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePlayRequest([]byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && (got.kind != tt.want.kind || got.channel != tt.want.channel || !got.start.Equal(tt.want.start) || !got.end.Equal(tt.want.end) || got.speed != tt.want.speed) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestPTZModel: positions follow speed times time, a preset goto lands on the stored
// position and stops, a stop ends a tour.
func TestPTZModel(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	var p ptzState
	steps := []struct {
		at   float64
		in   any
		want PTZPosition
	}{
		{0, movePTZ(10, 0, 0), PTZPosition{}},
		{2, movePTZ(0, -5, 1), PTZPosition{Pan: 20}},
		{4, presetSet(1), PTZPosition{Pan: 20, Tilt: -10, Zoom: 2}},
		{5, movePTZ(0, 0, 0), PTZPosition{Pan: 20, Tilt: -15, Zoom: 3}},
		{9, presetGoto(1), PTZPosition{Pan: 20, Tilt: -10, Zoom: 2}},
	}
	for _, s := range steps {
		if err := p.apply(s.in.(ptzInstruction), at(s.at)); err != nil {
			t.Fatalf("at %vs: %v", s.at, err)
		}
		if got := p.position(at(s.at)); got != s.want {
			t.Errorf("at %vs after %T: %+v, want %+v", s.at, s.in, got, s.want)
		}
	}
	if got := p.position(at(20)); got != (PTZPosition{Pan: 20, Tilt: -10, Zoom: 2}) {
		t.Errorf("moved after a preset goto: %+v", got)
	}
	if err := p.apply(presetGoto(9), at(21)); err == nil {
		t.Error("going to a preset never set succeeded")
	}
}

type ptzInstruction = manscdp.PTZInstruction

func movePTZ(pan, tilt, zoom int) manscdp.PTZInstruction {
	return manscdp.PTZMove{Pan: pan, Tilt: tilt, Zoom: zoom}
}
func presetSet(i int) manscdp.PTZInstruction  { return manscdp.PresetSet{Index: i} }
func presetGoto(i int) manscdp.PTZInstruction { return manscdp.PresetGoto{Index: i} }
