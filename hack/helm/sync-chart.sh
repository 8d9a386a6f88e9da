#!/usr/bin/env bash
# sync-chart.sh writes the chart's copies of what controller-gen generates, so
# the CRD and the operator's RBAC rules have one source (the Go types and the
# +kubebuilder:rbac markers) and the chart follows every change to them:
#
#   config/crd/bases/<file>.yaml  ->  charts/<chart>/templates/crd/<file>.yaml
#   config/rbac/role.yaml (rules) ->  charts/<chart>/templates/rbac/_manager-rules.tpl
#
#   hack/helm/sync-chart.sh <chart-dir>
#
# `make helm-crds` runs it after `make manifests`; `make verify` fails when the
# result differs from git. Each CRD keeps its spec verbatim; only its metadata
# is templated: the chart's labels, and helm.sh/resource-policy: keep while
# crds.keep is true so `helm uninstall` never deletes RestProxies. The whole
# file renders only while crds.enabled is true.
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: $0 <chart-dir>" >&2
	exit 2
fi
chart=$1
crd_dir=config/crd/bases
role=config/rbac/role.yaml
[[ -f $chart/Chart.yaml ]] || { echo "$0: $chart/Chart.yaml is missing" >&2; exit 1; }
[[ -f $role ]] || { echo "$0: $role is missing: run make manifests" >&2; exit 1; }
name=$(sed -nE 's/^name:[[:space:]]*"?([^"[:space:]]+)"?.*/\1/p' "$chart/Chart.yaml")

# Helm would read template actions in a copied description as its own.
no_actions() {
	if grep -n -e '{{' -e '}}' "$1" >&2; then
		echo "$0: $1 contains {{ or }}, which Helm would parse as a template action" >&2
		exit 1
	fi
}

out=$chart/templates/crd
mkdir -p "$out"
rm -f "$out"/*.yaml
shopt -s nullglob
for src in "$crd_dir"/*.yaml; do
	no_actions "$src"
	crd=$(sed -nE 's/^  name:[[:space:]]*([^[:space:]]+).*/\1/p' "$src" | head -n1)
	[[ -n $crd ]] && grep -q '^kind: CustomResourceDefinition$' "$src" && grep -q '^spec:$' "$src" ||
		{ echo "$0: $src is not a CustomResourceDefinition as controller-gen writes it" >&2; exit 1; }
	{
		cat <<HEADER
# Generated from $src by \`make helm-crds\` (hack/helm/sync-chart.sh): do not edit.
{{- if .Values.crds.enabled }}
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: $crd
  labels:
    {{- include "$name.labels" . | nindent 4 }}
  {{- if or .Values.crds.keep .Values.commonAnnotations }}
  annotations:
    {{- if .Values.crds.keep }}
    helm.sh/resource-policy: keep
    {{- end }}
    {{- with .Values.commonAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- end }}
HEADER
		sed -n '/^spec:$/,$p' "$src"
		echo '{{- end }}'
	} >"$out/$(basename "$src")"
done

no_actions "$role"
[[ $(grep -c '^kind: ' "$role") == 1 ]] && grep -q '^kind: ClusterRole$' "$role" ||
	{ echo "$0: $role should hold exactly one ClusterRole" >&2; exit 1; }
mkdir -p "$chart/templates/rbac"
{
	cat <<HEADER
{{- /*
Generated from $role by \`make helm-crds\` (hack/helm/sync-chart.sh): do not edit.
The rules the operator's +kubebuilder:rbac markers ask for; the manager's
ClusterRole, or its Role in each watched namespace, grants exactly these.
*/ -}}
{{- define "$name.managerRules" -}}
HEADER
	sed -n '/^rules:$/,$p' "$role" | tail -n +2
	echo '{{- end }}'
} >"$chart/templates/rbac/_manager-rules.tpl"
