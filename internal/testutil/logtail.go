package testutil

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// LogTail logs the last n lines of the file at path, under the name what: the output of
// a process a failing test ran.
func LogTail(t testing.TB, what, path string, n int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Logf("%s log: %v", what, err)
		return
	}
	defer f.Close()
	lines := make([]string, 0, n)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if len(lines) == n {
			lines = lines[1:]
		}
		lines = append(lines, sc.Text())
	}
	t.Logf("last %d lines of %s:\n%s", len(lines), what, strings.Join(lines, "\n"))
}
