package image

import (
	"archive/tar"
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// TestImageHoldsTheBuiltBinary: the image `make image` writes holds, at /manager, the
// very bytes `make build` wrote, which are also the bytes the Dockerfile's build gives;
// so the two images run the same program.
func TestImageHoldsTheBuiltBinary(t *testing.T) {
	built := makeImage(t)
	a := readImage(t, built.Tar)

	manager, ok := a.Files["manager"]
	if !ok {
		t.Fatal("the image has no /manager")
	}
	fromMake, err := os.ReadFile(built.Manager)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(manager.Body, fromMake) {
		t.Errorf("/manager (%d bytes, %s) differs from make build's bin/manager (%d bytes, %s)",
			len(manager.Body), digestOf(manager.Body), len(fromMake), digestOf(fromMake))
	}
	fromDockerfile, err := os.ReadFile(dockerfileBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fromDockerfile, fromMake) {
		t.Errorf("the Dockerfile's build (%s) and make build (%s) give different binaries",
			digestOf(fromDockerfile), digestOf(fromMake))
	}

	h := manager.Header
	if h.Typeflag != tar.TypeReg || h.Mode&0o777 != 0o755 || h.Uid != 0 || h.Gid != 0 {
		t.Errorf("/manager: type %c mode %o owner %d:%d, want a root-owned 0755 file the nonroot user cannot change",
			h.Typeflag, h.Mode, h.Uid, h.Gid)
	}
}

// TestImageIsReproducible: building the image again gives the same bytes, and every
// timestamp in it, in the archive, the layers and the config, is SOURCE_DATE_EPOCH.
func TestImageIsReproducible(t *testing.T) {
	built := makeImage(t)
	again, err := runMakeImage(filepath.Join(workDir, "make"), "again.tar")
	if err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(built.Tar)
	if err != nil {
		t.Fatal(err)
	}
	second, err := os.ReadFile(again.Tar)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Errorf("two builds differ: %s and %s", digestOf(first), digestOf(second))
	}

	a := readImage(t, built.Tar)
	epoch := time.Unix(testImageEpoch, 0)
	for _, h := range a.Entries {
		if !h.ModTime.Equal(epoch) {
			t.Errorf("archive entry %s: time %s, want %s", h.Name, h.ModTime, epoch)
		}
	}
	for i, layer := range a.Layers {
		for _, h := range layer {
			if !h.ModTime.Equal(epoch) || h.Uname != "" || h.Gname != "" {
				t.Errorf("layer %d, %s: time %s, owner names %q:%q; want %s and none", i, h.Name, h.ModTime, h.Uname, h.Gname, epoch)
			}
		}
	}
	if !a.Config.Created.Equal(epoch) {
		t.Errorf("config created %s, want %s", a.Config.Created, epoch)
	}
	for _, h := range a.Config.History {
		if !h.Created.Equal(epoch) {
			t.Errorf("history %q created %s, want %s", h.CreatedBy, h.Created, epoch)
		}
	}
}

// TestImageConfigMatchesDockerfile: the image runs like the Dockerfile's: the same
// entrypoint, user, ports and labels, for this machine's platform; and its user is the
// chart's runAsUser and runAsGroup.
func TestImageConfigMatchesDockerfile(t *testing.T) {
	a := readImage(t, makeImage(t).Tar)
	c := a.Config

	var wantPorts []string
	var wantUser, wantEntrypoint string
	wantLabels := map[string]string{}
	for _, in := range dockerfile(t) {
		switch in.Cmd {
		case "EXPOSE":
			for _, p := range strings.Fields(in.Args) {
				if !strings.Contains(p, "/") {
					p += "/tcp" // EXPOSE's default protocol
				}
				wantPorts = append(wantPorts, p)
			}
		case "USER":
			wantUser = in.Args
		case "ENTRYPOINT":
			wantEntrypoint = in.Args
		case "LABEL":
			words, err := ShellWords(in.Args)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range words {
				k, v, _ := strings.Cut(w, "=")
				wantLabels[k] = v
			}
		}
	}

	if got := slices.Sorted(maps.Keys(c.Config.ExposedPorts)); !slices.Equal(got, slices.Sorted(slices.Values(wantPorts))) {
		t.Errorf("exposed ports %q, Dockerfile %q", got, wantPorts)
	}
	if c.Config.User != wantUser {
		t.Errorf("user %q, Dockerfile %q", c.Config.User, wantUser)
	}
	if got := `["` + strings.Join(c.Config.Entrypoint, `", "`) + `"]`; got != wantEntrypoint || len(c.Config.Cmd) != 0 {
		t.Errorf("entrypoint %s cmd %q, Dockerfile %s and no cmd", got, c.Config.Cmd, wantEntrypoint)
	}
	if !maps.Equal(c.Config.Labels, wantLabels) {
		t.Errorf("labels %v, Dockerfile %v", c.Config.Labels, wantLabels)
	}
	if c.OS != "linux" || c.Architecture != runtime.GOARCH {
		t.Errorf("platform %s/%s, want linux/%s", c.OS, c.Architecture, runtime.GOARCH)
	}

	var values struct {
		PodSecurityContext struct {
			RunAsUser  int64 `json:"runAsUser"`
			RunAsGroup int64 `json:"runAsGroup"`
		} `json:"podSecurityContext"`
	}
	if err := yaml.Unmarshal(readFile(t, "charts/camera-operator/values.yaml"), &values); err != nil {
		t.Fatal(err)
	}
	sc := values.PodSecurityContext
	if want := strconv.FormatInt(sc.RunAsUser, 10) + ":" + strconv.FormatInt(sc.RunAsGroup, 10); c.Config.User != want {
		t.Errorf("user %q, the chart runs as %s", c.Config.User, want)
	}
}

// TestImageBase: the base is minimal, holding only what the operator and the tools that
// look into a container need: the nonroot user by name, its home and /tmp. No shell, no
// time zone files, no CA bundle: the binary carries its own zones and roots.
func TestImageBase(t *testing.T) {
	a := readImage(t, makeImage(t).Tar)

	var paths []string
	for p := range a.Files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	want := []string{"etc", "etc/group", "etc/nsswitch.conf", "etc/passwd", "home", "home/nonroot", "manager", "root", "tmp"}
	if !slices.Equal(paths, want) {
		t.Errorf("the image holds %q, want %q", paths, want)
	}

	passwd := string(a.Files["etc/passwd"].Body)
	if !slices.Contains(strings.Split(passwd, "\n"), "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin") {
		t.Errorf("/etc/passwd names no nonroot user 65532:\n%s", passwd)
	}
	if group := string(a.Files["etc/group"].Body); !strings.Contains(group, "\nnonroot:x:65532:\n") {
		t.Errorf("/etc/group names no nonroot group 65532:\n%s", group)
	}
	if h := a.Files["home/nonroot"].Header; h.Typeflag != tar.TypeDir || h.Uid != 65532 || h.Gid != 65532 {
		t.Errorf("/home/nonroot: type %c owner %d:%d, want a directory of 65532:65532", h.Typeflag, h.Uid, h.Gid)
	}
	if h := a.Files["tmp"].Header; h.Typeflag != tar.TypeDir || h.Mode&0o7777 != 0o1777 {
		t.Errorf("/tmp: type %c mode %o, want a sticky world-writable directory", h.Typeflag, h.Mode)
	}
}

// TestImageNamedForEveryRuntime: the tarball names the image by its full reference
// where each runtime looks: containerd (kind load, ctr import) in io.containerd.image.name,
// podman in org.opencontainers.image.ref.name, docker load in manifest.json.
func TestImageNamedForEveryRuntime(t *testing.T) {
	a := readImage(t, makeImage(t).Tar)
	ann := a.Index.Manifests[0].Annotations
	for _, k := range []string{"io.containerd.image.name", "org.opencontainers.image.ref.name"} {
		if ann[k] != testImageRef {
			t.Errorf("index.json %s = %q, want %q", k, ann[k], testImageRef)
		}
	}
	if len(a.DockerManifest) != 1 || !slices.Equal(a.DockerManifest[0].RepoTags, []string{testImageRef}) {
		t.Fatalf("manifest.json %+v, want one image tagged %s", a.DockerManifest, testImageRef)
	}
	d := a.DockerManifest[0]
	if want := "blobs/sha256/" + strings.TrimPrefix(a.Manifest.Config.Digest, "sha256:"); d.Config != want {
		t.Errorf("manifest.json config %s, want %s", d.Config, want)
	}
	var wantLayers []string
	for _, l := range a.Manifest.Layers {
		wantLayers = append(wantLayers, "blobs/sha256/"+strings.TrimPrefix(l.Digest, "sha256:"))
	}
	if !slices.Equal(d.Layers, wantLayers) {
		t.Errorf("manifest.json layers %q, want %q", d.Layers, wantLayers)
	}
	if a.Manifest.MediaType != "application/vnd.oci.image.manifest.v1+json" || a.Manifest.Config.MediaType != "application/vnd.oci.image.config.v1+json" {
		t.Errorf("media types: manifest %s, config %s; want OCI's", a.Manifest.MediaType, a.Manifest.Config.MediaType)
	}
}

// TestReadArchiveRejectsCorruption: the reader the tests above trust notices a blob
// whose bytes are not its digest's, so their checks stand on verified content.
func TestReadArchiveRejectsCorruption(t *testing.T) {
	data, err := os.ReadFile(makeImage(t).Tar)
	if err != nil {
		t.Fatal(err)
	}
	a, err := ReadArchive(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	// Flip a byte inside the config blob's content in the tarball.
	config, err := blobIn(data, a.Manifest.Config.Digest)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, config)
	corrupt := bytes.Clone(data)
	corrupt[i+len(config)/2] ^= 0xff
	if _, err := ReadArchive(bytes.NewReader(corrupt)); err == nil || !strings.Contains(err.Error(), "hashes to") {
		t.Errorf("a corrupted config blob was read: err %v", err)
	}
}

// blobIn is the content of the blob with this digest in a tarball's bytes.
func blobIn(tarball []byte, digest string) ([]byte, error) {
	tr := tar.NewReader(bytes.NewReader(tarball))
	name := "blobs/sha256/" + strings.TrimPrefix(digest, "sha256:")
	for {
		h, err := tr.Next()
		if err != nil {
			return nil, err
		}
		if h.Name == name {
			var b bytes.Buffer
			_, err := b.ReadFrom(tr)
			return b.Bytes(), err
		}
	}
}
