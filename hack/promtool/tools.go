//go:build tools

// Package promtool pins Prometheus's rule checker and tester
// (github.com/prometheus/prometheus/cmd/promtool) so that go.sum covers it.
package promtool

import (
	_ "github.com/prometheus/prometheus/cmd/promtool"
)
