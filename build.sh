#!/usr/bin/env bash
# Builds the distroless image for linux/amd64 and linux/arm64 with docker buildx and pushes it.
#   TAG         image tag (default: latest); a v* tag is also pushed as "latest"
#   IMAGE       repository (default: opensandbox/ingress)
#   VERSION     build version (default: TAG without its leading "v")
#   GIT_COMMIT  (default: git rev-parse HEAD)
#   BUILD_TIME  (default: now, or SOURCE_DATE_EPOCH, in UTC RFC 3339)
#   PLATFORMS   (default: linux/amd64,linux/arm64)
#   PUSH        "true" to push (default), anything else loads nothing and only builds
set -euo pipefail
cd "$(dirname "$0")"

TAG="${TAG:-latest}"
IMAGE="${IMAGE:-opensandbox/ingress}"
VERSION="${VERSION:-${TAG#v}}"
GIT_COMMIT="${GIT_COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}"
if [[ -z "${BUILD_TIME:-}" ]]; then
  if [[ -n "${SOURCE_DATE_EPOCH:-}" ]]; then
    BUILD_TIME="$(date -u -d "@${SOURCE_DATE_EPOCH}" +%Y-%m-%dT%H:%M:%SZ)"
  else
    BUILD_TIME="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  fi
fi
PLATFORMS="${PLATFORMS:-linux/amd64,linux/arm64}"
PUSH="${PUSH:-true}"
METADATA_FILE="${METADATA_FILE:-build-metadata.json}"

tags=(--tag "${IMAGE}:${TAG}")
if [[ "${TAG}" == v* ]]; then
  tags+=(--tag "${IMAGE}:latest")
fi

output=(--output "type=image,push=false")
if [[ "${PUSH}" == "true" ]]; then
  output=(--push)
fi

if ! docker buildx inspect opensandbox-ingress-builder >/dev/null 2>&1; then
  docker buildx create --name opensandbox-ingress-builder --driver docker-container >/dev/null
fi

echo "building ${IMAGE}:${TAG} (version ${VERSION}, commit ${GIT_COMMIT}, built ${BUILD_TIME}) for ${PLATFORMS}"
docker buildx build \
  --builder opensandbox-ingress-builder \
  --platform "${PLATFORMS}" \
  --file Dockerfile.distroless \
  --build-arg VERSION="${VERSION}" \
  --build-arg GIT_COMMIT="${GIT_COMMIT}" \
  --build-arg BUILD_TIME="${BUILD_TIME}" \
  --metadata-file "${METADATA_FILE}" \
  "${tags[@]}" \
  "${output[@]}" \
  .

echo "build metadata written to ${METADATA_FILE}"
