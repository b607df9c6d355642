package image

// An OCI image tarball, as `make image` writes it, read back without the library that
// wrote it: an OCI image layout (oci-layout, index.json, blobs/sha256/<hex>) holding one
// image, plus Docker's manifest.json. Reading checks what a runtime relies on: every
// blob is as long as its descriptor says and hashes to its name, and each layer
// decompresses to its diff ID.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
)

// Descriptor points at a blob.
type Descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Index is the layout's index.json.
type Index struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Manifests     []Descriptor `json:"manifests"`
}

// Manifest is an image manifest.
type Manifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Config        Descriptor   `json:"config"`
	Layers        []Descriptor `json:"layers"`
}

// Config is the part of an image's configuration a runtime acts on.
type Config struct {
	Created      time.Time `json:"created"`
	OS           string    `json:"os"`
	Architecture string    `json:"architecture"`
	Config       struct {
		User         string              `json:"User"`
		Entrypoint   []string            `json:"Entrypoint"`
		Cmd          []string            `json:"Cmd"`
		Env          []string            `json:"Env"`
		WorkingDir   string              `json:"WorkingDir"`
		ExposedPorts map[string]struct{} `json:"ExposedPorts"`
		Labels       map[string]string   `json:"Labels"`
	} `json:"config"`
	RootFS struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
	History []struct {
		Created   time.Time `json:"created"`
		CreatedBy string    `json:"created_by"`
	} `json:"history"`
}

// DockerManifest is an entry of a `docker save` archive's manifest.json.
type DockerManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// File is one entry of the image's filesystem.
type File struct {
	Header tar.Header
	Body   []byte
}

// Archive is an image tarball, read and checked.
type Archive struct {
	Entries        []tar.Header // the tarball's own entries, in order
	Index          Index
	Manifest       Manifest
	Config         Config
	DockerManifest []DockerManifest
	// Files is the image's filesystem by path (without the leading slash), the layers
	// applied in order; Layers holds each layer's entries apart.
	Files  map[string]File
	Layers [][]tar.Header
}

// maxArchiveFile bounds what is read of one entry: the operator's binary is about 35 MB.
const maxArchiveFile = 512 << 20

// ReadArchive reads an image tarball holding exactly one image.
func ReadArchive(r io.Reader) (*Archive, error) {
	a := &Archive{Files: map[string]File{}}
	files := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		a.Entries = append(a.Entries, *h)
		if h.Typeflag != tar.TypeReg {
			continue
		}
		body, err := io.ReadAll(io.LimitReader(tr, maxArchiveFile+1))
		if err != nil {
			return nil, err
		}
		if len(body) > maxArchiveFile {
			return nil, fmt.Errorf("%s: larger than %d bytes", h.Name, maxArchiveFile)
		}
		files[path.Clean(h.Name)] = body
	}

	if layout, ok := files["oci-layout"]; !ok || !bytes.Contains(layout, []byte(`"imageLayoutVersion":"1.0.0"`)) {
		return nil, fmt.Errorf("no oci-layout file of version 1.0.0: %q", layout)
	}
	if err := unmarshalFile(files, "index.json", &a.Index); err != nil {
		return nil, err
	}
	if err := unmarshalFile(files, "manifest.json", &a.DockerManifest); err != nil {
		return nil, err
	}
	if len(a.Index.Manifests) != 1 {
		return nil, fmt.Errorf("index.json lists %d manifests, want 1", len(a.Index.Manifests))
	}
	manifest, err := blob(files, a.Index.Manifests[0])
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if err := json.Unmarshal(manifest, &a.Manifest); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	config, err := blob(files, a.Manifest.Config)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := json.Unmarshal(config, &a.Config); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if len(a.Config.RootFS.DiffIDs) != len(a.Manifest.Layers) {
		return nil, fmt.Errorf("%d layers but %d diff IDs", len(a.Manifest.Layers), len(a.Config.RootFS.DiffIDs))
	}
	for i, d := range a.Manifest.Layers {
		compressed, err := blob(files, d)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		if err := a.applyLayer(compressed, a.Config.RootFS.DiffIDs[i]); err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i, d.Digest, err)
		}
	}
	return a, nil
}

func unmarshalFile(files map[string][]byte, name string, v any) error {
	b, ok := files[name]
	if !ok {
		return fmt.Errorf("no %s", name)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// blob is the content d points at, checked against its size and digest.
func blob(files map[string][]byte, d Descriptor) ([]byte, error) {
	hexDigest, ok := strings.CutPrefix(d.Digest, "sha256:")
	if !ok {
		return nil, fmt.Errorf("digest %q is not sha256", d.Digest)
	}
	b, ok := files["blobs/sha256/"+hexDigest]
	if !ok {
		return nil, fmt.Errorf("no blob %s", d.Digest)
	}
	if int64(len(b)) != d.Size {
		return nil, fmt.Errorf("blob %s has %d bytes, its descriptor says %d", d.Digest, len(b), d.Size)
	}
	if got := digestOf(b); got != d.Digest {
		return nil, fmt.Errorf("blob %s hashes to %s", d.Digest, got)
	}
	return b, nil
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// applyLayer adds a gzip-compressed layer's entries to the filesystem, checking that its
// uncompressed bytes hash to diffID. Whiteouts (deletions) are refused: make image's
// layers only add.
func (a *Archive) applyLayer(compressed []byte, diffID string) error {
	zr, err := gzip.NewReader(bytes.NewReader(compressed))
	if err != nil {
		return err
	}
	uncompressed, err := io.ReadAll(io.LimitReader(zr, maxArchiveFile+1))
	if err != nil {
		return err
	}
	if len(uncompressed) > maxArchiveFile {
		return fmt.Errorf("larger than %d bytes uncompressed", maxArchiveFile)
	}
	if got := digestOf(uncompressed); got != diffID {
		return fmt.Errorf("uncompressed, it hashes to %s; its diff ID is %s", got, diffID)
	}
	var headers []tar.Header
	tr := tar.NewReader(bytes.NewReader(uncompressed))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if strings.HasPrefix(path.Base(h.Name), ".wh.") {
			return fmt.Errorf("whiteout %s", h.Name)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		headers = append(headers, *h)
		a.Files[strings.TrimSuffix(path.Clean(h.Name), "/")] = File{Header: *h, Body: body}
	}
	a.Layers = append(a.Layers, headers)
	return nil
}
