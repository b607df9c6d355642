package mansrtsp

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeResponse(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		want Response
		err  error
	}{
		{"camsim", "RTSP/1.0 200 OK\r\nCSeq: 3\r\n", Response{Code: 200, Reason: "OK", CSeq: 3}, nil},
		{"standard's version, LF, no space", "MANSRTSP/1.0 200 OK\nCSeq:7\nRange: npt=10-\n", Response{Code: 200, Reason: "OK", CSeq: 7}, nil},
		{"refused", "RTSP/1.0 457 Invalid Range\r\nCSeq: 4\r\n", Response{Code: 457, Reason: "Invalid Range", CSeq: 4}, nil},
		{"garbage CSeq", "RTSP/1.0 200 OK\r\nCSeq: many\r\n", Response{Code: 200, Reason: "OK"}, nil},
		{"control bytes in the reason", "RTSP/1.0 551 Option\x01 not supported\r\n", Response{Code: 551, Reason: "Option not supported"}, nil},
		{"not a status", "PLAY RTSP/1.0\r\nCSeq: 3\r\n", Response{}, ErrMalformed},
		{"no code", "RTSP/1.0 OK\r\n", Response{}, ErrMalformed},
		{"code out of range", "RTSP/1.0 99 Odd\r\n", Response{}, ErrMalformed},
		{"empty", "", Response{}, ErrMalformed},
		{"too large", "RTSP/1.0 200 OK\r\n" + strings.Repeat("X: y\r\n", 400), Response{}, ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeResponse([]byte(tc.body))
			if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if tc.err == nil && got.OK() != (got.Code < 300) {
				t.Errorf("OK() = %v for %d", got.OK(), got.Code)
			}
		})
	}
	long, _ := DecodeResponse([]byte("RTSP/1.0 500 " + strings.Repeat("r", 500)))
	if len(long.Reason) != maxReasonLen {
		t.Errorf("reason kept at %d bytes, bound %d", len(long.Reason), maxReasonLen)
	}
}
