package image

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const root = "../.."

func readFile(t *testing.T, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func dockerfile(t *testing.T) []Instruction {
	t.Helper()
	ins, err := ParseDockerfile(bytes.NewReader(readFile(t, "Dockerfile")))
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	return ins
}

// dockerBuild is the go build of the Dockerfile's builder stage.
func dockerBuild(t *testing.T) GoBuild {
	t.Helper()
	var builds []GoBuild
	for _, in := range dockerfile(t) {
		if in.Cmd == "RUN" && strings.Contains(in.Args, "go build") {
			b, err := ParseGoBuild(in.Args)
			if err != nil {
				t.Fatalf("Dockerfile line %d: %v", in.Line, err)
			}
			builds = append(builds, b)
		}
	}
	if len(builds) != 1 {
		t.Fatalf("want one go build in the Dockerfile, found %d", len(builds))
	}
	return builds[0]
}

// makeBuild is the go build `make build` runs, read from `make -n` so that Makefile
// variables are expanded exactly as make expands them.
func makeBuild(t *testing.T) GoBuild {
	t.Helper()
	cmd := exec.Command("make", "-n", "-s", "build")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("make -n build: %v", err)
	}
	var builds []GoBuild
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "go build") {
			b, err := ParseGoBuild(strings.TrimSpace(line))
			if err != nil {
				t.Fatalf("make build: %v", err)
			}
			builds = append(builds, b)
		}
	}
	if len(builds) != 1 {
		t.Fatalf("want one go build in `make -n build`, found %d in:\n%s", len(builds), out)
	}
	return builds[0]
}

func TestDockerfileBuildsLikeMakeBuild(t *testing.T) {
	d, m := dockerBuild(t), makeBuild(t)
	if !slices.Equal(d.Flags, m.Flags) {
		t.Errorf("build flags differ:\n  Dockerfile: %q\n  make build: %q", d.Flags, m.Flags)
	}
	if !slices.Equal(d.Packages, m.Packages) {
		t.Errorf("packages differ: Dockerfile %q, make build %q", d.Packages, m.Packages)
	}
	// GOOS and GOARCH legitimately differ: the image cross-compiles for its platform.
	for _, k := range []string{"CGO_ENABLED", "GOFLAGS", "GOEXPERIMENT", "GOAMD64"} {
		if d.Env[k] != m.Env[k] {
			t.Errorf("%s differs: Dockerfile %q, make build %q", k, d.Env[k], m.Env[k])
		}
	}
	if d.Env["CGO_ENABLED"] != "0" {
		t.Errorf("the image needs a static binary: CGO_ENABLED=%q", d.Env["CGO_ENABLED"])
	}
}

// TestDockerfileBinary builds the manager with the Dockerfile's own command line, in a
// copy of its build context, and checks the result is what a minimal image can run:
// statically linked, stripped, built with the expected settings, and carrying the time
// zone database and root certificates the image does not hold.
func TestDockerfileBinary(t *testing.T) {
	out := dockerfileBinary(t)

	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary is dynamically linked (it has an ELF interpreter)")
		}
	}
	if f.Section(".symtab") != nil {
		t.Error("the binary is not stripped (-s): it has a symbol table")
	}
	for _, s := range f.Sections {
		if strings.HasPrefix(s.Name, ".debug_") || strings.HasPrefix(s.Name, ".zdebug_") {
			t.Errorf("the binary carries DWARF (-w): section %s", s.Name)
			break
		}
	}

	info, err := buildinfo.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	// With -trimpath Go leaves -ldflags out of the build info (golang/go#52372): the
	// section checks above stand for it.
	for k, want := range map[string]string{"CGO_ENABLED": "0", "-trimpath": "true"} {
		if settings[k] != want {
			t.Errorf("build setting %s = %q, want %q", k, settings[k], want)
		}
	}

	deps := goList(t, "-deps", ".")
	if !slices.Contains(deps, "time/tzdata") {
		t.Error("the manager does not import time/tzdata: --sip-timezone would fail in an image without zoneinfo")
	}
	// Standard-library packages are not listed in the build info; modules are.
	const roots = "golang.org/x/crypto/x509roots/fallback"
	if !slices.ContainsFunc(info.Deps, func(m *debug.Module) bool { return m.Path == roots }) {
		t.Errorf("the binary does not carry %s: HTTPS would find no root certificates in make image's image", roots)
	}
}

func flagArgs(flags []string) []string {
	var out []string
	for _, f := range flags {
		if k, v, ok := strings.Cut(f, "="); ok && slices.Contains([]string{"-ldflags", "-gcflags", "-tags", "-mod", "-asmflags"}, k) {
			out = append(out, k, v)
			continue
		}
		out = append(out, f)
	}
	return out
}

func goList(t *testing.T, args ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = ee.Stderr
		}
		t.Fatalf("go list %v: %v\n%s", args, err, stderr)
	}
	return strings.Fields(string(out))
}

// TestBuildContextHoldsTheSources checks that every file the manager is built from is
// copied by the Dockerfile and not dropped by .dockerignore, so the image builds from
// the same sources as `make build`.
func TestBuildContextHoldsTheSources(t *testing.T) {
	ig, copied := dockerignore(t), dockerCopied(t)
	isCopied := func(rel string) bool {
		for _, src := range copied {
			src = strings.TrimPrefix(src, "./")
			if rel == src || (strings.HasSuffix(src, "/") && strings.HasPrefix(rel, src)) {
				return true
			}
		}
		return false
	}

	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"go.mod", "go.sum"}
	tmpl := `{{if and .Module .Module.Main}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}} {{end}}{{range .EmbedFiles}}{{$d}}/{{.}} {{end}}{{end}}`
	for _, f := range goList(t, "-deps", "-f", tmpl, ".") {
		rel, err := filepath.Rel(abs, f)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, filepath.ToSlash(rel))
	}
	if len(files) < 4 {
		t.Fatalf("go list found too few sources: %v", files)
	}
	for _, rel := range files {
		if !isCopied(rel) {
			t.Errorf("%s is needed by the build but no COPY copies it", rel)
		}
		if ig.Excluded(rel) {
			t.Errorf("%s is needed by the build but .dockerignore leaves it out", rel)
		}
	}
	// And the context stays small: what the build does not need is left out.
	for _, rel := range []string{"bin/manager", ".git/HEAD", "charts/camera-operator/Chart.yaml", "hack/argocd/camera-health.lua", "sipd/server_test.go"} {
		if !ig.Excluded(rel) {
			t.Errorf(".dockerignore keeps %s in the build context", rel)
		}
	}
}

// TestImageRuntime checks the final stage: a Go toolchain matching go.mod to build, a
// distroless nonroot base to run, the operator's ports exposed as the chart uses them, and
// the user the chart's securityContext runs as.
func TestImageRuntime(t *testing.T) {
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)(\.\d+)?\s*$`).FindStringSubmatch(string(readFile(t, "go.mod")))
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	goVersion, goMinor := m[1]+m[2], m[1]

	var values struct {
		Sip                struct{ Port int } `json:"sip"`
		Metrics            struct{ Port int } `json:"metrics"`
		Health             struct{ Port int } `json:"health"`
		PodSecurityContext struct {
			RunAsUser int64 `json:"runAsUser"`
		} `json:"podSecurityContext"`
	}
	if err := yaml.Unmarshal(readFile(t, "charts/camera-operator/values.yaml"), &values); err != nil {
		t.Fatal(err)
	}

	var froms, exposed []string
	var user, entrypoint, copyFromBuilder string
	for _, in := range dockerfile(t) {
		switch in.Cmd {
		case "FROM":
			words := strings.Fields(in.Args)
			for _, w := range words {
				if !strings.HasPrefix(w, "--") {
					froms = append(froms, w)
					break
				}
			}
		case "EXPOSE":
			exposed = append(exposed, strings.Fields(in.Args)...)
		case "USER":
			user = in.Args
		case "ENTRYPOINT":
			entrypoint = in.Args
		case "COPY":
			if strings.Contains(in.Args, "--from=builder") {
				copyFromBuilder = in.Args
			}
		}
	}
	if len(froms) != 2 {
		t.Fatalf("want a builder and a runtime stage, got FROM %q", froms)
	}
	if want := "golang:" + goMinor; froms[0] != want {
		t.Errorf("builder image %s, want %s (go.mod says go %s)", froms[0], want, goVersion)
	}
	if !strings.HasPrefix(froms[1], "gcr.io/distroless/static") || !strings.HasSuffix(froms[1], ":nonroot") {
		t.Errorf("runtime image %s, want distroless static nonroot", froms[1])
	}
	if uid := strings.Split(user, ":")[0]; uid != strconv.FormatInt(values.PodSecurityContext.RunAsUser, 10) {
		t.Errorf("image USER %q, chart runAsUser %d", user, values.PodSecurityContext.RunAsUser)
	}
	wantPorts := []string{
		strconv.Itoa(values.Sip.Port) + "/udp", strconv.Itoa(values.Sip.Port) + "/tcp",
		strconv.Itoa(values.Metrics.Port), strconv.Itoa(values.Health.Port),
	}
	slices.Sort(exposed)
	slices.Sort(wantPorts)
	if !slices.Equal(exposed, wantPorts) {
		t.Errorf("EXPOSE %q, want %q (the chart's ports)", exposed, wantPorts)
	}
	build := dockerBuild(t)
	if want := build.Output + " /manager"; !strings.HasSuffix(copyFromBuilder, want) {
		t.Errorf("COPY --from=builder %q does not copy the built %s to /manager", copyFromBuilder, build.Output)
	}
	if entrypoint != `["/manager"]` {
		t.Errorf("ENTRYPOINT %s, want [\"/manager\"]", entrypoint)
	}
}
