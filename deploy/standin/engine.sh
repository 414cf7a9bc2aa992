#!/usr/bin/env bash
# A Docker engine for the compose smoke test, on a machine that has none running.
#
#   deploy/standin/engine.sh start   # install Debian's docker.io if needed, start dockerd
#   deploy/standin/engine.sh stop    # stop the dockerd this script started
#
# An engine that already answers (`docker info`) is used as it is and never stopped.
# Ours keeps its data in $ENTENTE_STANDIN_CACHE/engine (default <repo>/.cache/standin),
# listens on the default socket, and logs to engine/dockerd.log. Needs root.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${ENTENTE_STANDIN_CACHE:-$ROOT/.cache/standin}"
DIR="$CACHE/engine"
# shellcheck source=deploy/standin/lib.sh
. "$HERE/lib.sh"

start() {
    if docker info >/dev/null 2>&1; then
        log "a Docker engine answers already"
        return 0
    fi
    [[ "$(id -u)" == 0 ]] || die "no Docker engine answers, and starting one needs root"
    command -v dockerd >/dev/null || apt_install docker.io
    mkdir -p "$DIR"
    log "starting dockerd (data in $DIR/data, log $DIR/dockerd.log)"
    setsid dockerd --data-root "$DIR/data" --pidfile "$DIR/dockerd.pid" \
        >"$DIR/dockerd.log" 2>&1 </dev/null &
    local deadline=$((SECONDS + 60))
    until docker info >/dev/null 2>&1; do
        ((SECONDS < deadline)) || die_with_log "dockerd did not answer within 60 s" "$DIR/dockerd.log"
        sleep 1
    done
    touch "$DIR/started-here"
    log "dockerd up"
}

stop() {
    [[ -f "$DIR/started-here" && -f "$DIR/dockerd.pid" ]] || {
        log "no dockerd started by this script"
        return 0
    }
    local pid
    pid="$(cat "$DIR/dockerd.pid")"
    kill "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null; do
        ((SECONDS < deadline)) || die "dockerd (pid $pid) did not stop within 30 s"
        sleep 1
    done
    rm -f "$DIR/started-here"
    log "dockerd stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) die "usage: deploy/standin/engine.sh start|stop" ;;
esac
