package manifests

import (
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/restproxy-dev/restproxy-operator/api/v1alpha1"
)

const testImage = "registry.example/restproxy:v1.2.3"

// minimal is the smallest valid RestProxy, as the API server returns it
// (CRD defaults applied).
func minimal() *v1alpha1.RestProxy {
	return &v1alpha1.RestProxy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "kafka.restproxy.dev/v1alpha1", Kind: "RestProxy"},
		ObjectMeta: metav1.ObjectMeta{Name: "orders", Namespace: "tenant-a", UID: "3f0c1e1a-0000-4000-8000-000000000001"},
		Spec: v1alpha1.RestProxySpec{
			Replicas: ptrTo[int32](1),
			Kafka:    v1alpha1.KafkaSpec{BootstrapServers: []string{"kafka-0.kafka:9092", "kafka-1.kafka:9092"}},
		},
	}
}

// full sets every field of the spec.
func full() *v1alpha1.RestProxy {
	rp := minimal()
	rp.Spec = v1alpha1.RestProxySpec{
		Replicas:                ptrTo[int32](3),
		Image:                   "registry.example/restproxy:custom",
		UpgradePolicy:           v1alpha1.UpgradePolicyManual,
		ProgressDeadlineSeconds: ptrTo[int32](300),
		Kafka: v1alpha1.KafkaSpec{
			BootstrapServers: []string{"kafka-0.kafka:9093"},
			ClientID:         "orders-proxy",
			TLS: &v1alpha1.KafkaTLSSpec{
				Enabled:       true,
				CASecretRef:   &v1alpha1.SecretKeySelector{Name: "kafka-ca", Key: "ca.pem"},
				CertSecretRef: &v1alpha1.SecretReference{Name: "kafka-client"},
			},
			SASL: &v1alpha1.KafkaSASLSpec{
				Mechanism:         "SCRAM-SHA-512",
				Username:          "orders",
				PasswordSecretRef: &v1alpha1.SecretKeySelector{Name: "kafka-user", Key: "password"},
			},
			Identity: "principal",
			Principals: []v1alpha1.KafkaPrincipal{
				{Principal: "billing", Username: "billing", PasswordSecretRef: v1alpha1.SecretKeySelector{Name: "billing-kafka-user", Key: "password"}},
			},
		},
		Producer: &v1alpha1.ProducerSpec{
			Acks:              "leader",
			Compression:       "zstd",
			LingerMs:          ptrTo[int32](10),
			BatchMaxRecords:   ptrTo[int32](500),
			BatchMaxBytes:     ptrTo[int32](524288),
			MaxMessageBytes:   ptrTo[int32](262144),
			MaxAttempts:       ptrTo[int32](5),
			DeliveryTimeoutMs: ptrTo[int32](60000),
		},
		HTTP: &v1alpha1.HTTPSpec{
			Port:                  9443,
			ManagementPort:        9090,
			MaxRequestBytes:       ptrTo[int64](10485760),
			MaxRecordBytes:        ptrTo[int32](131072),
			MaxStreams:            ptrTo[int32](200),
			MaxBatchEntries:       ptrTo[int32](100),
			StreamMaxAge:          &metav1.Duration{Duration: 2 * time.Hour},
			IdleTimeout:           &metav1.Duration{Duration: 45 * time.Second},
			TrustForwardedHeaders: ptrTo(true),
			TLS: &v1alpha1.HTTPTLSSpec{
				SecretName:        "orders-https",
				ClientCASecretRef: &v1alpha1.SecretKeySelector{Name: "clients-ca", Key: "ca.crt"},
			},
		},
		Authentication: &v1alpha1.AuthenticationSpec{
			Type:      v1alpha1.AuthenticationBasic,
			SecretRef: &v1alpha1.SecretKeySelector{Name: "orders-credentials", Key: "users"},
		},
		Topics: &v1alpha1.TopicsSpec{Allow: []v1alpha1.TopicRule{{Name: "orders"}, {Prefix: "orders."}}},
		Access: []v1alpha1.AccessRule{
			{Principals: []v1alpha1.PrincipalMatch{{Name: "billing"}}, Topics: []v1alpha1.TopicRule{{Prefix: "billing."}}, RecordsPerSecond: ptrTo[int64](100)},
			{Principals: []v1alpha1.PrincipalMatch{{Prefix: "orders-"}}, BytesPerSecond: ptrTo[int64](1000000)},
		},
		RateLimit: &v1alpha1.RateLimitSpec{
			RecordsPerSecond:           ptrTo[int64](5000),
			BytesPerSecond:             ptrTo[int64](5000000),
			PerClusterRecordsPerSecond: ptrTo[int64](1000),
		},
		Resources: &corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")},
		},
		Logging: &v1alpha1.LoggingSpec{Level: "debug", Format: "text"},
		Autoscaling: &v1alpha1.AutoscalingSpec{MinReplicas: ptrTo[int32](2), MaxReplicas: 10, TargetCPUUtilizationPercentage: ptrTo[int32](70),
			TargetMemoryUtilizationPercentage: ptrTo[int32](85), TargetActiveStreamsPerPod: ptrTo[int32](150), TargetInFlightRecordsPerPod: ptrTo[int32](5000),
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptrTo[int32](600)}}},
		PodDisruptionBudget: &v1alpha1.PodDisruptionBudgetSpec{
			Enabled:        ptrTo(true),
			MaxUnavailable: ptrTo(intstr.FromString("25%")),
		},
		NetworkPolicy: &v1alpha1.NetworkPolicySpec{
			Enabled: true,
			AllowedFrom: []networkingv1.NetworkPolicyPeer{{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "orders"}},
			}},
			ManagementFrom: []networkingv1.NetworkPolicyPeer{{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "monitoring"}},
			}},
		},
		Metrics: &v1alpha1.MetricsSpec{ServiceMonitor: &v1alpha1.MonitorSpec{
			Enabled:  true,
			Interval: "15s",
			Labels:   map[string]string{"release": "prometheus"},
		}},
		Observability: &v1alpha1.ObservabilitySpec{
			Tracing: &v1alpha1.TracingSpec{
				Endpoint:            "http://otel-collector.monitoring:4318",
				Protocol:            "http/protobuf",
				SamplingRatio:       "0.05",
				InjectRecordHeaders: ptrTo(false),
				HeadersSecretRef:    &v1alpha1.SecretKeySelector{Name: "otlp", Key: "headers"},
			},
			AccessLog:      &v1alpha1.AccessLogSpec{Enabled: ptrTo(true), SampleSuccessfulSingleRatio: "0.01"},
			PrincipalLimit: ptrTo(int32(20)),
		},
		SchemaRegistry: &v1alpha1.SchemaRegistrySpec{
			URLs:                 []string{"https://schema-registry.kafka:8081"},
			BearerTokenSecretRef: &v1alpha1.SecretKeySelector{Name: "registry-token", Key: "token"},
			TLS:                  &v1alpha1.SchemaRegistryTLSSpec{CASecretRef: &v1alpha1.SecretKeySelector{Name: "kafka-ca", Key: "ca.pem"}},
			Timeout:              &metav1.Duration{Duration: 3 * time.Second},
			LatestCacheTTL:       &metav1.Duration{Duration: 10 * time.Second},
			RegisterSchemas:      ptrTo(true),
		},
		Expose: &v1alpha1.ExposeSpec{
			Ingress: &v1alpha1.IngressExposeSpec{
				ClassName: "nginx", Host: "orders.kafka.example.com", TLSSecretName: "orders-public-tls",
				IssuerRef:   &v1alpha1.IssuerReference{Name: "letsencrypt", Kind: "ClusterIssuer", Group: "cert-manager.io"},
				Annotations: map[string]string{"nginx.ingress.kubernetes.io/backend-protocol": "HTTPS"},
			},
			HTTPRoute: &v1alpha1.HTTPRouteExposeSpec{
				ParentRefs: []v1alpha1.GatewayParentRef{{Name: "public", Namespace: "gateways", SectionName: "https"}},
				Hostnames:  []string{"orders.kafka.example.com"},
			},
			LoadBalancerSourceRanges: []string{"10.0.0.0/8"},
			ExternalTrafficPolicy:    corev1.ServiceExternalTrafficPolicyLocal,
		},
		Template: &v1alpha1.TemplateSpec{
			Pod: &v1alpha1.PodTemplate{
				Metadata: &v1alpha1.EmbeddedMetadata{
					Labels:      map[string]string{"team": "orders"},
					Annotations: map[string]string{"sidecar.istio.io/inject": "false"},
				},
				Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
					PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
						Weight: 100,
						PodAffinityTerm: corev1.PodAffinityTerm{
							TopologyKey:   "kubernetes.io/hostname",
							LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/instance": "orders"}},
						},
					}},
				}},
				Tolerations:  []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "kafka", Effect: corev1.TaintEffectNoSchedule}},
				NodeSelector: map[string]string{"kubernetes.io/os": "linux"},
				TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{
					MaxSkew:           1,
					TopologyKey:       "topology.kubernetes.io/zone",
					WhenUnsatisfiable: corev1.ScheduleAnyway,
					LabelSelector:     &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/instance": "orders"}},
				}},
				PriorityClassName:             "tenant-high",
				HostAliases:                   []corev1.HostAlias{{IP: "10.0.0.7", Hostnames: []string{"issuer.internal"}}},
				ImagePullSecrets:              []corev1.LocalObjectReference{{Name: "registry-creds"}},
				TerminationGracePeriodSeconds: ptrTo[int64](90),
				SecurityContext: &corev1.PodSecurityContext{
					RunAsNonRoot:   ptrTo(true),
					SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
				},
				Volumes: []v1alpha1.Volume{{Name: "extra-ca", ConfigMap: &corev1.ConfigMapVolumeSource{
					LocalObjectReference: corev1.LocalObjectReference{Name: "orders-extra-ca"}}}},
			},
			Container: &v1alpha1.ContainerTemplate{
				Env:          []corev1.EnvVar{{Name: "GOMEMLIMIT", Value: "400MiB"}},
				EnvFrom:      []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "orders-env"}}}},
				VolumeMounts: []corev1.VolumeMount{{Name: "extra-ca", MountPath: "/etc/ssl/extra", ReadOnly: true}},
				SecurityContext: &corev1.SecurityContext{
					RunAsNonRoot:             ptrTo(true),
					AllowPrivilegeEscalation: ptrTo(false),
					ReadOnlyRootFilesystem:   ptrTo(true),
					Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
			},
			Service: &v1alpha1.ServiceTemplate{
				Metadata: &v1alpha1.EmbeddedMetadata{
					Labels:      map[string]string{"exposed": "internal"},
					Annotations: map[string]string{"service.beta.kubernetes.io/aws-load-balancer-internal": "true"},
				},
				Type: corev1.ServiceTypeLoadBalancer,
			},
		},
	}
	return rp
}

// kubernetesJWT takes the cluster's own service-account tokens, with
// per-service-account rules.
func kubernetesJWT() *v1alpha1.RestProxy {
	rp := minimal()
	rp.Spec.Authentication = &v1alpha1.AuthenticationSpec{Type: v1alpha1.AuthenticationJWT, JWT: &v1alpha1.JWTSpec{
		IssuerURL: "https://kubernetes.default.svc.cluster.local",
		Audiences: []string{"https://kubernetes.default.svc.cluster.local"},
	}}
	rp.Spec.Access = []v1alpha1.AccessRule{
		{Principals: []v1alpha1.PrincipalMatch{{Prefix: "system:serviceaccount:shop:"}}, Topics: []v1alpha1.TopicRule{{Prefix: "shop."}}},
	}
	return rp
}

func input(rp *v1alpha1.RestProxy) Input {
	return Input{RestProxy: rp, DefaultImage: testImage, ServiceMonitorCRD: true, HTTPRouteCRD: true, CertificateCRD: true}
}
