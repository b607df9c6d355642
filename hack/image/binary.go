package main

import (
	"debug/buildinfo"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// operatorModule is the module the manager binary must be built from: a wrong --binary
// is refused rather than packaged.
const operatorModule = "github.com/gb28181/camera-operator"

// binaryPlatform reads the platform the image is for from the binary's own build
// information, so the image's os and architecture can never disagree with what it runs.
// The base has no C library, so the binary must be built with CGO_ENABLED=0.
func binaryPlatform(path string) (v1.Platform, error) {
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return v1.Platform{}, fmt.Errorf("%s is not a Go binary: %w", path, err)
	}
	if info.Main.Path != operatorModule {
		return v1.Platform{}, fmt.Errorf("%s is built from %q, not the operator (%s)", path, info.Main.Path, operatorModule)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if goos := settings["GOOS"]; goos != "linux" {
		return v1.Platform{}, fmt.Errorf("%s is built for %s; the image needs linux (make image GOOS=linux)", path, goos)
	}
	if settings["CGO_ENABLED"] != "0" {
		return v1.Platform{}, fmt.Errorf("%s is built with cgo; the image has no C library (build with CGO_ENABLED=0)", path)
	}
	p := v1.Platform{OS: "linux", Architecture: settings["GOARCH"]}
	if p.Architecture == "" {
		return v1.Platform{}, fmt.Errorf("%s does not record its GOARCH", path)
	}
	// GOARM is "7" or "7,softfloat"; the OCI variant of 32-bit ARM is v5, v6 or v7.
	if arm, _, _ := strings.Cut(settings["GOARM"], ","); p.Architecture == "arm" && arm != "" {
		p.Variant = "v" + arm
	}
	return p, nil
}
