// Module mkimg builds container images without a container engine: a static
// binary on an empty base, written as an image tarball that `ctr images import`
// takes. make e2e uses it for the restproxy and pause images. It is a separate
// module so that go-containerregistry never enters the project's go.mod.
module github.com/restproxy-dev/restproxy-operator/hack/mkimg

go 1.26.0

require github.com/google/go-containerregistry v0.22.1

require (
	github.com/klauspost/compress v1.19.2 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
	github.com/opencontainers/image-spec v1.1.1 // indirect
)
