package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The RestProxy that trusts the cluster's service-account issuer, and the
// pod that produces through it with nothing but its projected token.
const (
	ssoNS    = "tenant-d"
	ssoName  = "sso"
	ssoTopic = "e2e-sso"
	// ssoAudience is the audience of the producer pod's token, the one
	// the RestProxy accepts.
	ssoAudience = "restproxy-e2e"
	// The apiserver's --service-account-issuer, and the cluster IP of the
	// kubernetes Service behind it: the cluster runs no DNS, so the proxy
	// pod resolves the name through hostAliases.
	clusterIssuer    = "https://kubernetes.default.svc.cluster.local"
	kubernetesSvcIP  = "10.96.0.1"
	producerPod      = "producer"
	producerRecords  = `{"value":{"type":"STRING","data":"from a pod"}}{"value":{"type":"STRING","data":"with its own token"}}`
	producerTokenDir = "/var/run/secrets/restproxy"
)

// serviceAccountProduces creates a RestProxy with authentication.type jwt
// whose issuer is the cluster's own, and a pod with a projected
// service-account token (audience restproxy-e2e) and no Secret at all,
// which produces two records through the RestProxy's Service with
// `restproxy produce`. The records are stored; a request without a token
// is refused 401.
func (s *suite) serviceAccountProduces(ctx context.Context) error {
	manifest := fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata: {name: %[1]s}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: %[6]s, namespace: %[1]s}
---
apiVersion: kafka.restproxy.dev/v1alpha1
kind: RestProxy
metadata: {name: %[2]s, namespace: %[1]s}
spec:
  kafka:
    bootstrapServers: [%[3]q]
  authentication:
    type: jwt
    jwt:
      issuerURL: %[4]s
      audiences: [%[5]s]
  template:
    pod:
      hostAliases:
        - ip: %[7]s
          hostnames: [kubernetes.default.svc.cluster.local]
`, ssoNS, ssoName, s.brokerAddr(), clusterIssuer, ssoAudience, producerPod, kubernetesSvcIP)
	if _, err := s.c.kubectlIn(ctx, []byte(manifest), "apply", "-f", "-"); err != nil {
		return err
	}
	if err := s.waitReady(ctx, ssoNS, ssoName, 1); err != nil {
		return err
	}
	url, err := s.serviceURL(ctx, ssoNS, ssoName, ssoTopic)
	if err != nil {
		return err
	}
	status, body, err := produceOne(ctx, client, url, nil, "no token")
	if err != nil {
		return err
	}
	if status != http.StatusUnauthorized || !strings.Contains(body, `"error_code":40101`) {
		return fmt.Errorf("without a token: HTTP %d %s, want 401 with 40101", status, body)
	}
	if err := s.runProducerPod(ctx, url); err != nil {
		return err
	}
	msgs, err := readPartition(ctx, s.brokerAddr(), ssoTopic, 0)
	if err != nil {
		return err
	}
	var values []string
	for _, m := range msgs {
		values = append(values, string(m.Value))
	}
	if strings.Join(values, "|") != "from a pod|with its own token" {
		return fmt.Errorf("%s holds %q, want the pod's two records", ssoTopic, values)
	}
	return nil
}

// runProducerPod runs `restproxy produce` in a pod whose only credential
// is a projected token of its service account, and waits for it to
// succeed (every record reported 200).
func (s *suite) runProducerPod(ctx context.Context, url string) error {
	pod := fmt.Sprintf(`apiVersion: v1
kind: ConfigMap
metadata: {name: records, namespace: %[1]s}
data:
  records.json: %[2]q
---
apiVersion: v1
kind: Pod
metadata: {name: %[3]s, namespace: %[1]s}
spec:
  serviceAccountName: %[3]s
  automountServiceAccountToken: false
  restartPolicy: Never
  containers:
    - name: produce
      image: %[4]s
      imagePullPolicy: Never
      args: [produce, --url, %[5]q, --token-file, %[6]s/token, --records, /records/records.json]
      volumeMounts:
        - {name: token, mountPath: %[6]s, readOnly: true}
        - {name: records, mountPath: /records, readOnly: true}
  volumes:
    - name: token
      projected:
        defaultMode: 0444
        sources:
          - serviceAccountToken: {audience: %[7]s, expirationSeconds: 3600, path: token}
    - name: records
      configMap: {name: records}
`, ssoNS, producerRecords, producerPod, upgradeImage, url, producerTokenDir, ssoAudience)
	if _, err := s.c.kubectlIn(ctx, []byte(pod), "apply", "-f", "-"); err != nil {
		return err
	}
	err := poll(ctx, 120*time.Second, func() error {
		phase, err := s.c.kubectl(ctx, "get", "pod", "-n", ssoNS, producerPod, "-o", "jsonpath={.status.phase}")
		switch {
		case err != nil:
			return err
		case phase == "Failed":
			return nil // reported below, with its output
		case phase != "Succeeded":
			return fmt.Errorf("producer pod is %s", phase)
		}
		return nil
	})
	logs, _ := s.c.kubectl(ctx, "logs", "-n", ssoNS, producerPod)
	phase, _ := s.c.kubectl(ctx, "get", "pod", "-n", ssoNS, producerPod, "-o", "jsonpath={.status.phase}")
	if err != nil || phase != "Succeeded" || strings.Count(logs, `"error_code":200`) != 2 {
		return fmt.Errorf("producer pod %s (%v); its output:\n%s", phase, err, logs)
	}
	fmt.Printf("    the pod's reports:\n      %s\n", strings.ReplaceAll(logs, "\n", "\n      "))
	return nil
}
