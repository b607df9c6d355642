package sipd_test

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/gb28181/camera-operator/sipd"
	"github.com/gb28181/camera-operator/sipd/manscdp"
)

// The device's side of one query, played over a bare socket: read the request, answer
// the MESSAGE with code, then send each Response body as a MESSAGE of its own (a body
// given twice is a retransmission of the first).
type deviceSide struct {
	code      int
	responses func(q *manscdp.Message) [][]byte
}

// play answers the next request p receives and returns its decoded body.
func (d deviceSide) play(t *testing.T, p *rawPeer) *manscdp.Message {
	t.Helper()
	req := readRequest(t, p)
	if req.Method != sip.MESSAGE {
		t.Fatalf("%s, want MESSAGE", req.Method)
	}
	q, err := manscdp.Decode(req.Body(), "")
	if err != nil {
		t.Fatalf("undecodable request body %q: %v", req.Body(), err)
	}
	code := d.code
	if code == 0 {
		code = 200
	}
	p.send(sip.NewResponseFromRequest(req, code, "Reason "+strconv.Itoa(code), nil).String())
	if d.responses == nil {
		return q
	}
	for i, body := range d.responses(q) {
		// A body sent twice is sent as a retransmission: the same Call-ID and CSeq.
		id := crc32.ChecksumIEEE(body)
		res := p.exchange(messageText(devID, fmt.Sprintf("r%d%d", q.SN, i), 1, fmt.Sprintf("resp-%d-%x", q.SN, id), string(body), len(body)))
		if res.StatusCode != 200 {
			t.Fatalf("Response %d answered %d %s", i, res.StatusCode, res.Reason)
		}
	}
	return q
}

// encoded returns a function that takes an encoder's results and fails t on its error.
func encoded(t *testing.T) func([]byte, error) []byte {
	return func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

// TestDeviceQueries: each query and command of message_device.go sends its body and
// returns what the device answered, its refusal, or its silence.
func TestDeviceQueries(t *testing.T) {
	dev := sipd.DeviceRef{ID: devID}
	const channel = "34020000001310000007"
	result := func(cmd string, ok bool) func(q *manscdp.Message) [][]byte {
		return func(q *manscdp.Message) [][]byte {
			return [][]byte{encoded(t)(manscdp.EncodeResultResponse(cmd, q.SN, q.DeviceID, ok, "UTF-8"))}
		}
	}
	cases := []struct {
		name string
		// call runs the query and checks its outcome.
		call   func(ctx context.Context, s *sipd.Server) error
		device deviceSide
		// wantCmd and wantTarget are the request's CmdType and DeviceID.
		wantCmd, wantTarget string
	}{
		{
			name: "DeviceStatus",
			call: func(ctx context.Context, s *sipd.Server) error {
				st, err := s.QueryDeviceStatus(ctx, dev)
				if err != nil {
					return err
				}
				if st.Online != manscdp.Online || st.Record != manscdp.On || st.DeviceTime != "2026-12-03T10:00:00" || len(st.Alarms) != 1 {
					return fmt.Errorf("status %+v", st)
				}
				return nil
			},
			device: deviceSide{responses: func(q *manscdp.Message) [][]byte {
				return [][]byte{encoded(t)(manscdp.EncodeDeviceStatusResponse(q.SN, manscdp.DeviceStatus{
					DeviceID: devID, Online: manscdp.Online, Encode: manscdp.On, Record: manscdp.On, DeviceTime: "2026-12-03T10:00:00",
					Alarms: []manscdp.AlarmStatus{{DeviceID: channel, DutyStatus: manscdp.DutyOn}},
				}, "GB2312"))}
			}},
			wantCmd: "DeviceStatus", wantTarget: devID,
		},
		{
			name: "BasicParam",
			call: func(ctx context.Context, s *sipd.Server) error {
				p, err := s.QueryBasicParam(ctx, dev)
				if err != nil {
					return err
				}
				if p.HeartBeatInterval != 60 || p.HeartBeatCount != 3 || p.Expiration != 3600 {
					return fmt.Errorf("basic param %+v", p)
				}
				return nil
			},
			device: deviceSide{responses: func(q *manscdp.Message) [][]byte {
				return [][]byte{encoded(t)(manscdp.EncodeConfigDownloadResponse(q.SN, devID, manscdp.BasicParam{Name: "cam", Expiration: 3600, HeartBeatInterval: 60, HeartBeatCount: 3}, "UTF-8"))}
			}},
			wantCmd: "ConfigDownload", wantTarget: devID,
		},
		{
			name: "DeviceConfig accepted",
			call: func(ctx context.Context, s *sipd.Server) error {
				return s.ConfigureBasic(ctx, dev, manscdp.BasicConfig{HeartBeatInterval: 30})
			},
			device:  deviceSide{responses: result("DeviceConfig", true)},
			wantCmd: "DeviceConfig", wantTarget: devID,
		},
		{
			name: "DeviceConfig refused",
			call: func(ctx context.Context, s *sipd.Server) error {
				err := s.ConfigureBasic(ctx, dev, manscdp.BasicConfig{HeartBeatInterval: 30})
				if re := (*sipd.ResultError)(nil); !errors.As(err, &re) || re.Result != "ERROR" {
					return fmt.Errorf("refused DeviceConfig: %v, want a ResultError", err)
				}
				return nil
			},
			device:  deviceSide{responses: result("DeviceConfig", false)},
			wantCmd: "DeviceConfig", wantTarget: devID,
		},
		{
			name: "PTZ: the MESSAGE's 200 is the answer",
			call: func(ctx context.Context, s *sipd.Server) error {
				return s.Control(ctx, dev, channel, manscdp.PTZControl{Cmd: manscdp.NewPTZCmd(manscdp.PTZMove{Pan: 30})})
			},
			wantCmd: "DeviceControl", wantTarget: channel,
		},
		{
			name: "PTZ refused by the MESSAGE's answer",
			call: func(ctx context.Context, s *sipd.Server) error {
				err := s.Control(ctx, dev, channel, manscdp.PTZControl{Cmd: manscdp.NewPTZCmd(manscdp.PTZMove{})})
				if qe := (*sipd.QueryError)(nil); !errors.As(err, &qe) || qe.Code != 403 {
					return fmt.Errorf("PTZ answered 403: %v, want a QueryError 403", err)
				}
				return nil
			},
			device:  deviceSide{code: 403},
			wantCmd: "DeviceControl", wantTarget: channel,
		},
		{
			name:    "GuardCmd waits for its Result",
			call:    func(ctx context.Context, s *sipd.Server) error { return s.Control(ctx, dev, "", manscdp.GuardSet) },
			device:  deviceSide{responses: result("DeviceControl", true)},
			wantCmd: "DeviceControl", wantTarget: devID,
		},
		{
			name: "GuardCmd refused",
			call: func(ctx context.Context, s *sipd.Server) error {
				if err := s.Control(ctx, dev, "", manscdp.GuardSet); !errors.As(err, new(*sipd.ResultError)) {
					return fmt.Errorf("refused GuardCmd: %v, want a ResultError", err)
				}
				return nil
			},
			device:  deviceSide{responses: result("DeviceControl", false)},
			wantCmd: "DeviceControl", wantTarget: devID,
		},
		{
			name: "GuardCmd accepted and never answered",
			call: func(ctx context.Context, s *sipd.Server) error {
				ctx, cancel := context.WithTimeout(ctx, time.Second)
				defer cancel()
				if err := s.Control(ctx, dev, "", manscdp.GuardSet); !errors.Is(err, sipd.ErrNoAnswer) || !errors.Is(err, context.DeadlineExceeded) {
					return fmt.Errorf("unanswered GuardCmd: %v, want ErrNoAnswer and the deadline", err)
				}
				return nil
			},
			wantCmd: "DeviceControl", wantTarget: devID,
		},
		{
			name: "PresetQuery",
			call: func(ctx context.Context, s *sipd.Server) error {
				p, err := s.QueryPresets(ctx, dev, channel)
				if err != nil {
					return err
				}
				if p.DeviceID != channel || len(p.Items) != 2 || p.Items[1].ID != 7 || p.Items[1].Name != "大门" {
					return fmt.Errorf("presets %+v", p)
				}
				return nil
			},
			device: deviceSide{responses: func(q *manscdp.Message) [][]byte {
				return [][]byte{encoded(t)(manscdp.EncodePresetQueryResponse(q.SN, channel, []manscdp.Preset{{ID: 1, Name: "home"}, {ID: 7, Name: "大门"}}, "GB2312"))}
			}},
			wantCmd: "PresetQuery", wantTarget: channel,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, p := tortureServer(t)
			done := make(chan error, 1)
			go func() { done <- c.call(testCtx(t), s) }()
			q := c.device.play(t, p)
			if q.CmdType != c.wantCmd || q.DeviceID != c.wantTarget {
				t.Errorf("request %s for %s, want %s for %s", q.CmdType, q.DeviceID, c.wantCmd, c.wantTarget)
			}
			if err := <-done; err != nil {
				t.Error(err)
			}
		})
	}
}

// TestQueryResponseFromElsewhere: a Response with the right SN from another IP address
// than the device's binding answers nothing.
func TestQueryResponseFromElsewhere(t *testing.T) {
	s, p := tortureServer(t)
	stranger := dialRawFrom(t, s, "udp", "127.0.0.2")
	ctx, cancel := context.WithTimeout(testCtx(t), 2*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := s.QueryDeviceStatus(ctx, sipd.DeviceRef{ID: devID}); done <- err }()
	req := readRequest(t, p)
	p.send(sip.NewResponseFromRequest(req, 200, "OK", nil).String())
	q, err := manscdp.Decode(req.Body(), "")
	if err != nil {
		t.Fatal(err)
	}
	body := encoded(t)(manscdp.EncodeDeviceStatusResponse(q.SN, manscdp.DeviceStatus{DeviceID: devID, Online: manscdp.Online}, "UTF-8"))
	stranger.send(messageText(devID, "forged", 1, "forged-status", string(body), len(body)))
	if err := <-done; !errors.Is(err, sipd.ErrNoAnswer) {
		t.Fatalf("query answered from another address: %v, want ErrNoAnswer", err)
	}
}
