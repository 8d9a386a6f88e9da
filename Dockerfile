# syntax=docker/dockerfile:1
# One image for both halves of the project: `restproxy operator` (the
# controller manager) and `restproxy proxy` (the produce proxy the operator
# deploys). The binary is static (CGO off), so the runtime image needs no libc
# or shell, and runs as a non-root numeric user, which the restricted Pod
# Security Standard (runAsNonRoot) can verify.
#
#   make docker-build IMG=registry.example/restproxy:v0.1.0

# Build for the platform asked for (docker buildx --platform), compiling on
# the builder's own platform: Go cross-compiles without emulation.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS=linux
ARG TARGETARCH
WORKDIR /src
# Dependencies first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
# .dockerignore leaves out everything that is not the module's Go source.
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w" -o /out/restproxy .

# distroless/static: CA certificates, /etc/passwd with the nonroot user, tzdata;
# nothing else.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/restproxy /restproxy
# 65532 is distroless's nonroot user; numeric so the kubelet can check it.
USER 65532:65532
# The Deployments set only arguments: `operator ...` or `proxy --config ...`.
ENTRYPOINT ["/restproxy"]
