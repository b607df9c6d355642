// Command image builds the operator's container image without a Docker daemon (`make
// image`): the static manager binary `make build` produced, on a minimal base made here (a
// passwd and group file naming the nonroot user 65532, its home and /tmp, nothing else),
// written as an OCI image tarball that `podman load`, `docker load`, `kind load
// image-archive` and `ctr images import` accept. No base image is pulled, so no registry
// is needed. Every timestamp is --source-date-epoch, so the same binary always gives the
// same image, byte for byte.
//
// The binary carries what a distroless base would otherwise provide: the time zone
// database (time/tzdata) and Mozilla's root certificates (x509roots/fallback).
//
// Usage:
//
//	image --binary bin/manager --tag camera-operator:latest --output dist/camera-operator.tar
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	binary := fs.String("binary", "bin/manager", "The manager binary to put at /manager: static, built for linux.")
	tag := fs.String("tag", "camera-operator:latest", "The image's name, as a pull would spell it.")
	output := fs.String("output", "dist/camera-operator.tar", "Where to write the OCI image tarball.")
	epoch := fs.Int64("source-date-epoch", envEpoch(), "Unix time of every timestamp in the image (default $SOURCE_DATE_EPOCH, else 0).")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	ref, err := parseReference(*tag)
	if err != nil {
		return err
	}
	bin, err := os.ReadFile(*binary)
	if err != nil {
		return err
	}
	plat, err := binaryPlatform(*binary)
	if err != nil {
		return err
	}
	created := time.Unix(*epoch, 0).UTC()
	img, err := buildImage(bin, plat, created)
	if err != nil {
		return err
	}
	if err := writeArchive(*output, img, ref, created); err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("%s: %s (%s/%s) %s\n", *output, ref, plat.OS, plat.Architecture, digest)
	return nil
}

// envEpoch is $SOURCE_DATE_EPOCH (reproducible-builds.org's convention), else 0.
func envEpoch() int64 {
	n, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64)
	if err != nil {
		return 0
	}
	return n
}
