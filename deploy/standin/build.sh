#!/usr/bin/env bash
# Stand-in images, for a Docker engine that cannot reach a container registry.
#
#   deploy/standin/build.sh [--rebuild]
#
# docker-compose.yml and the Dockerfile name official images (postgres, apache/kafka,
# keycloak, nginx, python, uv, and BuildKit's docker/dockerfile frontend). Where the
# engine has none of them and cannot pull it, this script builds a stand-in under the
# same name, from what this machine's registries do serve: Debian's packages
# (debootstrap, apt) for the operating system, PostgreSQL, Java, Python and nginx;
# Maven Central for Kafka and Keycloak (the same artefacts deploy/local/stack.sh
# runs); the Go module proxy for the Dockerfile frontend (built from its source).
# Each stand-in implements the part of its official image's documented contract that
# Entente uses (see README.md beside this script) and carries the label
# entente.standin=true. An image that exists and is not a stand-in is never replaced;
# --rebuild replaces the stand-ins.
#
# Needs a running Docker engine (deploy/standin/engine.sh start), root for debootstrap,
# Go, and Maven (through deploy/local/stack.sh). Caches in $ENTENTE_STANDIN_CACHE
# (default <repo>/.cache/standin).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${ENTENTE_STANDIN_CACHE:-$ROOT/.cache/standin}"
GOBIN_DIR="${ENTENTE_TOOLS_DIR:-$ROOT/.cache}/go-bin"
SUITE=bookworm
BASE=entente-standin/debian:bookworm
BUILDKIT_VERSION=v0.13.2 # its Dockerfile frontend is docker/dockerfile:1.7
KAFKA_VERSION=4.2.1
KEYCLOAK_VERSION=26.7.3
UV_VERSION=0.13.9
REBUILD=0
[[ "${1:-}" == --rebuild ]] && REBUILD=1

# shellcheck source=deploy/standin/lib.sh
. "$HERE/lib.sh"

# present NAME: the image exists; a stand-in counts only without --rebuild.
present() {
    local label
    label="$(docker image inspect --format '{{index .Config.Labels "entente.standin"}}' "$1" 2>/dev/null)" ||
        return 1
    [[ "$label" != true || "$REBUILD" == 0 ]]
}

# wanted NAME: true when NAME must be built here (absent, and the registry refuses it).
wanted() {
    if present "$1"; then
        log "$1: present"
        return 1
    fi
    if [[ "$REBUILD" == 0 ]] && timeout 60 docker pull -q "$1" >/dev/null 2>&1; then
        log "$1: pulled from its registry"
        return 1
    fi
    log "$1: building a stand-in"
}

# build NAME DIR CONTEXT: build DIR/Dockerfile with CONTEXT (DIR's files plus staged ones).
build() {
    local name="$1" dir="$2" context="$3"
    cp -r "$dir/." "$context/"
    docker_build --network host --build-arg "BASE=$BASE" \
        --label entente.standin=true \
        --label "org.opencontainers.image.description=Entente stand-in for $name (deploy/standin)" \
        -t "$name" "$context" >"$CACHE/build-$(basename "$dir").log" 2>&1 ||
        die_with_log "building the stand-in $name failed" "$CACHE/build-$(basename "$dir").log"
}

base_image() {
    if present "$BASE"; then return 0; fi
    local rootfs="$CACHE/rootfs-$SUITE" tarball="$CACHE/rootfs-$SUITE.tar"
    if [[ ! -s "$tarball" ]]; then
        command -v debootstrap >/dev/null || apt_install debootstrap
        log "debootstrap $SUITE (minbase) into $rootfs"
        rm -rf "$rootfs"
        debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$rootfs" \
            http://deb.debian.org/debian >"$CACHE/debootstrap.log" 2>&1 ||
            die_with_log "debootstrap failed" "$CACHE/debootstrap.log"
        rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
        # This machine's trust store, so that images built on the stand-ins reach the same
        # registries (PyPI, Maven Central) through the same TLS inspection, if any.
        cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
        tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
        rm -rf "$rootfs"
    fi
    docker import \
        -c "LABEL entente.standin=true" \
        -c "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        -c "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" \
        -c 'CMD ["bash"]' "$tarball" "$BASE" >/dev/null
}

stage() {  # stage NAME: a fresh, empty build context
    rm -rf "$CACHE/context-$1" && mkdir -p "$CACHE/context-$1"
    printf '%s' "$CACHE/context-$1"
}

main() {
    mkdir -p "$CACHE"
    docker info >/dev/null 2>&1 || die "no Docker engine answers (deploy/standin/engine.sh start)"
    local ctx

    if wanted docker/dockerfile:1.7; then
        go_tool dockerfile-frontend "github.com/moby/buildkit@$BUILDKIT_VERSION" ./frontend/dockerfile/cmd/dockerfile-frontend
        ctx="$(stage dockerfile)"
        cp "$GOBIN_DIR/dockerfile-frontend" "$ctx/"
        build docker/dockerfile:1.7 "$HERE/dockerfile" "$ctx"
    fi
    if wanted "ghcr.io/astral-sh/uv:$UV_VERSION"; then
        local uv="$ROOT/.cache/tools/bin/uv"
        [[ -x "$uv" ]] || (cd "$ROOT" && make --no-print-directory setup >/dev/null)
        [[ "$("$uv" --version)" == "uv $UV_VERSION"* ]] || die "$uv is not uv $UV_VERSION"
        ctx="$(stage uv)"
        cp "$uv" "$ctx/uv"
        build "ghcr.io/astral-sh/uv:$UV_VERSION" "$HERE/uv" "$ctx"
    fi
    local need_base=0 name
    for name in python:3.11.14-slim-bookworm postgres:15.18-bookworm "apache/kafka:$KAFKA_VERSION" \
        "quay.io/keycloak/keycloak:$KEYCLOAK_VERSION" nginx:1.28.0-alpine; do
        present "$name" || need_base=1
    done
    [[ "$need_base" == 1 ]] && base_image

    if wanted python:3.11.14-slim-bookworm; then
        build python:3.11.14-slim-bookworm "$HERE/python" "$(stage python)"
    fi
    if wanted postgres:15.18-bookworm; then
        build postgres:15.18-bookworm "$HERE/postgres" "$(stage postgres)"
    fi
    if wanted "apache/kafka:$KAFKA_VERSION"; then
        local libs
        libs="$(ENTENTE_KAFKA_VERSION="$KAFKA_VERSION" "$ROOT/deploy/local/stack.sh" fetch kafka)"
        ctx="$(stage kafka)"
        cp -r "$libs" "$ctx/libs"
        rm -f "$ctx/libs/.entente-stamp"
        mkdir -p "$ctx/config"
        cp "$ROOT/deploy/local/kafka-log4j2.properties" "$ctx/config/log4j2.properties"
        cp "$ROOT/deploy/local/kafka-tools-log4j2.properties" "$ctx/config/tools-log4j2.properties"
        build "apache/kafka:$KAFKA_VERSION" "$HERE/kafka" "$ctx"
    fi
    if wanted "quay.io/keycloak/keycloak:$KEYCLOAK_VERSION"; then
        local tarball
        tarball="$(ENTENTE_KEYCLOAK_VERSION="$KEYCLOAK_VERSION" "$ROOT/deploy/local/stack.sh" fetch keycloak)"
        ctx="$(stage keycloak)"
        cp "$tarball" "$ctx/keycloak-quarkus-dist.tar.gz"
        build "quay.io/keycloak/keycloak:$KEYCLOAK_VERSION" "$HERE/keycloak" "$ctx"
    fi
    if wanted nginx:1.28.0-alpine; then
        build nginx:1.28.0-alpine "$HERE/nginx" "$(stage nginx)"
    fi
    rm -rf "$CACHE"/context-*
    log "images ready"
}

main "$@"
