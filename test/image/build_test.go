package image

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gb28181/camera-operator/internal/testutil"
)

// What the tests build, once per test binary, into workDir (removed by TestMain): the
// manager as the Dockerfile builds it, and the image as `make image` builds it.
var (
	workDir string

	dockerfileBuild struct {
		once sync.Once
		path string
		err  error
	}
	madeImage struct {
		once sync.Once
		out  builtImage
		err  error
	}
)

// The name and time the tests give `make image`: a fixed epoch, so they can check that
// every timestamp is it.
const (
	testImageTag   = "camera-operator:image-test"
	testImageRef   = "docker.io/library/camera-operator:image-test"
	testImageEpoch = 1700000000
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "image-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	workDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildVCSAuto is Go's default, which stamps a build from a git checkout with its
// commit, set in case the machine's go env turns stamping off: the build flags alone
// must make `make build` give what the Dockerfile's build, which has no .git, gives.
const buildVCSAuto = "GOFLAGS=-buildvcs=auto"

// builtImage is one run of `make image`.
type builtImage struct {
	Tar     string // the OCI image tarball
	Manager string // the bin/manager `make build` built and the image holds
}

// makeImage runs `make image` (and so `make build`) with bin/ and the tarball in a
// directory of the test's own. The first test to ask builds it; the others share it.
func makeImage(t *testing.T) builtImage {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the operator and its image")
	}
	buildImageOnce()
	if madeImage.err != nil {
		t.Fatal(madeImage.err)
	}
	return madeImage.out
}

// buildImageOnce runs `make image` the first time it is called; a test may call it in
// the background while it starts something else.
func buildImageOnce() {
	madeImage.once.Do(func() {
		madeImage.out, madeImage.err = runMakeImage(filepath.Join(workDir, "make"), "image.tar")
	})
}

// runMakeImage runs `make image` with LOCALBIN=dir, writing the tarball to dir/tarName.
func runMakeImage(dir, tarName string) (builtImage, error) {
	out := builtImage{Tar: filepath.Join(dir, tarName), Manager: filepath.Join(dir, "manager")}
	cmd := exec.Command("make", "image",
		"LOCALBIN="+dir, "IMAGE_TAR="+out.Tar, "IMG="+testImageTag,
		"SOURCE_DATE_EPOCH="+strconv.Itoa(testImageEpoch))
	cmd.Dir = root
	// As a user's own `make image` runs, not as a sub-make of the `make test` running
	// this test, whose flags and job server do not apply.
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "MAKEFLAGS" && k != "MFLAGS" && k != "MAKELEVEL" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, buildVCSAuto)
	if b, err := cmd.CombinedOutput(); err != nil {
		return out, fmt.Errorf("make image: %v\n%s", err, b)
	}
	return out, nil
}

// dockerfileBinary builds the manager the way the Dockerfile's builder stage does: its
// own go build command line, run in a copy of the build context (the files its COPY
// lines take, less what .dockerignore leaves out) that has no .git, as in Docker. Only
// the target platform is the host's rather than the image's.
func dockerfileBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the operator")
	}
	d := dockerBuild(t)
	copied := dockerCopied(t)
	ig := dockerignore(t)
	dockerfileBuild.once.Do(func() {
		dockerfileBuild.path, dockerfileBuild.err = buildInContext(d, copied, ig, filepath.Join(workDir, "docker"))
	})
	if dockerfileBuild.err != nil {
		t.Fatal(dockerfileBuild.err)
	}
	return dockerfileBuild.path
}

func buildInContext(d GoBuild, copied []string, ig *Ignore, dir string) (string, error) {
	context := filepath.Join(dir, "context")
	for _, src := range copied {
		if err := copyContext(root, context, strings.TrimPrefix(src, "./"), ig); err != nil {
			return "", err
		}
	}
	out := filepath.Join(dir, "manager")
	args := append([]string{"build"}, flagArgs(d.Flags)...)
	args = append(args, "-o", out)
	args = append(args, d.Packages...)
	cmd := exec.Command(testutil.GoTool(), args...)
	cmd.Dir = context
	cmd.Env = append(os.Environ(), buildVCSAuto)
	for k, v := range d.Env {
		if k != "GOOS" && k != "GOARCH" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s (in a copy of the build context): %v\n%s", strings.Join(args, " "), err, b)
	}
	return out, nil
}

// copyContext copies src (a file or directory, relative to from) into to, leaving out
// what ig excludes.
func copyContext(from, to, src string, ig *Ignore) error {
	return filepath.WalkDir(filepath.Join(from, src), func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		if e.IsDir() || ig.Excluded(filepath.ToSlash(rel)) {
			return nil
		}
		return copyFile(p, filepath.Join(to, rel))
	})
}

func copyFile(from, to string) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// dockerCopied is what the Dockerfile's COPY instructions take from the build context.
func dockerCopied(t *testing.T) []string {
	t.Helper()
	var copied []string
	for _, in := range dockerfile(t) {
		if in.Cmd != "COPY" || strings.Contains(in.Args, "--from") {
			continue
		}
		words, err := ShellWords(in.Args)
		if err != nil {
			t.Fatal(err)
		}
		copied = append(copied, words[:len(words)-1]...)
	}
	return copied
}

func dockerignore(t *testing.T) *Ignore {
	t.Helper()
	ig, err := ParseDockerignore(bytes.NewReader(readFile(t, ".dockerignore")))
	if err != nil {
		t.Fatal(err)
	}
	return ig
}

// readImage reads and checks the tarball `make image` wrote.
func readImage(t *testing.T, tarball string) *Archive {
	t.Helper()
	f, err := os.Open(tarball)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := ReadArchive(f)
	if err != nil {
		t.Fatalf("%s: %v", tarball, err)
	}
	return a
}
