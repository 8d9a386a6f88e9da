//go:build tools

// Package k8s pins the Kubernetes commands the Makefile builds (kube-apiserver
// for envtest, kubectl for make install/deploy) so that go.sum covers them.
package k8s

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
