package manifests

import (
	"reflect"
	"testing"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

func TestConfigMap(t *testing.T) {
	for name, in := range map[string]Input{"minimal": input(minimal()), "full": input(full())} {
		t.Run(name, func(t *testing.T) {
			cm, err := ConfigMap(in)
			if err != nil {
				t.Fatalf("ConfigMap: %v", err)
			}
			wantName := "orders-config-" + ConfigHash([]byte(cm.Data[ConfigFileKey]))[:10]
			if cm.APIVersion != "v1" || cm.Kind != "ConfigMap" || cm.Name != wantName || cm.Namespace != "tenant-a" {
				t.Errorf("identity = %s %s %s/%s; want v1 ConfigMap tenant-a/%s", cm.APIVersion, cm.Kind, cm.Namespace, cm.Name, wantName)
			}
			if cm.Immutable == nil || !*cm.Immutable {
				t.Errorf("immutable = %v; want true: a new config is a new ConfigMap", cm.Immutable)
			}
			if got := MountedConfigMap(&mustDeployment(t, in).Spec.Template.Spec); got != cm.Name {
				t.Errorf("the Deployment mounts ConfigMap %q, want %q", got, cm.Name)
			}
			if !reflect.DeepEqual(cm.Labels, Labels(in.RestProxy)) {
				t.Errorf("labels = %v", cm.Labels)
			}
			if len(cm.Data) != 1 || len(cm.BinaryData) != 0 {
				t.Errorf("data keys = %v; want only restproxy.yaml", cm.Data)
			}
			rendered, _ := RenderConfig(in)
			if cm.Data["restproxy.yaml"] != string(rendered) {
				t.Errorf("restproxy.yaml differs from RenderConfig")
			}
			if _, err := config.Parse([]byte(cm.Data["restproxy.yaml"])); err != nil {
				t.Errorf("the proxy would refuse the ConfigMap's file: %v", err)
			}
			// The pod's hash annotation is the hash of exactly these bytes.
			d := mustDeployment(t, in)
			if got := d.Spec.Template.Annotations[ConfigHashAnnotation]; got != ConfigHash([]byte(cm.Data["restproxy.yaml"])) {
				t.Errorf("pod config hash %s is not the hash of the ConfigMap's file", got)
			}
		})
	}
}
