// Package charts holds the tests of the Helm charts in this directory: helm
// lint, every rendered variant validated by a real API server, the chart's
// RBAC matched against the operator's markers, and the operator run with the
// chart's permissions. They run in `make test`, which builds helm, kubectl
// and the envtest API server first.
package charts
