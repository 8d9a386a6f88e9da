// Package manifests turns one RestProxy into the Kubernetes objects it should
// have: a ConfigMap with the proxy's config file, a ServiceAccount, a Service,
// a Deployment and, when enabled, a PodDisruptionBudget, a
// HorizontalPodAutoscaler, a NetworkPolicy and a ServiceMonitor.
//
// Every builder is a pure function of Input: no API calls, no clock, no
// randomness. The reconciler resolves everything that needs the API server
// (the Secrets' contents, whether the ServiceMonitor CRD is served) into Input
// first, so the same Input always yields the same objects and byte-identical
// config. That is what makes the config hash a safe trigger for rolling pods,
// and what lets these functions be tested with tables and golden files alone.
package manifests
