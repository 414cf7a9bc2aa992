# shellcheck shell=bash
# Helpers shared by deploy/standin's scripts (sourced, not run).

log() { printf '[standin] %s\n' "$*" >&2; }

die() {
    printf '[standin] ERROR: %s\n' "$*" >&2
    exit 1
}

# die_with_log MESSAGE LOGFILE: fail, showing the end of a log file.
die_with_log() {
    printf '[standin] ERROR: %s\n' "$1" >&2
    if [[ -f "$2" ]]; then
        printf '[standin] last lines of %s:\n' "$2" >&2
        tail -n 40 "$2" >&2
    fi
    exit 1
}

# apt_install PACKAGE...: Debian packages, as root only.
apt_install() {
    [[ "$(id -u)" == 0 ]] || die "needs root to install $* (apt-get)"
    command -v apt-get >/dev/null || die "no apt-get here to install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null ||
        die "apt-get install $* failed"
}

# docker_build ARGS...: `docker build` with BuildKit. A Docker CLI without the buildx
# plugin cannot use BuildKit; Debian's docker.io package ships a CLI (/usr/bin/docker)
# that still has it built in, so that one is used then.
docker_build() {
    if docker buildx version >/dev/null 2>&1; then
        docker build "$@"
    elif [[ -x /usr/bin/docker ]] && DOCKER_BUILDKIT=1 /usr/bin/docker build --help >/dev/null 2>&1; then
        DOCKER_BUILDKIT=1 /usr/bin/docker build "$@"
    else
        die "no Docker CLI here can build with BuildKit (install the buildx plugin)"
    fi
}

# go_tool BINARY MODULE@VERSION PACKAGE: build a Go tool into $GOBIN_DIR once (the
# caller sets GOBIN_DIR and CACHE).
go_tool() {
    local binary="$1" module="$2" package="$3" dir stamp
    stamp="$GOBIN_DIR/$binary.stamp"
    [[ -x "$GOBIN_DIR/$binary" && "$(cat "$stamp" 2>/dev/null)" == "$module $package" ]] && return 0
    command -v go >/dev/null || die "Go is needed to build $binary"
    mkdir -p "$GOBIN_DIR" "$CACHE"
    log "building $binary from $module (Go module proxy)"
    # Built inside the module's own tree (its go.mod may hold replace and exclude
    # directives, which `go install` refuses), from go.mod and go.sum (-mod=mod: a vendor
    # folder is not in the module's zip).
    dir="$(cd "$CACHE" && go mod download -json "$module" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')"
    rm -rf "$CACHE/src-$binary" && cp -r "$dir" "$CACHE/src-$binary" && chmod -R u+w "$CACHE/src-$binary"
    (cd "$CACHE/src-$binary" && CGO_ENABLED=0 go build -mod=mod -o "$GOBIN_DIR/$binary" "$package") \
        >"$CACHE/go-$binary.log" 2>&1 || die_with_log "go build of $binary failed" "$CACHE/go-$binary.log"
    rm -rf "$CACHE/src-$binary"
    printf '%s %s\n' "$module" "$package" >"$stamp"
}
