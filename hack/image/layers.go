package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The user the operator runs as: distroless's nonroot, and the chart's runAsUser.
const (
	nonrootUID = 65532
	nonrootGID = 65532
)

// file is one entry of a layer: a regular file when body is not nil, else a directory.
type file struct {
	path     string // without the leading slash
	mode     int64  // permission bits, with the sticky bit for /tmp
	uid, gid int
	body     []byte
}

// baseFiles is the whole base filesystem, the part of distroless/static the operator
// uses: users and groups by name (for tools such as ps and id), the nonroot user's home,
// and a world-writable /tmp. The resolver reads nsswitch.conf for the order of /etc/hosts
// and DNS. There is no shell, no package manager and no libc; time zones and root
// certificates are in the binary.
func baseFiles() []file {
	return []file{
		{path: "etc/", mode: 0o755},
		{path: "etc/passwd", mode: 0o644, body: []byte(
			"root:x:0:0:root:/root:/sbin/nologin\n" +
				"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
				"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")},
		{path: "etc/group", mode: 0o644, body: []byte(
			"root:x:0:\n" +
				"nobody:x:65534:\n" +
				"nonroot:x:65532:\n")},
		{path: "etc/nsswitch.conf", mode: 0o644, body: []byte("hosts: files dns\n")},
		{path: "home/", mode: 0o755},
		{path: "home/nonroot/", mode: 0o700, uid: nonrootUID, gid: nonrootGID},
		{path: "root/", mode: 0o700},
		{path: "tmp/", mode: 0o1777},
	}
}

// binaryFiles is the manager at /manager, owned by root so that the user it runs as
// cannot change it.
func binaryFiles(bin []byte) []file {
	return []file{{path: "manager", mode: 0o755, body: bin}}
}

// newLayer makes a gzip-compressed layer of files, every entry stamped with created. The
// same files give the same bytes: fixed order, ustar headers without user or group names,
// gzip without a name or time in its header.
func newLayer(files []file, created time.Time) (v1.Layer, error) {
	var tarred bytes.Buffer
	tw := tar.NewWriter(&tarred)
	for _, f := range files {
		h := &tar.Header{
			Name:    f.path,
			Mode:    f.mode,
			Uid:     f.uid,
			Gid:     f.gid,
			ModTime: created,
			Format:  tar.FormatUSTAR,
		}
		if f.body == nil {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(f.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}

	var compressed bytes.Buffer
	zw, err := gzip.NewWriterLevel(&compressed, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(tarred.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	gz := compressed.Bytes()
	// Given gzip, go-containerregistry keeps these bytes as the blob and computes the
	// diff ID from their decompression.
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(gz)), nil
	}, tarball.WithMediaType(types.OCILayer))
}
