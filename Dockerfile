# syntax=docker/dockerfile:1
# The camera-operator image: a static Go binary on distroless, running as nonroot.
# Build with `make docker-build IMG=...`; `make image` builds the same image without
# Docker. The go build line must stay the one `make build` runs: test/image checks that
# both give the same binary, byte for byte, with the same Go release.

FROM --platform=$BUILDPLATFORM golang:1.26 AS builder
ARG TARGETOS
ARG TARGETARCH
WORKDIR /workspace
# Only what the manager is built from (see .dockerignore), so edits elsewhere keep the
# build cached.
COPY go.mod go.sum main.go ./
COPY api/ api/
COPY controllers/ controllers/
COPY sipd/ sipd/
COPY internal/gcsettings/ internal/gcsettings/
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w" -o /out/manager .

# static: no libc needed (CGO_ENABLED=0); the time zone database (time/tzdata) and root
# certificates (x509roots/fallback) are embedded in the binary, so none are needed from
# the image either.
FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="camera-operator" \
      org.opencontainers.image.description="GB/T 28181 cameras as Kubernetes objects" \
      org.opencontainers.image.source="https://github.com/gb28181/camera-operator"
WORKDIR /
COPY --from=builder /out/manager /manager
USER 65532:65532
# SIP (UDP and TCP), Prometheus metrics, health probes.
EXPOSE 5060/udp 5060/tcp 8080 8081
ENTRYPOINT ["/manager"]
