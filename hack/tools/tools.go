//go:build tools

// Package tools pins the commands the Makefile builds into bin/: controller-gen
// (CRD, RBAC and deepcopy generation) and kustomize (config/ rendering).
package tools

import (
	_ "sigs.k8s.io/controller-tools/cmd/controller-gen"
	_ "sigs.k8s.io/kustomize/kustomize/v5"
)
