// Command mkimg writes a one-layer container image holding a single static
// binary, with no base image, as a tarball for `ctr images import` (or
// `docker load`):
//
//	mkimg -tag localhost/restproxy:e2e -user 65532:65532 -out restproxy.tar bin/restproxy
//
// The binary lands at /<its file name> and is the image's entrypoint; the
// layer also holds an empty, world-writable /tmp. It needs no daemon and no
// registry, which is what the real-cluster end-to-end run (make e2e) has.
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func main() {
	tag := flag.String("tag", "", "image `reference` the tarball names, e.g. localhost/restproxy:e2e")
	user := flag.String("user", "", "`uid:gid` the container runs as; empty: root")
	out := flag.String("out", "", "tarball `file` to write")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: mkimg -tag REF -out FILE [-user UID:GID] BINARY\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *tag == "" || *out == "" || flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *tag, *user, *out); err != nil {
		fmt.Fprintln(os.Stderr, "mkimg:", err)
		os.Exit(1)
	}
}

func run(binary, tag, user, out string) error {
	ref, err := name.NewTag(tag)
	if err != nil {
		return fmt.Errorf("-tag %q: %w", tag, err)
	}
	bin, err := os.ReadFile(binary)
	if err != nil {
		return err
	}
	entrypoint := "/" + filepath.Base(binary)
	layerTar, err := layerOf(entrypoint, bin)
	if err != nil {
		return err
	}
	layer, err := tarball.LayerFromReader(bytes.NewReader(layerTar))
	if err != nil {
		return fmt.Errorf("layer: %w", err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cfg = cfg.DeepCopy()
	// Without a platform, containerd's import filters the image out.
	cfg.OS, cfg.Architecture = "linux", runtime.GOARCH
	cfg.Config.Entrypoint = []string{entrypoint}
	cfg.Config.User = user
	cfg.Config.Env = []string{"PATH=/"}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return err
	}
	if err := tarball.WriteToFile(out, ref, img); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}

// layerOf returns a tar holding the binary at path and an empty /tmp, with
// fixed times so the same binary always gives the same image digest.
func layerOf(path string, bin []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	entries := []struct {
		hdr  tar.Header
		body io.Reader
	}{
		{tar.Header{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777, ModTime: epoch}, nil},
		{tar.Header{Typeflag: tar.TypeReg, Name: path[1:], Mode: 0o755, Size: int64(len(bin)), ModTime: epoch}, bytes.NewReader(bin)},
	}
	for _, e := range entries {
		if err := tw.WriteHeader(&e.hdr); err != nil {
			return nil, err
		}
		if e.body != nil {
			if _, err := io.Copy(tw, e.body); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
