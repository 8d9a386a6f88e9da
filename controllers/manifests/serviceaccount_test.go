package manifests

import (
	"reflect"
	"testing"
)

func TestServiceAccount(t *testing.T) {
	for name, in := range map[string]Input{"minimal": input(minimal()), "full": input(full())} {
		t.Run(name, func(t *testing.T) {
			sa := ServiceAccount(in)
			if sa.APIVersion != "v1" || sa.Kind != "ServiceAccount" || sa.Name != "orders" || sa.Namespace != "tenant-a" {
				t.Errorf("identity = %s %s %s/%s", sa.APIVersion, sa.Kind, sa.Namespace, sa.Name)
			}
			if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
				t.Errorf("automountServiceAccountToken = %v; want false", sa.AutomountServiceAccountToken)
			}
			if !reflect.DeepEqual(sa.Labels, Labels(in.RestProxy)) {
				t.Errorf("labels = %v", sa.Labels)
			}
		})
	}
}
