package main

import (
	"fmt"
	"strconv"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// What the image says about itself: the same as the Dockerfile's final stage (test/image
// checks the two agree), so both images run alike under the chart.
var (
	entrypoint = []string{"/manager"}
	// SIP over UDP and TCP, Prometheus metrics, health probes.
	exposedPorts = []string{"5060/udp", "5060/tcp", "8080/tcp", "8081/tcp"}
	labels       = map[string]string{
		"org.opencontainers.image.title":       "camera-operator",
		"org.opencontainers.image.description": "GB/T 28181 cameras as Kubernetes objects",
		"org.opencontainers.image.source":      "https://github.com/gb28181/camera-operator",
	}
)

// buildImage assembles the image: the base layer, the binary's layer, and a config that
// runs /manager as the nonroot user. Every time in it is created.
func buildImage(bin []byte, plat v1.Platform, created time.Time) (v1.Image, error) {
	base, err := newLayer(baseFiles(), created)
	if err != nil {
		return nil, fmt.Errorf("base layer: %w", err)
	}
	manager, err := newLayer(binaryFiles(bin), created)
	if err != nil {
		return nil, fmt.Errorf("binary layer: %w", err)
	}

	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	stamp := v1.Time{Time: created}
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, History: v1.History{
			Created: stamp, CreatedBy: "hack/image: /etc/passwd and /etc/group (root, nobody, nonroot 65532), /home/nonroot, /tmp",
		}},
		mutate.Addendum{Layer: manager, History: v1.History{
			Created: stamp, CreatedBy: "hack/image: /manager (make build)",
		}},
	)
	if err != nil {
		return nil, err
	}

	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Created = stamp
	cf.OS, cf.Architecture, cf.Variant = plat.OS, plat.Architecture, plat.Variant
	cf.Config.User = strconv.Itoa(nonrootUID) + ":" + strconv.Itoa(nonrootGID)
	cf.Config.Entrypoint = entrypoint
	cf.Config.WorkingDir = "/"
	cf.Config.ExposedPorts = map[string]struct{}{}
	for _, p := range exposedPorts {
		cf.Config.ExposedPorts[p] = struct{}{}
	}
	cf.Config.Labels = labels
	return mutate.ConfigFile(img, cf)
}
