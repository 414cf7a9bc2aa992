#!/usr/bin/env bash
# Entrypoint of the PostgreSQL stand-in image (see ../README.md). Written for Entente; it
# implements what docker-compose.yml relies on from the official image's documentation:
#   - started as root, it owns $PGDATA for the postgres user and runs as that user;
#   - on an empty $PGDATA: initdb with POSTGRES_USER (default postgres) and
#     POSTGRES_PASSWORD (required), local socket connections trusted, TCP ones by
#     scram-sha-256 from any address; the server is started on its socket only, the
#     POSTGRES_DB database is created, and /docker-entrypoint-initdb.d/*.sh (run when
#     executable, sourced otherwise) and *.sql are applied, then it is stopped;
#   - then `postgres` listens on every address.
set -euo pipefail

if [[ "${1:-postgres}" != postgres ]]; then
    exec "$@"
fi
[[ "${1:-}" == postgres ]] && shift

if [[ "$(id -u)" == 0 ]]; then
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" postgres "$@"
fi

if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
    if [[ -z "${POSTGRES_PASSWORD:-}" ]]; then
        echo "postgres stand-in: POSTGRES_PASSWORD must be set (as for the official image)" >&2
        exit 1
    fi
    user="${POSTGRES_USER:-postgres}"
    database="${POSTGRES_DB:-$user}"
    initdb --username="$user" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
        --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 -D "$PGDATA"
    printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
    if [[ "$database" != postgres ]]; then
        psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$user" --dbname postgres \
            -v db="$database" <<<'CREATE DATABASE :"db";'
    fi
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sh)
                echo "postgres stand-in: running $f"
                if [[ -x "$f" ]]; then "$f"; else
                    # shellcheck disable=SC1090
                    . "$f"
                fi
                ;;
            *.sql)
                echo "postgres stand-in: running $f"
                psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$user" --dbname "$database" -f "$f"
                ;;
            *) ;;
        esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop
    echo "postgres stand-in: initialised $PGDATA"
fi

exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
