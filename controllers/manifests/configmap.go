package manifests

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ConfigMap holds the proxy's config file, mounted at ConfigFilePath. It
// holds no secret: secrets are referenced by file path.
func ConfigMap(in Input) (*corev1.ConfigMap, error) {
	data, err := RenderConfig(in)
	if err != nil {
		return nil, err
	}
	return configMap(in, data), nil
}

// configMap is ConfigMap for an already rendered config.
func configMap(in Input, data []byte) *corev1.ConfigMap {
	rp := in.RestProxy
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: objectMeta(rp, ConfigMapName(rp)),
		Data:       map[string]string{ConfigFileKey: string(data)},
	}
}
