package mansrtsp

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzDecode feeds arbitrary bodies to Decode: it must never panic, must fail only with
// ErrMalformed or ErrTooLarge, and a request it accepts must encode (unless its speed is
// one a platform does not send) and read back the same.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "bodies", "*.txt"))
	for _, file := range files {
		body, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
	}
	f.Add([]byte("PLAY MANSRTSP/1.0\nCSeq:5\nScale:1.0\nRange:npt=196-"))
	f.Add([]byte("PLAY RTSP/1.0\r\nCSeq: 1\r\nRange: npt=1:02:03.5-20:00:00\r\n"))
	f.Add([]byte("PAUSE MANSRTSP/1.0\r\nCSeq: 1\r\nPauseTime: 30.25\r\nRange: npt=1-\r\n"))
	f.Add([]byte("TEARDOWN RTSP/1.0\r\nCSeq: 3\r\n\r\n"))
	f.Add([]byte("PLAY RTSP/1.0\r\nCSeq: 1\r\nScale: -0.5\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := Decode(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Decode(%q): unexpected error %v", body, err)
			}
			return
		}
		enc, err := r.Encode()
		if err != nil {
			if r.Scale != 0 && !encodableScale(r.Scale) && errors.Is(err, ErrInvalid) {
				return
			}
			t.Fatalf("Encode(Decode(%q) = %+v): %v", body, r, err)
		}
		back, err := Decode(enc)
		if err != nil || !reflect.DeepEqual(back, r) {
			t.Fatalf("Decode(%q) = %+v, encoded %q, read back %+v, %v", body, r, enc, back, err)
		}
	})
}
