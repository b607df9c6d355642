// Module image builds the operator's container image (`make image`) with
// go-containerregistry, no Docker daemon needed. It is separate from the operator's module
// so the image library's dependencies never move the operator's go.mod.
module github.com/gb28181/camera-operator/hack/image

go 1.26.0

require github.com/google/go-containerregistry v0.22.1

require (
	github.com/klauspost/compress v1.19.2 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
	github.com/opencontainers/image-spec v1.1.1 // indirect
)
