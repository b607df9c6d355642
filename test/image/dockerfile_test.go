package image

import (
	"slices"
	"strings"
	"testing"
)

func TestShellWords(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{in: `go build -ldflags "-s -w" .`, want: []string{"go", "build", "-ldflags", "-s -w", "."}},
		{in: `a 'b c' d\ e`, want: []string{"a", "b c", "d e"}},
		{in: `x="a \"q\" b"`, want: []string{`x=a "q" b`}},
		{in: `  spaced   out  `, want: []string{"spaced", "out"}},
		{in: `open "quote`, wantErr: true},
		{in: `open 'quote`, wantErr: true},
	}
	for _, tc := range tests {
		got, err := ShellWords(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("%q: err %v", tc.in, err)
			continue
		}
		if !tc.wantErr && !slices.Equal(got, tc.want) {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseGoBuild(t *testing.T) {
	b, err := ParseGoBuild(`--mount=type=cache,target=/go/pkg/mod GOOS=${TARGETOS:-linux} CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/manager .`)
	if err != nil {
		t.Fatal(err)
	}
	if b.Env["CGO_ENABLED"] != "0" || b.Env["GOOS"] != "${TARGETOS:-linux}" {
		t.Errorf("env %v", b.Env)
	}
	if want := []string{"-trimpath", "-ldflags=-s -w"}; !slices.Equal(b.Flags, want) {
		t.Errorf("flags %q, want %q", b.Flags, want)
	}
	if b.Output != "/out/manager" || !slices.Equal(b.Packages, []string{"."}) {
		t.Errorf("output %q packages %q", b.Output, b.Packages)
	}
	if _, err := ParseGoBuild("go test ./..."); err == nil {
		t.Error("a go test line parsed as a build")
	}
}

func TestParseDockerfile(t *testing.T) {
	ins, err := ParseDockerfile(strings.NewReader("# syntax=docker/dockerfile:1\nFROM a AS b\n\n# note\nRUN x \\\n    y \\\n  z\nexpose 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Instruction{{"FROM", "a AS b", 2}, {"RUN", "x  y  z", 5}, {"EXPOSE", "1", 8}}
	if !slices.Equal(ins, want) {
		t.Errorf("got %+v, want %+v", ins, want)
	}
	if _, err := ParseDockerfile(strings.NewReader("RUN a \\\n")); err == nil {
		t.Error("a dangling continuation parsed")
	}
}

func TestDockerignore(t *testing.T) {
	ig, err := ParseDockerignore(strings.NewReader("*\n!go.mod\n!api/\n**/*_test.go\n**/testdata/\n!api/keep_test.go\n"))
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{
		"go.mod": false, "go.sum": true, "api/v1/types.go": false, "api/v1/types_test.go": true,
		"api/keep_test.go": false, "api/v1/testdata/x.yaml": true, "bin/manager": true, "main.go": true,
	} {
		if got := ig.Excluded(path); got != want {
			t.Errorf("Excluded(%q) = %v, want %v", path, got, want)
		}
	}
}
