#!/bin/sh
# Build the container image with podman (no Docker daemon needed), from the repository root:
#
#   sh deploy/container/build-local.sh          (or: make image)
#
# - The base is BASE, default docker.io/library/python:3.11-slim-bookworm. When that registry
#   cannot be reached, a Debian 12 base is made with debootstrap from Debian's own package
#   archive (needs root and `apt-get install debootstrap`) and imported as
#   localhost/debian:bookworm-local; its python3 is 3.11.2, too old for the current lock
#   files (soupsieve needs >= 3.11.5), so that fallback only builds trees without them.
# - Docker image format, so the HEALTHCHECK is kept (OCI has none).
# - RUN steps use chroot isolation, which works where podman cannot create namespaces or
#   cgroups (CI sandboxes).
# - Behind a TLS-intercepting proxy, pip needs its CA: PIP_CERT_FILE (default: $PIP_CERT,
#   if set) is mounted for the install step only.
set -eu
cd "$(dirname "$0")/../.."
TAG=${TAG:-localhost/closing-the-gap-explorer:dev}
BASE=${BASE:-docker.io/library/python:3.11-slim-bookworm}
LOCAL_BASE=localhost/debian:bookworm-local

if ! podman image exists "$BASE" && ! podman pull -q "$BASE" >/dev/null 2>&1; then
    echo "build-local.sh: $BASE cannot be pulled; using $LOCAL_BASE" >&2
    BASE=$LOCAL_BASE
    if ! podman image exists "$BASE"; then
        command -v debootstrap >/dev/null || {
            echo "build-local.sh: needs debootstrap (apt-get install debootstrap)" >&2
            exit 1
        }
        ROOTFS=$(mktemp -d)
        debootstrap --variant=minbase bookworm "$ROOTFS"
        tar -C "$ROOTFS" -c . | podman import - "$BASE"
        rm -rf "$ROOTFS"
    fi
fi

CA=${PIP_CERT_FILE:-${PIP_CERT:-}}
if [ -n "$CA" ]; then
    set -- --volume "$CA:/tmp/build-ca.crt:ro" --build-arg PIP_CERT=/tmp/build-ca.crt
else
    set --
fi
podman build --format docker --isolation chroot --build-arg BASE="$BASE" "$@" \
    -f deploy/container/Containerfile -t "$TAG" .
echo "build-local.sh: built $TAG"
