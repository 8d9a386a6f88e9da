#!/usr/bin/env bash
# bump-k8s.sh moves the test control plane to another Kubernetes release:
#
#   hack/bump-k8s.sh v1.37.2
#
# It rewrites hack/k8s/go.mod to require k8s.io/kubernetes at that version with
# a replace line for every staging module k8s.io/kubernetes itself replaces
# (its go.mod points them at ./staging/src/..., which a consumer cannot use),
# and moves hack/etcd to the etcd server version that release requires. The
# next `make envtest` rebuilds the binaries into bin/k8s/<version>/ because the
# go.mod/go.sum hashes in their stamps no longer match. Keep k8s.io/api in the
# project go.mod on the same minor.
set -euo pipefail

if [[ $# -ne 1 || ! $1 =~ ^v1\.([0-9]+)\.([0-9]+)$ ]]; then
	echo "usage: $0 v1.<minor>.<patch>" >&2
	exit 2
fi
version=$1
staging=v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}
go=${GO:-go}
hack=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

upstream=$("$go" mod download -json "k8s.io/kubernetes@$version" | sed -nE 's/^[[:space:]]*"GoMod": "(.*)",?$/\1/p')
[[ -f $upstream ]] || { echo "$0: no go.mod for k8s.io/kubernetes@$version" >&2; exit 1; }

goversion=$(sed -nE 's/^go ([0-9.]+)$/\1/p' "$upstream")
mapfile -t modules < <(sed -n '/^replace (/,/^)/p' "$upstream" | awk '$2 == "=>" && $3 ~ /^\.\/staging\// { print $1 }')
[[ ${#modules[@]} -gt 0 ]] || { echo "$0: no staging replaces in $upstream" >&2; exit 1; }
etcd=$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2; exit }' "$upstream")
[[ -n $etcd ]] || { echo "$0: k8s.io/kubernetes@$version does not require go.etcd.io/etcd/server/v3" >&2; exit 1; }

{
	echo '// Module k8s builds the Kubernetes commands from k8s.io/kubernetes sources:'
	echo '// kube-apiserver for envtest (KUBEBUILDER_ASSETS), kubectl for make install/deploy,'
	echo '// and the node components for make e2e. It is a separate module so that the'
	echo '// project go.mod never requires k8s.io/kubernetes.'
	echo 'module github.com/restproxy-dev/restproxy-operator/hack/k8s'
	echo
	echo "go $goversion"
	echo
	echo "require k8s.io/kubernetes $version"
	echo
	echo '// k8s.io/kubernetes replaces every staging module with ./staging/src/...; a consumer'
	echo '// must pin the published staging modules of the same release instead.'
	echo 'replace ('
	for m in "${modules[@]}"; do
		printf '\t%s => %s %s\n' "$m" "$m" "$staging"
	done
	echo ')'
} >"$hack/k8s/go.mod"
(cd "$hack/k8s" && "$go" mod tidy)

(cd "$hack/etcd" && "$go" mod edit -go="$goversion" -require="go.etcd.io/etcd/server/v3@$etcd" && "$go" mod tidy)

echo "hack/k8s: k8s.io/kubernetes $version (${#modules[@]} staging modules at $staging); hack/etcd: etcd $etcd"
