#!/usr/bin/env bash
# The production compose stack, built and run for real, then used from outside.
#
#   deploy/standin/smoke.sh        (make compose-smoke)
#
# 1. a Docker engine (engine.sh: the one that answers, or Debian's docker.io started here);
# 2. the official images the stack names, or stand-ins where no registry answers (build.sh);
# 3. the Entente image from the Dockerfile, as committed (BuildKit, `# syntax` line included);
# 4. `docker compose up --wait` of docker-compose.yml with .env.example's development
#    values, under the project name entente-smoke and on ports of its own (28000 gateway,
#    28080 Keycloak, 25432 PostgreSQL, 29094 Kafka), so a `make run` or local stack is left
#    alone;
# 5. tests/stack against it: each kind of user through the gateway, the auditor's
#    `entente audit verify` inside the audit container;
# 6. `docker compose down -v`, and the engine stopped if this run started it.
# ENTENTE_SMOKE_KEEP=1 leaves the stack (and engine) running for a look.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${ENTENTE_STANDIN_CACHE:-$ROOT/.cache/standin}"
GOBIN_DIR="${ENTENTE_TOOLS_DIR:-$ROOT/.cache}/go-bin"
COMPOSE_MODULE="github.com/docker/compose/v5@v5.6.0"
PROJECT=entente-smoke
IMAGE=entente:smoke
# shellcheck source=deploy/standin/lib.sh
. "$HERE/lib.sh"

compose_command() {
    if docker compose version >/dev/null 2>&1; then
        COMPOSE=(docker compose)
    else
        go_tool docker-compose "$COMPOSE_MODULE" ./cmd
        COMPOSE=("$GOBIN_DIR/docker-compose")
    fi
    COMPOSE+=(--project-name "$PROJECT" --file "$ROOT/docker-compose.yml" --env-file "$CACHE/smoke.env")
}

env_file() {
    sed -e 's/^ENTENTE_PORT=.*/ENTENTE_PORT=28000/' \
        -e 's/^KEYCLOAK_PORT=.*/KEYCLOAK_PORT=28080/' \
        -e 's|^KEYCLOAK_PUBLIC_URL=.*|KEYCLOAK_PUBLIC_URL=http://localhost:28080|' \
        -e 's/^POSTGRES_HOST_PORT=.*/POSTGRES_HOST_PORT=25432/' \
        -e 's/^KAFKA_HOST_PORT=.*/KAFKA_HOST_PORT=29094/' \
        -e "s/^ENTENTE_IMAGE=.*/ENTENTE_IMAGE=$IMAGE/" \
        "$ROOT/.env.example" >"$CACHE/smoke.env"
    grep -q '^ENTENTE_IMAGE=entente:smoke$' "$CACHE/smoke.env" || die "ENTENTE_IMAGE not set in smoke.env"
}

report_failure() {
    log "the stack did not come up healthy:"
    "${COMPOSE[@]}" ps --all >&2 || true
    local service
    for service in $("${COMPOSE[@]}" ps --all --format '{{.Service}}|{{.State}}|{{.Health}}|{{.ExitCode}}' |
        awk -F'|' '$3 != "healthy" && !($2 == "exited" && $4 == "0") {print $1}'); do
        log "last lines of $service:"
        "${COMPOSE[@]}" logs --no-color --tail 40 "$service" >&2 || true
    done
}

cleanup() {
    local status=$?
    if [[ "${ENTENTE_SMOKE_KEEP:-0}" == 1 ]]; then
        log "left running (ENTENTE_SMOKE_KEEP=1): ${COMPOSE[*]} down -v; $HERE/engine.sh stop"
        exit "$status"
    fi
    if ((${#COMPOSE[@]})); then
        "${COMPOSE[@]}" down --volumes --remove-orphans >"$CACHE/compose-down.log" 2>&1 ||
            log "compose down failed (see $CACHE/compose-down.log)"
    fi
    if [[ "$OWN_ENGINE" == 1 ]]; then
        "$HERE/engine.sh" stop || true
    fi
    exit "$status"
}

main() {
    local t0=$SECONDS
    COMPOSE=()
    OWN_ENGINE=0
    mkdir -p "$CACHE"
    trap cleanup EXIT
    docker info >/dev/null 2>&1 || OWN_ENGINE=1
    "$HERE/engine.sh" start
    "$HERE/build.sh"
    log "building $IMAGE from the Dockerfile"
    docker_build -t "$IMAGE" "$ROOT" >"$CACHE/build-entente.log" 2>&1 ||
        die_with_log "the Entente image did not build" "$CACHE/build-entente.log"
    compose_command
    env_file
    "${COMPOSE[@]}" down --volumes --remove-orphans >/dev/null 2>&1 || true
    log "docker compose up --wait (first start: Keycloak takes a minute or two)"
    local t1=$SECONDS
    if ! "${COMPOSE[@]}" up --detach --no-build --wait --wait-timeout 600 >"$CACHE/compose-up.log" 2>&1; then
        tail -n 5 "$CACHE/compose-up.log" >&2
        report_failure
        die "docker compose up failed"
    fi
    log "stack healthy in $((SECONDS - t1)) s"
    ENTENTE_STACK_URL=http://127.0.0.1:28000 \
        ENTENTE_STACK_KEYCLOAK_URL=http://localhost:28080 \
        ENTENTE_STACK_DEMO_PASSWORD="$(sed -n 's/^DEMO_PASSWORD=//p' "$CACHE/smoke.env")" \
        ENTENTE_STACK_COMPOSE="${COMPOSE[*]}" \
        "$ROOT/.venv/bin/pytest" -q -p no:cacheprovider "$ROOT/tests/stack"
    log "compose smoke passed in $((SECONDS - t0)) s"
}

main "$@"
