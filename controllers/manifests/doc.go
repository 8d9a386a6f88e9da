// Package manifests turns one RestProxy into the Kubernetes objects it should
// have: a ServiceAccount, a ConfigMap with the proxy's config file, a Service,
// a Deployment and, when enabled, a PodDisruptionBudget, a
// HorizontalPodAutoscaler, a NetworkPolicy, an Ingress and a ServiceMonitor.
// One file per kind, each a pure function of Input; build.go chooses which
// apply.
//
// Every builder is pure: no API calls, no clock, no randomness. The
// reconciler resolves everything that needs the API server (which optional
// CRDs are served: ServiceMonitor, HTTPRoute, Certificate) into Input first,
// so the same Input always yields the same objects and byte-identical config.
// That is what makes the config hash a safe trigger for rolling pods, and
// what lets these functions be tested with tables and golden files alone
// (testdata/build_*.yaml; `go test ./controllers/manifests -update` rewrites
// them).
//
// Files in the pod (each directory one read-only projected volume, mode 0440,
// readable through the pod's fsGroup; only the needed keys are projected):
//
//	/etc/restproxy/config/restproxy.yaml    ConfigMap <name>-config-<hash>
//	/etc/restproxy/kafka-tls/ca.crt         spec.kafka.tls.caSecretRef (its key)
//	/etc/restproxy/kafka-tls/tls.{crt,key}  spec.kafka.tls.certSecretRef
//	/etc/restproxy/kafka-sasl/password      spec.kafka.sasl.passwordSecretRef
//	/etc/restproxy/http-tls/tls.{crt,key}   spec.http.tls.secretName
//	/etc/restproxy/http-tls/client-ca.crt   spec.http.tls.clientCASecretRef
//	/etc/restproxy/auth/<key>               spec.authentication.secretRef
//
// The pod template carries kafka.restproxy.dev/config-hash (sha256 of the
// rendered config file), so a changed config rolls the pods. Nothing about
// the Secrets is on it: the proxy re-reads every file above but the config
// while it runs (docs/configuration.md, "Files re-read while running"), so
// rotating a Secret rolls no pod.
package manifests
