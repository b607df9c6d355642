package main

// The tarball is an OCI image layout (oci-layout, index.json, blobs/sha256/...) with a
// Docker-style manifest.json beside it, as `ctr images export` writes: podman and
// containerd (so kind and ctr) read the layout, docker load before version 25 the
// manifest.json. The index names the image twice: io.containerd.image.name for
// containerd, org.opencontainers.image.ref.name for podman and skopeo, both the full
// reference so that every runtime lists the image under the same name.

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const containerdImageName = "io.containerd.image.name"

// dockerManifest is one entry of a `docker save` archive's manifest.json.
type dockerManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// writeArchive writes img, named ref, as an image tarball at path, atomically. Entries
// are owned by root and stamped with created, so the bytes depend on the image alone.
func writeArchive(path string, img v1.Image, ref string, created time.Time) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".image-*.tar")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := writeLayout(tmp, img, ref, created); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func writeLayout(w io.Writer, img v1.Image, ref string, created time.Time) error {
	manifest, err := img.RawManifest()
	if err != nil {
		return err
	}
	manifestDigest, err := img.Digest()
	if err != nil {
		return err
	}
	mediaType, err := img.MediaType()
	if err != nil {
		return err
	}
	config, err := img.RawConfigFile()
	if err != nil {
		return err
	}
	configDigest, err := img.ConfigName()
	if err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}

	index := v1.IndexManifest{
		SchemaVersion: 2,
		MediaType:     types.OCIImageIndex,
		Manifests: []v1.Descriptor{{
			MediaType: mediaType,
			Size:      int64(len(manifest)),
			Digest:    manifestDigest,
			Annotations: map[string]string{
				containerdImageName:                 ref,
				"org.opencontainers.image.ref.name": ref,
			},
		}},
	}
	indexJSON, err := json.Marshal(index)
	if err != nil {
		return err
	}
	docker := dockerManifest{Config: blobPath(configDigest), RepoTags: []string{ref}}
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			return err
		}
		docker.Layers = append(docker.Layers, blobPath(d))
	}
	dockerJSON, err := json.Marshal([]dockerManifest{docker})
	if err != nil {
		return err
	}

	tw := tar.NewWriter(w)
	for _, dir := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(header(dir, tar.TypeDir, 0, created)); err != nil {
			return err
		}
	}
	for _, l := range layers {
		if err := writeLayerBlob(tw, l, created); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name string
		body []byte
	}{
		{blobPath(configDigest), config},
		{blobPath(manifestDigest), manifest},
		{"oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{"index.json", indexJSON},
		{"manifest.json", dockerJSON},
	} {
		if err := writeFile(tw, f.name, f.body, created); err != nil {
			return err
		}
	}
	return tw.Close()
}

func writeLayerBlob(tw *tar.Writer, l v1.Layer, created time.Time) error {
	d, err := l.Digest()
	if err != nil {
		return err
	}
	size, err := l.Size()
	if err != nil {
		return err
	}
	rc, err := l.Compressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := tw.WriteHeader(header(blobPath(d), tar.TypeReg, size, created)); err != nil {
		return err
	}
	n, err := io.Copy(tw, rc)
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("layer %s: wrote %d bytes, its size is %d", d, n, size)
	}
	return nil
}

func writeFile(tw *tar.Writer, name string, body []byte, created time.Time) error {
	if err := tw.WriteHeader(header(name, tar.TypeReg, int64(len(body)), created)); err != nil {
		return err
	}
	_, err := tw.Write(body)
	return err
}

// header is an archive entry's header, owned by root.
func header(name string, typ byte, size int64, created time.Time) *tar.Header {
	mode := int64(0o644)
	if typ == tar.TypeDir {
		mode = 0o755
	}
	return &tar.Header{Name: name, Typeflag: typ, Size: size, Mode: mode, ModTime: created, Format: tar.FormatUSTAR}
}

func blobPath(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }
