#!/usr/bin/env bash
# build-tool.sh builds one command from a pinned tool module under hack/ and
# skips the build when nothing that decides the binary has changed.
#
#   hack/build-tool.sh <module-dir> <output-binary> <package> [ldflags]
#
# The decision is a stamp file next to the binary (<output>.stamp) holding a
# hash of the module's go.mod and go.sum, the package, the ldflags, the Go
# version and this script. Bumping a pinned version changes go.mod/go.sum, so
# the binary is rebuilt; anything else (mtimes after a git checkout, a touched
# Makefile) does not trigger a rebuild. The binary is written to a temporary
# name and renamed, so an interrupted build never leaves a half-written tool
# that looks up to date.
set -euo pipefail

if [[ $# -lt 3 || $# -gt 4 ]]; then
	echo "usage: $0 <module-dir> <output-binary> <package> [ldflags]" >&2
	exit 2
fi
moddir=$1 out=$2 pkg=$3 ldflags=${4:-}
go=${GO:-go}
# The build runs inside the module directory: make the output path absolute.
[[ $out == /* ]] || out=$PWD/$out

for f in "$moddir/go.mod" "$moddir/go.sum"; do
	[[ -f $f ]] || { echo "$0: $f is missing" >&2; exit 1; }
done

want=$(
	{
		cat "$moddir/go.mod" "$moddir/go.sum" "${BASH_SOURCE[0]}"
		printf 'package=%s\nldflags=%s\n' "$pkg" "$ldflags"
		"$go" env GOVERSION GOOS GOARCH
	} | sha256sum | cut -d' ' -f1
)
stamp=$out.stamp
if [[ -x $out && -f $stamp && $(<"$stamp") == "$want" ]]; then
	exit 0
fi

mkdir -p "$(dirname "$out")"
tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT
echo "building $(basename "$out") from $pkg ($moddir)" >&2
start=$SECONDS
(
	cd "$moddir"
	CGO_ENABLED=0 "$go" build -trimpath -ldflags "$ldflags" -o "$tmp" "$pkg"
)
mv -f "$tmp" "$out"
echo "$want" >"$stamp"
echo "built $out in $((SECONDS - start))s" >&2
