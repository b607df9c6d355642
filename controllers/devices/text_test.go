package devices

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		max      int
		want     string
	}{
		{"plain", "camera", 64, "camera"},
		{"control characters dropped", "cam\r\nera\x00\x7f", 64, "camera"},
		{"invalid UTF-8 replaced", "cam\xffera", 64, "cam\uFFFDera"},
		{"cut on a character boundary", "摄像机", 4, "摄"},
		{"cut", strings.Repeat("a", 100), 10, strings.Repeat("a", 10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Clean(tc.in, tc.max)
			if got != tc.want || !utf8.ValidString(got) || len(got) > tc.max {
				t.Errorf("Clean(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
			}
		})
	}
}
