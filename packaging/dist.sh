#!/usr/bin/env bash
# Release archives for nodes: dist/opensandbox-ingress-$VERSION-linux-{amd64,arm64}.tar.gz and dist/SHA256SUMS.
# Each archive holds one directory of the same name: the Native AOT binary, the systemd unit, the example environment
# file and the node README (packaging/). The architecture this machine is not is cross-compiled: from x64, arm64 needs
# clang, gcc-aarch64-linux-gnu and libc6-dev-arm64-cross (clang finds the cross gcc's libraries and crt files itself).
#   VERSION, GIT_COMMIT, BUILD_TIME  build information (make passes them; see the Makefile)
#   ARCHS                            default "amd64 arm64"
# The published binaries stay in bin/dist/<rid>/ (their .dbg symbol files too); only the binary is archived.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${VERSION:?VERSION is required}" "${GIT_COMMIT:?GIT_COMMIT is required}" "${BUILD_TIME:?BUILD_TIME is required}"
ARCHS="${ARCHS:-amd64 arm64}"

rm -rf dist bin/dist/stage
mkdir -p dist bin/dist/stage

for arch in $ARCHS; do
  case "$arch" in
    amd64) rid=linux-x64 machine="x86-64" ;;
    arm64) rid=linux-arm64 machine="ARM aarch64" ;;
    *) echo "dist.sh: unknown architecture '$arch' (amd64 or arm64)" >&2; exit 2 ;;
  esac

  dotnet publish OpenSandboxIngress.csproj -c Release -r "$rid" -o "bin/dist/$rid" \
    -p:Version="$VERSION" -p:GitCommit="$GIT_COMMIT" -p:BuildTime="$BUILD_TIME"
  # A cross build that silently produced the host's architecture would ship the wrong binary under the right name.
  if ! file -b "bin/dist/$rid/opensandbox-ingress" | grep -q "$machine"; then
    echo "dist.sh: bin/dist/$rid/opensandbox-ingress is not a $machine executable" >&2
    exit 1
  fi

  name="opensandbox-ingress-$VERSION-linux-$arch"
  stage="bin/dist/stage/$name"
  mkdir -p "$stage"
  install -m 0755 "bin/dist/$rid/opensandbox-ingress" "$stage/"
  install -m 0644 packaging/opensandbox-ingress.service packaging/opensandbox-ingress.env "$stage/"
  install -m 0644 packaging/README.md "$stage/README.md"
  # Same inputs, same bytes: fixed order, owner and times, and no name or time in the gzip header.
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="$BUILD_TIME" -C bin/dist/stage -cf - "$name" \
    | gzip -9 -n > "dist/$name.tar.gz"
done

(cd dist && sha256sum -- *.tar.gz > SHA256SUMS)
ls -l dist
cat dist/SHA256SUMS
