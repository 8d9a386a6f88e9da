//go:build tools

// Package k8s pins the Kubernetes commands the Makefile builds so that go.sum
// covers them: kube-apiserver for envtest, kubectl for make install/deploy, and
// the rest of a node's control plane (kube-controller-manager, kube-scheduler,
// kubelet, kube-proxy) for the real-cluster end-to-end run, make e2e.
package k8s

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
