package v1alpha1_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

// specCase changes a minimal, valid spec into the object under test.
type specCase struct {
	name   string
	mutate func(*v1alpha1.RestProxySpec)
}

// mtlsReady is an HTTP block whose TLS has a client CA, so authentication
// type mtls is allowed.
func mtlsReady() *v1alpha1.HTTPSpec {
	return &v1alpha1.HTTPSpec{TLS: &v1alpha1.HTTPTLSSpec{
		SecretName:        "https",
		ClientCASecretRef: secretKey("client-ca", "ca.crt"),
	}}
}

// TestCELRules proves every x-kubernetes-validations rule against the API
// server: each bad object is refused as Invalid with the rule's message and on
// the field the rule names, and the matching good objects are accepted.
func TestCELRules(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)

	rules := []celRule{
		{
			rule:    "authentication type and secretRef",
			message: "spec.authentication.secretRef is required when spec.authentication.type is basic or apiKey, and must be absent otherwise",
			field:   "spec.authentication.secretRef",
			bad: []specCase{
				{"basic without secretRef", func(s *v1alpha1.RestProxySpec) {
					s.Authentication = &v1alpha1.AuthenticationSpec{Type: v1alpha1.AuthenticationBasic}
				}},
				{"apiKey without secretRef", func(s *v1alpha1.RestProxySpec) {
					s.Authentication = &v1alpha1.AuthenticationSpec{Type: v1alpha1.AuthenticationAPIKey}
				}},
				{"none with secretRef", func(s *v1alpha1.RestProxySpec) {
					s.Authentication = &v1alpha1.AuthenticationSpec{Type: v1alpha1.AuthenticationNone, SecretRef: secretKey("creds", "keys")}
				}},
				{"defaulted none with secretRef", func(s *v1alpha1.RestProxySpec) {
					s.Authentication = &v1alpha1.AuthenticationSpec{SecretRef: secretKey("creds", "keys")}
				}},
				{"mtls with secretRef", func(s *v1alpha1.RestProxySpec) {
					s.HTTP = mtlsReady()
					s.Authentication = &v1alpha1.AuthenticationSpec{Type: v1alpha1.AuthenticationMTLS, SecretRef: secretKey("creds", "keys")}
				}},
			},
			good: []specCase{
				{"basic with secretRef", func(s *v1alpha1.RestProxySpec) {
					s.Authentication = &v1alpha1.AuthenticationSpec{Type: v1alpha1.AuthenticationBasic, SecretRef: secretKey("creds", "users")}
				}},
				{"apiKey with secretRef", func(s *v1alpha1.RestProxySpec) {
					s.Authentication = &v1alpha1.AuthenticationSpec{Type: v1alpha1.AuthenticationAPIKey, SecretRef: secretKey("creds", "keys")}
				}},
				{"none without secretRef", func(s *v1alpha1.RestProxySpec) {
					s.Authentication = &v1alpha1.AuthenticationSpec{Type: v1alpha1.AuthenticationNone}
				}},
				{"mtls without secretRef", func(s *v1alpha1.RestProxySpec) {
					s.HTTP = mtlsReady()
					s.Authentication = &v1alpha1.AuthenticationSpec{Type: v1alpha1.AuthenticationMTLS}
				}},
			},
		},
		{
			rule:    "mtls needs a client CA",
			message: "spec.http.tls.clientCASecretRef is required when spec.authentication.type is mtls",
			field:   "spec.authentication.type",
			bad: []specCase{
				{"no http", func(s *v1alpha1.RestProxySpec) {
					s.Authentication = &v1alpha1.AuthenticationSpec{Type: v1alpha1.AuthenticationMTLS}
				}},
				{"http without tls", func(s *v1alpha1.RestProxySpec) {
					s.HTTP = &v1alpha1.HTTPSpec{}
					s.Authentication = &v1alpha1.AuthenticationSpec{Type: v1alpha1.AuthenticationMTLS}
				}},
				{"tls without client CA", func(s *v1alpha1.RestProxySpec) {
					s.HTTP = &v1alpha1.HTTPSpec{TLS: &v1alpha1.HTTPTLSSpec{SecretName: "https"}}
					s.Authentication = &v1alpha1.AuthenticationSpec{Type: v1alpha1.AuthenticationMTLS}
				}},
			},
			good: []specCase{
				{"tls with client CA", func(s *v1alpha1.RestProxySpec) {
					s.HTTP = mtlsReady()
					s.Authentication = &v1alpha1.AuthenticationSpec{Type: v1alpha1.AuthenticationMTLS}
				}},
				{"client CA without mtls", func(s *v1alpha1.RestProxySpec) {
					s.HTTP = mtlsReady()
				}},
			},
		},
		{
			rule:    "SASL mechanism and password",
			message: "spec.kafka.sasl.passwordSecretRef is required when spec.kafka.sasl.mechanism is set, and only then",
			field:   "spec.kafka.sasl.passwordSecretRef",
			bad: []specCase{
				{"mechanism without password", func(s *v1alpha1.RestProxySpec) {
					s.Kafka.SASL = &v1alpha1.KafkaSASLSpec{Mechanism: "SCRAM-SHA-512", Username: "orders"}
				}},
				{"password without mechanism", func(s *v1alpha1.RestProxySpec) {
					s.Kafka.SASL = &v1alpha1.KafkaSASLSpec{PasswordSecretRef: secretKey("sasl", "password")}
				}},
			},
			good: []specCase{
				{"SCRAM-SHA-512 with username and password", func(s *v1alpha1.RestProxySpec) {
					s.Kafka.SASL = &v1alpha1.KafkaSASLSpec{Mechanism: "SCRAM-SHA-512", Username: "orders", PasswordSecretRef: secretKey("sasl", "password")}
				}},
				{"empty sasl block", func(s *v1alpha1.RestProxySpec) {
					s.Kafka.SASL = &v1alpha1.KafkaSASLSpec{}
				}},
			},
		},
		{
			rule:    "SASL mechanism and username",
			message: "spec.kafka.sasl.username is required when spec.kafka.sasl.mechanism is set, and only then",
			field:   "spec.kafka.sasl.username",
			bad: []specCase{
				{"mechanism without username", func(s *v1alpha1.RestProxySpec) {
					s.Kafka.SASL = &v1alpha1.KafkaSASLSpec{Mechanism: "PLAIN", PasswordSecretRef: secretKey("sasl", "password")}
				}},
				{"username without mechanism", func(s *v1alpha1.RestProxySpec) {
					s.Kafka.SASL = &v1alpha1.KafkaSASLSpec{Username: "orders"}
				}},
			},
			good: []specCase{
				{"SCRAM-SHA-256 with username and password", func(s *v1alpha1.RestProxySpec) {
					s.Kafka.SASL = &v1alpha1.KafkaSASLSpec{Mechanism: "SCRAM-SHA-256", Username: "orders", PasswordSecretRef: secretKey("sasl", "password")}
				}},
			},
		},
		{
			rule:    "Kafka TLS files need enabled",
			message: "spec.kafka.tls.enabled must be true when caSecretRef or certSecretRef is set",
			field:   "spec.kafka.tls.enabled",
			bad: []specCase{
				{"caSecretRef while disabled", func(s *v1alpha1.RestProxySpec) {
					s.Kafka.TLS = &v1alpha1.KafkaTLSSpec{CASecretRef: secretKey("kafka-ca", "ca.crt")}
				}},
				{"certSecretRef while disabled", func(s *v1alpha1.RestProxySpec) {
					s.Kafka.TLS = &v1alpha1.KafkaTLSSpec{CertSecretRef: &v1alpha1.SecretReference{Name: "kafka-client"}}
				}},
			},
			good: []specCase{
				{"enabled with both", func(s *v1alpha1.RestProxySpec) {
					s.Kafka.TLS = &v1alpha1.KafkaTLSSpec{Enabled: true, CASecretRef: secretKey("kafka-ca", "ca.crt"), CertSecretRef: &v1alpha1.SecretReference{Name: "kafka-client"}}
				}},
				{"enabled with system roots", func(s *v1alpha1.RestProxySpec) {
					s.Kafka.TLS = &v1alpha1.KafkaTLSSpec{Enabled: true}
				}},
				{"disabled without files", func(s *v1alpha1.RestProxySpec) {
					s.Kafka.TLS = &v1alpha1.KafkaTLSSpec{}
				}},
			},
		},
		{
			rule:    "topic rule is name or prefix",
			message: "each topic rule (spec.topics.allow, spec.access[].topics) must set exactly one of name or prefix",
			field:   "spec.topics.allow[1]",
			bad: []specCase{
				{"both", func(s *v1alpha1.RestProxySpec) {
					s.Topics = &v1alpha1.TopicsSpec{Allow: []v1alpha1.TopicRule{{Name: "orders"}, {Name: "orders", Prefix: "orders."}}}
				}},
				{"neither", func(s *v1alpha1.RestProxySpec) {
					s.Topics = &v1alpha1.TopicsSpec{Allow: []v1alpha1.TopicRule{{Prefix: "orders."}, {}}}
				}},
			},
			good: []specCase{
				{"a name and a prefix", func(s *v1alpha1.RestProxySpec) {
					s.Topics = &v1alpha1.TopicsSpec{Allow: []v1alpha1.TopicRule{{Name: "orders"}, {Prefix: "orders."}}}
				}},
			},
		},
		{
			rule:    "autoscaling min at most max",
			message: "spec.autoscaling.minReplicas must not exceed spec.autoscaling.maxReplicas",
			field:   "spec.autoscaling.minReplicas",
			bad: []specCase{
				{"min above max", func(s *v1alpha1.RestProxySpec) {
					s.Autoscaling = &v1alpha1.AutoscalingSpec{MinReplicas: ptr.To[int32](5), MaxReplicas: 3}
					s.Resources = requests("cpu")
				}},
			},
			good: []specCase{
				{"min equals max", func(s *v1alpha1.RestProxySpec) {
					s.Autoscaling = &v1alpha1.AutoscalingSpec{MinReplicas: ptr.To[int32](3), MaxReplicas: 3}
					s.Resources = requests("cpu")
				}},
				{"no min", func(s *v1alpha1.RestProxySpec) {
					s.Autoscaling = &v1alpha1.AutoscalingSpec{MaxReplicas: 1}
					s.Resources = requests("cpu")
				}},
			},
		},
		{
			rule:    "CPU autoscaling needs CPU requests",
			message: "spec.resources.requests.cpu is required when spec.autoscaling targets CPU",
			field:   "spec.autoscaling",
			bad: []specCase{
				{"default CPU target without requests", func(s *v1alpha1.RestProxySpec) {
					s.Autoscaling = &v1alpha1.AutoscalingSpec{MaxReplicas: 3}
				}},
				{"CPU target with memory requests only", func(s *v1alpha1.RestProxySpec) {
					s.Autoscaling = &v1alpha1.AutoscalingSpec{MaxReplicas: 3, TargetCPUUtilizationPercentage: ptr.To[int32](70)}
					s.Resources = requests("memory")
				}},
			},
			good: []specCase{
				{"streams target only, no requests", func(s *v1alpha1.RestProxySpec) {
					s.Autoscaling = &v1alpha1.AutoscalingSpec{MaxReplicas: 3, TargetActiveStreamsPerPod: ptr.To[int32](100)}
				}},
				{"CPU target with CPU requests", func(s *v1alpha1.RestProxySpec) {
					s.Autoscaling = &v1alpha1.AutoscalingSpec{MaxReplicas: 3, TargetCPUUtilizationPercentage: ptr.To[int32](70)}
					s.Resources = requests("cpu")
				}},
			},
		},
		{
			rule:    "memory autoscaling needs memory requests",
			message: "spec.resources.requests.memory is required when spec.autoscaling.targetMemoryUtilizationPercentage is set",
			field:   "spec.autoscaling.targetMemoryUtilizationPercentage",
			bad: []specCase{
				{"memory target without requests", func(s *v1alpha1.RestProxySpec) {
					s.Autoscaling = &v1alpha1.AutoscalingSpec{MaxReplicas: 3, TargetMemoryUtilizationPercentage: ptr.To[int32](70)}
				}},
			},
			good: []specCase{
				{"memory target with memory requests", func(s *v1alpha1.RestProxySpec) {
					s.Autoscaling = &v1alpha1.AutoscalingSpec{MaxReplicas: 3, TargetMemoryUtilizationPercentage: ptr.To[int32](70)}
					s.Resources = requests("memory")
				}},
			},
		},
		{
			rule:    "extra volumes keep off the operator's names",
			message: "spec.template.pod.volumes: the names config, kafka-tls, kafka-sasl, kafka-principals, http-tls, auth, jwks and issuer are the operator's",
			field:   "spec.template.pod.volumes",
			bad: []specCase{
				{"a volume named config", func(s *v1alpha1.RestProxySpec) {
					s.Template = &v1alpha1.TemplateSpec{Pod: &v1alpha1.PodTemplate{Volumes: []v1alpha1.Volume{{Name: "config", EmptyDir: &corev1.EmptyDirVolumeSource{}}}}}
				}},
			},
			good: []specCase{
				{"a volume of its own", func(s *v1alpha1.RestProxySpec) {
					s.Template = &v1alpha1.TemplateSpec{Pod: &v1alpha1.PodTemplate{Volumes: []v1alpha1.Volume{{Name: "scratch", EmptyDir: &corev1.EmptyDirVolumeSource{}}}}}
				}},
			},
		},
		{
			rule:    "one source per extra volume",
			message: "each spec.template.pod.volumes entry must set exactly one of configMap, secret or emptyDir",
			field:   "spec.template.pod.volumes[0]",
			bad: []specCase{
				{"no source", func(s *v1alpha1.RestProxySpec) {
					s.Template = &v1alpha1.TemplateSpec{Pod: &v1alpha1.PodTemplate{Volumes: []v1alpha1.Volume{{Name: "x"}}}}
				}},
				{"two sources", func(s *v1alpha1.RestProxySpec) {
					s.Template = &v1alpha1.TemplateSpec{Pod: &v1alpha1.PodTemplate{Volumes: []v1alpha1.Volume{{Name: "x",
						EmptyDir: &corev1.EmptyDirVolumeSource{}, Secret: &corev1.SecretVolumeSource{SecretName: "s"}}}}}
				}},
			},
		},
		{
			rule:    "extra mounts keep off /etc/restproxy",
			message: "spec.template.container.volumeMounts: /etc/restproxy is the operator's",
			field:   "spec.template.container.volumeMounts",
			bad: []specCase{
				{"over the config", func(s *v1alpha1.RestProxySpec) {
					s.Template = &v1alpha1.TemplateSpec{Container: &v1alpha1.ContainerTemplate{VolumeMounts: []corev1.VolumeMount{{Name: "x", MountPath: "/etc/restproxy/config"}}}}
				}},
				{"the directory itself", func(s *v1alpha1.RestProxySpec) {
					s.Template = &v1alpha1.TemplateSpec{Container: &v1alpha1.ContainerTemplate{VolumeMounts: []corev1.VolumeMount{{Name: "x", MountPath: "/etc/restproxy"}}}}
				}},
			},
			good: []specCase{
				{"elsewhere", func(s *v1alpha1.RestProxySpec) {
					s.Template = &v1alpha1.TemplateSpec{Container: &v1alpha1.ContainerTemplate{VolumeMounts: []corev1.VolumeMount{{Name: "x", MountPath: "/etc/restproxy-extra"}}}}
				}},
			},
		},
		{
			rule:    "externalTrafficPolicy needs an external Service",
			message: "spec.expose.externalTrafficPolicy needs spec.template.service.type NodePort or LoadBalancer",
			field:   "spec.expose.externalTrafficPolicy",
			bad: []specCase{
				{"on a ClusterIP Service", func(s *v1alpha1.RestProxySpec) {
					s.Expose = &v1alpha1.ExposeSpec{ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal}
				}},
			},
			good: []specCase{
				{"on a NodePort Service", func(s *v1alpha1.RestProxySpec) {
					s.Expose = &v1alpha1.ExposeSpec{ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal}
					s.Template = &v1alpha1.TemplateSpec{Service: &v1alpha1.ServiceTemplate{Type: corev1.ServiceTypeNodePort}}
				}},
			},
		},
		{
			rule:    "cert-manager needs the Secret to issue into",
			message: "spec.expose.ingress.tlsSecretName is required with issuerRef",
			field:   "spec.expose.ingress.tlsSecretName",
			bad: []specCase{
				{"issuerRef without tlsSecretName", func(s *v1alpha1.RestProxySpec) {
					s.Expose = &v1alpha1.ExposeSpec{Ingress: &v1alpha1.IngressExposeSpec{Host: "a.example.com", IssuerRef: &v1alpha1.IssuerReference{Name: "le"}}}
				}},
			},
			good: []specCase{
				{"issuerRef with tlsSecretName", func(s *v1alpha1.RestProxySpec) {
					s.Expose = &v1alpha1.ExposeSpec{Ingress: &v1alpha1.IngressExposeSpec{Host: "a.example.com", TLSSecretName: "a-tls", IssuerRef: &v1alpha1.IssuerReference{Name: "le"}}}
				}},
			},
		},
		{
			rule:    "source ranges need a LoadBalancer",
			message: "spec.expose.loadBalancerSourceRanges needs spec.template.service.type LoadBalancer",
			field:   "spec.expose.loadBalancerSourceRanges",
			bad: []specCase{
				{"on a NodePort Service", func(s *v1alpha1.RestProxySpec) {
					s.Expose = &v1alpha1.ExposeSpec{LoadBalancerSourceRanges: []string{"10.0.0.0/8"}}
					s.Template = &v1alpha1.TemplateSpec{Service: &v1alpha1.ServiceTemplate{Type: corev1.ServiceTypeNodePort}}
				}},
			},
		},
		{
			rule:    "one monitor",
			message: "spec.metrics: enable serviceMonitor or podMonitor, not both",
			field:   "spec.metrics.podMonitor.enabled",
			bad: []specCase{
				{"both enabled", func(s *v1alpha1.RestProxySpec) {
					s.Metrics = &v1alpha1.MetricsSpec{ServiceMonitor: &v1alpha1.MonitorSpec{Enabled: true}, PodMonitor: &v1alpha1.MonitorSpec{Enabled: true}}
				}},
			},
			good: []specCase{
				{"a PodMonitor alone", func(s *v1alpha1.RestProxySpec) {
					s.Metrics = &v1alpha1.MetricsSpec{PodMonitor: &v1alpha1.MonitorSpec{Enabled: true, Interval: "15s"}}
				}},
				{"a PodMonitor and a disabled ServiceMonitor", func(s *v1alpha1.RestProxySpec) {
					s.Metrics = &v1alpha1.MetricsSpec{ServiceMonitor: &v1alpha1.MonitorSpec{Interval: "30s"}, PodMonitor: &v1alpha1.MonitorSpec{Enabled: true}}
				}},
			},
		},
		{
			rule:    "ports differ",
			message: "spec.http.port and spec.http.managementPort must differ",
			field:   "spec.http.managementPort",
			bad: []specCase{
				{"both set equal", func(s *v1alpha1.RestProxySpec) {
					s.HTTP = &v1alpha1.HTTPSpec{Port: 9000, ManagementPort: 9000}
				}},
				{"port equals the default managementPort", func(s *v1alpha1.RestProxySpec) {
					s.HTTP = &v1alpha1.HTTPSpec{Port: 8081}
				}},
			},
			good: []specCase{
				{"distinct ports", func(s *v1alpha1.RestProxySpec) {
					s.HTTP = &v1alpha1.HTTPSpec{Port: 9000, ManagementPort: 9001}
				}},
			},
		},
		{
			rule:    "bootstrap server ports in range",
			message: "spec.kafka.bootstrapServers entries must have a port between 1 and 65535",
			field:   "spec.kafka.bootstrapServers",
			bad: []specCase{
				{"port 0", func(s *v1alpha1.RestProxySpec) { s.Kafka.BootstrapServers = []string{"kafka:9092", "kafka:0"} }},
				{"port 70000", func(s *v1alpha1.RestProxySpec) { s.Kafka.BootstrapServers = []string{"kafka:70000"} }},
			},
			good: []specCase{
				{"names and addresses", func(s *v1alpha1.RestProxySpec) {
					s.Kafka.BootstrapServers = []string{"kafka-0.kafka.svc.cluster.local:9093", "10.0.0.7:65535", "[::1]:1"}
				}},
			},
		},
		{
			rule:    "maxUnavailable is a count or a percentage",
			message: "spec.podDisruptionBudget.maxUnavailable must be a non-negative count or a percentage from 0% to 100%, such as 25%",
			field:   "spec.podDisruptionBudget.maxUnavailable",
			bad: []specCase{
				{"negative", func(s *v1alpha1.RestProxySpec) {
					s.PodDisruptionBudget = &v1alpha1.PodDisruptionBudgetSpec{MaxUnavailable: ptr.To(intstr.FromInt32(-1))}
				}},
				{"not a percentage", func(s *v1alpha1.RestProxySpec) {
					s.PodDisruptionBudget = &v1alpha1.PodDisruptionBudgetSpec{MaxUnavailable: ptr.To(intstr.FromString("half"))}
				}},
				{"above 100%", func(s *v1alpha1.RestProxySpec) {
					s.PodDisruptionBudget = &v1alpha1.PodDisruptionBudgetSpec{MaxUnavailable: ptr.To(intstr.FromString("101%"))}
				}},
			},
			good: []specCase{
				{"zero", func(s *v1alpha1.RestProxySpec) {
					s.PodDisruptionBudget = &v1alpha1.PodDisruptionBudgetSpec{MaxUnavailable: ptr.To(intstr.FromInt32(0))}
				}},
				{"percentage", func(s *v1alpha1.RestProxySpec) {
					s.PodDisruptionBudget = &v1alpha1.PodDisruptionBudgetSpec{MaxUnavailable: ptr.To(intstr.FromString("25%"))}
				}},
				{"100%", func(s *v1alpha1.RestProxySpec) {
					s.PodDisruptionBudget = &v1alpha1.PodDisruptionBudgetSpec{MaxUnavailable: ptr.To(intstr.FromString("100%"))}
				}},
			},
		},
	}

	checkCELRules(t, ns, rules)
}

// assertInvalid fails unless err is the API server's Invalid error with a
// cause on field whose message contains want.
func assertInvalid(t *testing.T, err error, field, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("created; want Invalid on %s: %q", field, want)
	}
	var status *apierrors.StatusError
	if !apierrors.IsInvalid(err) || !errors.As(err, &status) || status.ErrStatus.Details == nil {
		t.Fatalf("error %v; want Invalid on %s: %q", err, field, want)
	}
	for _, cause := range status.ErrStatus.Details.Causes {
		if cause.Field == field && strings.Contains(cause.Message, want) {
			return
		}
	}
	t.Fatalf("error %q has no cause on %s containing %q; causes: %+v", err, field, want, status.ErrStatus.Details.Causes)
}

// minimalUnstructured is minimal() as a map, so a test can write what the
// Go types cannot hold: wrong types, out-of-range numbers, absent fields.
func minimalUnstructured(namespace string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": v1alpha1.GroupVersion.String(),
		"kind":       "RestProxy",
		"metadata":   map[string]any{"namespace": namespace, "generateName": "rp-"},
		"spec": map[string]any{
			"kafka": map[string]any{"bootstrapServers": []any{"kafka.kafka.svc:9092"}},
		},
	}}
}

// TestSchemaMarkers proves the enums, minimums and patterns: the API server
// refuses each value with an error naming the field.
func TestSchemaMarkers(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)

	cases := []struct {
		name  string
		path  []string // under the object; nil value removes the field
		value any
		field string
		want  string
	}{
		{"acks", []string{"spec", "producer", "acks"}, "some", "spec.producer.acks", `Unsupported value: "some"`},
		{"compression", []string{"spec", "producer", "compression"}, "brotli", "spec.producer.compression", `Unsupported value: "brotli"`},
		{"sasl mechanism", []string{"spec", "kafka", "sasl"}, map[string]any{
			"mechanism": "GSSAPI", "username": "orders",
			"passwordSecretRef": map[string]any{"name": "sasl", "key": "password"},
		}, "spec.kafka.sasl.mechanism", `Unsupported value: "GSSAPI"`},
		{"logging level", []string{"spec", "logging", "level"}, "trace", "spec.logging.level", `Unsupported value: "trace"`},
		{"logging format", []string{"spec", "logging", "format"}, "xml", "spec.logging.format", `Unsupported value: "xml"`},
		{"authentication type", []string{"spec", "authentication", "type"}, "oauth", "spec.authentication.type", `Unsupported value: "oauth"`},
		{"service type", []string{"spec", "template", "service", "type"}, "ExternalName", "spec.template.service.type", `Unsupported value: "ExternalName"`},
		{"replicas -1", []string{"spec", "replicas"}, int64(-1), "spec.replicas", "should be greater than or equal to 0"},
		{"lingerMs -1", []string{"spec", "producer", "lingerMs"}, int64(-1), "spec.producer.lingerMs", "should be greater than or equal to 0"},
		{"maxAttempts 0", []string{"spec", "producer", "maxAttempts"}, int64(0), "spec.producer.maxAttempts", "should be greater than or equal to 1"},
		{"recordsPerSecond 0", []string{"spec", "rateLimit", "recordsPerSecond"}, int64(0), "spec.rateLimit.recordsPerSecond", "should be greater than or equal to 1"},
		{"bytesPerSecond 0", []string{"spec", "rateLimit", "bytesPerSecond"}, int64(0), "spec.rateLimit.bytesPerSecond", "should be greater than or equal to 1"},
		{"perClusterRecordsPerSecond 0", []string{"spec", "rateLimit", "perClusterRecordsPerSecond"}, int64(0), "spec.rateLimit.perClusterRecordsPerSecond", "should be greater than or equal to 1"},
		{"perClusterBytesPerSecond -1", []string{"spec", "rateLimit", "perClusterBytesPerSecond"}, int64(-1), "spec.rateLimit.perClusterBytesPerSecond", "should be greater than or equal to 1"},
		{"maxBatchEntries 0", []string{"spec", "http", "maxBatchEntries"}, int64(0), "spec.http.maxBatchEntries", "should be greater than or equal to 1"},
		{"maxBatchEntries 1001", []string{"spec", "http", "maxBatchEntries"}, int64(1001), "spec.http.maxBatchEntries", "should be less than or equal to 1000"},
		{"port 70000", []string{"spec", "http", "port"}, int64(70000), "spec.http.port", "should be less than or equal to 65535"},
		{"target CPU 0", []string{"spec", "autoscaling"}, map[string]any{"maxReplicas": int64(2), "targetCPUUtilizationPercentage": int64(0)},
			"spec.autoscaling.targetCPUUtilizationPercentage", "should be greater than or equal to 1"},
		{"bootstrapServers missing", []string{"spec", "kafka", "bootstrapServers"}, nil, "spec.kafka.bootstrapServers", "Required value"},
		{"bootstrapServers empty", []string{"spec", "kafka", "bootstrapServers"}, []any{}, "spec.kafka.bootstrapServers", "should have at least 1 items"},
		{"bootstrapServer without port", []string{"spec", "kafka", "bootstrapServers"}, []any{"kafka:9092", "kafka"}, "spec.kafka.bootstrapServers[1]", "should match"},
		{"bootstrapServer empty", []string{"spec", "kafka", "bootstrapServers"}, []any{""}, "spec.kafka.bootstrapServers[0]", "should match"},
		{"bootstrapServer unbracketed IPv6", []string{"spec", "kafka", "bootstrapServers"}, []any{"::1:9092"}, "spec.kafka.bootstrapServers[0]", "should match"},
		{"topic name", []string{"spec", "topics", "allow"}, []any{map[string]any{"name": "orders/eu"}}, "spec.topics.allow[0].name", "should match"},
		{"streamMaxAge", []string{"spec", "http", "streamMaxAge"}, "one day", "spec.http.streamMaxAge", "should match"},
		{"idleTimeout", []string{"spec", "http", "idleTimeout"}, "30", "spec.http.idleTimeout", "should match"},
		{"serviceMonitor interval", []string{"spec", "metrics", "serviceMonitor", "interval"}, "30 seconds", "spec.metrics.serviceMonitor.interval", "should match"},
		{"secret key", []string{"spec", "authentication"}, map[string]any{
			"type": "apiKey", "secretRef": map[string]any{"name": "creds", "key": "a/b"},
		}, "spec.authentication.secretRef.key", "should match"},
		{"secret name empty", []string{"spec", "http", "tls"}, map[string]any{"secretName": ""}, "spec.http.tls.secretName", "should be at least 1 chars long"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rp := minimalUnstructured(ns)
			if c.value == nil {
				unstructured.RemoveNestedField(rp.Object, c.path...)
			} else if err := unstructured.SetNestedField(rp.Object, c.value, c.path...); err != nil {
				t.Fatalf("set %v: %v", c.path, err)
			}
			err := k8s.Create(context.Background(), rp)
			assertInvalid(t, err, c.field, c.want)
		})
	}
}

// TestDefaults proves the defaults the API server writes: none outside the
// blocks a user wrote (so absent features stay absent), and every marker
// default inside them.
func TestDefaults(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)

	t.Run("minimal object", func(t *testing.T) {
		t.Parallel()
		rp := minimalUnstructured(ns)
		got := createAndRead(t, rp)
		spec, _, _ := unstructured.NestedMap(got.Object, "spec")
		want := map[string]any{
			"replicas": int64(1),
			"kafka":    map[string]any{"bootstrapServers": []any{"kafka.kafka.svc:9092"}},
		}
		if !reflect.DeepEqual(spec, want) {
			t.Fatalf("spec read back = %v; want %v", spec, want)
		}
	})

	t.Run("empty blocks", func(t *testing.T) {
		t.Parallel()
		rp := minimalUnstructured(ns)
		for path, value := range map[string]any{
			"http":                map[string]any{},
			"authentication":      map[string]any{},
			"logging":             map[string]any{},
			"autoscaling":         map[string]any{"maxReplicas": int64(3)},
			"resources":           map[string]any{"requests": map[string]any{"cpu": "100m"}},
			"podDisruptionBudget": map[string]any{},
		} {
			if err := unstructured.SetNestedField(rp.Object, value, "spec", path); err != nil {
				t.Fatal(err)
			}
		}
		if err := unstructured.SetNestedField(rp.Object, map[string]any{}, "spec", "kafka", "tls"); err != nil {
			t.Fatal(err)
		}
		got := createAndRead(t, rp)
		for _, d := range []struct {
			path []string
			want any
		}{
			{[]string{"spec", "replicas"}, int64(1)},
			{[]string{"spec", "http", "port"}, int64(8082)},
			{[]string{"spec", "http", "managementPort"}, int64(8081)},
			{[]string{"spec", "authentication", "type"}, "none"},
			{[]string{"spec", "logging", "level"}, "info"},
			{[]string{"spec", "logging", "format"}, "json"},
			{[]string{"spec", "podDisruptionBudget", "maxUnavailable"}, int64(1)},
			{[]string{"spec", "kafka", "tls", "enabled"}, false},
		} {
			v, found, err := unstructured.NestedFieldNoCopy(got.Object, d.path...)
			if err != nil || !found || v != d.want {
				t.Errorf("%s = %v (found %t, err %v); want %v", strings.Join(d.path, "."), v, found, err, d.want)
			}
		}
		// No CRD default: the operator targets 80% CPU when no target is
		// set, and a default here would also target CPU beside another target.
		if v, found, _ := unstructured.NestedFieldNoCopy(got.Object, "spec", "autoscaling", "targetCPUUtilizationPercentage"); found {
			t.Errorf("spec.autoscaling.targetCPUUtilizationPercentage defaulted to %v; want it left unset", v)
		}
	})
}

// createAndRead creates obj and reads it back from the API server.
func createAndRead(t *testing.T, obj *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	ctx := context.Background()
	if err := k8s.Create(ctx, obj); err != nil {
		t.Fatalf("create: %v", err)
	}
	got := &unstructured.Unstructured{}
	got.SetGroupVersionKind(obj.GroupVersionKind())
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), got); err != nil {
		t.Fatalf("read back: %v", err)
	}
	return got
}

// TestRulesApplyToUpdates: an edit that breaks a rule is refused like a
// create, so kubectl edit cannot get an object past the schema either.
func TestRulesApplyToUpdates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rp := minimal(newNamespace(t))
	rp.Spec.Authentication = &v1alpha1.AuthenticationSpec{Type: v1alpha1.AuthenticationBasic, SecretRef: secretKey("creds", "users")}
	if err := k8s.Create(ctx, rp); err != nil {
		t.Fatalf("create: %v", err)
	}
	rp.Spec.Authentication.SecretRef = nil
	err := k8s.Update(ctx, rp)
	assertInvalid(t, err, "spec.authentication.secretRef",
		"spec.authentication.secretRef is required when spec.authentication.type is basic or apiKey")
}

// TestWellKnownNamesRefused: a RestProxy may not take a name whose
// ServiceAccount or Service every namespace (or the default one) already
// has; the operator would refuse to adopt them anyway, but the API server
// says so at once.
func TestWellKnownNamesRefused(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	for _, name := range []string{"default", "kubernetes"} {
		rp := minimal(ns)
		rp.GenerateName, rp.Name = "", name
		err := k8s.Create(context.Background(), rp)
		if err == nil || !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "metadata.name must not be default or kubernetes") {
			t.Errorf("create RestProxy %q: %v; want Invalid naming the reserved names", name, err)
		}
	}
	ok := minimal(ns)
	ok.GenerateName, ok.Name = "", "default-orders"
	if err := k8s.Create(context.Background(), ok); err != nil {
		t.Errorf("create RestProxy default-orders: %v", err)
	}
}

// requests are resource requests of the named resources.
func requests(names ...string) *corev1.ResourceRequirements {
	r := &corev1.ResourceRequirements{Requests: corev1.ResourceList{}}
	for _, n := range names {
		r.Requests[corev1.ResourceName(n)] = resource.MustParse("100m")
	}
	return r
}

// celRule is one x-kubernetes-validations rule: the specs it refuses with
// message on field, and specs it accepts.
type celRule struct {
	rule, message, field string
	bad, good            []specCase
}

// checkCELRules creates each rule's bad and good specs in ns, in parallel.
func checkCELRules(t *testing.T, ns string, rules []celRule) {
	for _, r := range rules {
		t.Run(r.rule, func(t *testing.T) {
			t.Parallel()
			for _, c := range r.bad {
				t.Run("refuses "+c.name, func(t *testing.T) {
					t.Parallel()
					rp := minimal(ns)
					c.mutate(&rp.Spec)
					assertInvalid(t, k8s.Create(context.Background(), rp), r.field, r.message)
				})
			}
			for _, c := range r.good {
				t.Run("accepts "+c.name, func(t *testing.T) {
					t.Parallel()
					rp := minimal(ns)
					c.mutate(&rp.Spec)
					if err := k8s.Create(context.Background(), rp); err != nil {
						t.Fatalf("create: %v", err)
					}
				})
			}
		})
	}
}
