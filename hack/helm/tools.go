//go:build tools

// Package helm pins the Helm command (helm.sh/helm/v4/cmd/helm) so that
// go.sum covers it.
package helm

import (
	_ "helm.sh/helm/v4/cmd/helm"
)
