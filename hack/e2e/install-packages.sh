#!/usr/bin/env bash
# install-packages.sh installs what make e2e's node runs that is not built
# from Go sources: containerd, runc and the CNI plugins, and iptables,
# conntrack and nftables for kube-proxy and the harness's clean-up, all from
# Debian's packages. It does nothing when they are all there.
set -euo pipefail

missing=()
for cmd in containerd containerd-shim-runc-v2 ctr runc iptables conntrack nft; do
	command -v "$cmd" >/dev/null || missing+=("$cmd")
done
[[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/portmap ]] || missing+=(cni-plugins)
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
	echo "make e2e needs root (it runs a kubelet and containerd) and these packages: missing ${missing[*]}" >&2
	exit 1
fi
echo "installing from Debian: containerd runc containernetworking-plugins iptables conntrack nftables (missing: ${missing[*]})" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends containerd runc containernetworking-plugins iptables conntrack nftables >/dev/null
