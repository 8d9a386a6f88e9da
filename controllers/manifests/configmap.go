package manifests

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ConfigMap holds the proxy's config file, mounted at ConfigFilePath. It
// holds no secret: secrets are referenced by file path. It is immutable and
// named by the config's hash (ConfigMapName): a changed config is a new
// ConfigMap and a rollout, never an edit under running pods. The reconciler
// deletes an old one once no ReplicaSet of the RestProxy mounts it.
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
		ObjectMeta: objectMeta(rp, ConfigMapName(rp, ConfigHash(data))),
		Immutable:  ptrTo(true),
		Data:       map[string]string{ConfigFileKey: string(data)},
	}
}

// MountedConfigMap is the name of the ConfigMap that a proxy pod template
// (a Deployment's or a ReplicaSet's) mounts as its config file; "" when it
// mounts none.
func MountedConfigMap(pod *corev1.PodSpec) string {
	for _, v := range pod.Volumes {
		if v.Name == volumeConfig && v.ConfigMap != nil {
			return v.ConfigMap.Name
		}
	}
	return ""
}
