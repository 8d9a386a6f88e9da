#!/usr/bin/env bash
# build.sh builds bin/jaeger, the all-in-one trace backend the tracing test
# sends spans to, from the Go module proxy:
#
#   hack/jaeger/build.sh <output-binary>
#
# Jaeger's module has replace directives, so `go install pkg@version` refuses
# it and it cannot be pinned in a tool module of its own like the others
# (hack/build-tool.sh). Instead the pinned module is downloaded, copied to a
# writable directory and built there with its own go.mod. The binary is
# skipped when the stamp beside it (<output>.stamp: the version, the Go
# version and this script) still matches.
set -euo pipefail

JAEGER_VERSION=v1.75.0
if [[ $# -ne 1 ]]; then
	echo "usage: $0 <output-binary>" >&2
	exit 2
fi
out=$1
go=${GO:-go}
[[ $out == /* ]] || out=$PWD/$out

want=$(
	{
		cat "${BASH_SOURCE[0]}"
		printf 'version=%s\n' "$JAEGER_VERSION"
		"$go" env GOVERSION GOOS GOARCH
	} | sha256sum | cut -d' ' -f1
)
stamp=$out.stamp
if [[ -x $out && -f $stamp && $(<"$stamp") == "$want" ]]; then
	exit 0
fi

echo "building $(basename "$out") from github.com/jaegertracing/jaeger@$JAEGER_VERSION" >&2
start=$SECONDS
src=$("$go" mod download -json "github.com/jaegertracing/jaeger@$JAEGER_VERSION" | sed -nE 's/^[[:space:]]*"Dir": "(.*)",?$/\1/p')
[[ -d $src ]] || { echo "$0: download of jaeger $JAEGER_VERSION gave no directory" >&2; exit 1; }
work=$(mktemp -d)
tmp=$out.tmp.$$
trap 'chmod -R u+w "$work"; rm -rf "$work" "$tmp"' EXIT
cp -R "$src/." "$work"
chmod -R u+w "$work"
mkdir -p "$(dirname "$out")"
(
	cd "$work"
	# GOFLAGS=-mod=mod: the module's go.sum is complete, but a vendor
	# directory or workspace of the caller must not apply.
	GOWORK=off CGO_ENABLED=0 "$go" build -mod=mod -trimpath -ldflags "-s -w" -o "$tmp" ./cmd/jaeger
)
mv -f "$tmp" "$out"
echo "$want" >"$stamp"
echo "built $out in $((SECONDS - start))s" >&2
