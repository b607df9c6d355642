package main

import (
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
)

// parseReference checks a tag and spells it in full, the way containerd and the kubelet
// name images: camera-operator becomes docker.io/library/camera-operator:latest. A loaded
// image then answers to what a Pod spec writes, on every runtime.
func parseReference(s string) (string, error) {
	tag, err := name.NewTag(s)
	if err != nil {
		return "", fmt.Errorf("--tag %q: %w", s, err)
	}
	registry := tag.RegistryStr()
	if registry == name.DefaultRegistry {
		// go-containerregistry's name for Docker Hub is index.docker.io; containerd's is
		// docker.io.
		registry = "docker.io"
	}
	return registry + "/" + tag.RepositoryStr() + ":" + tag.TagStr(), nil
}
