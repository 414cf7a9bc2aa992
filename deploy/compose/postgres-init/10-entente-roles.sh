#!/usr/bin/env bash
# First start of the compose PostgreSQL (the official image runs this once, on an
# empty data volume): one login role per tenant owning its event-store schema
# (entente_<tenant>), one role for the read views, one database for Keycloak.
#
# Passwords come from the environment (docker-compose.yml passes them from .env):
#   <TENANT>_DB_PASSWORD   e.g. POLICE_DB_PASSWORD, CIVIL_PROTECTION_DB_PASSWORD
#   VIEWS_DB_PASSWORD, AUDIT_DB_PASSWORD, KEYCLOAK_DB_PASSWORD
# TENANTS lists the tenants (space- or comma-separated slugs).
# Changing a password in .env later does not change the role: use ALTER ROLE,
# or start from an empty volume (docker compose down -v).
set -euo pipefail

database="${POSTGRES_DB:?POSTGRES_DB is not set}"
run_sql() { psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname "$database" "$@"; }

# login_role ROLE PASSWORD: creates the role, or resets its password.
login_role() {
  run_sql -q -v role="$1" -v password="$2" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'role', :'password') \gexec
SQL
}

password_of() {  # police -> $POLICE_DB_PASSWORD; civil-protection -> $CIVIL_PROTECTION_DB_PASSWORD
  local variable
  variable="$(tr 'a-z-' 'A-Z_' <<<"$1")_DB_PASSWORD"
  if [[ -z "${!variable:-}" ]]; then
    echo "postgres-init: $variable is not set (see .env.example)" >&2
    exit 1
  fi
  printf '%s' "${!variable}"
}

for tenant in ${TENANTS//,/ }; do
  role="entente_${tenant//-/_}"          # the schema has the same name (shared/application/stores.py)
  login_role "$role" "$(password_of "$tenant")"
  # The service runs CREATE SCHEMA IF NOT EXISTS at start, which PostgreSQL
  # checks against CREATE on the database even when the schema exists.
  run_sql -q -v role="$role" -v db="$database" <<'SQL'
SELECT format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', :'role', :'role') \gexec
SELECT format('GRANT CONNECT, CREATE ON DATABASE %I TO %I', :'db', :'role') \gexec
SELECT format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', :'role') \gexec
SQL
  echo "postgres-init: role and schema $role"
done

# The read views (entente_<tenant>_views schemas): written by the projector, read
# by the tenant services; the role creates and swaps its schemas itself.
login_role entente_views "${VIEWS_DB_PASSWORD:?VIEWS_DB_PASSWORD is not set (see .env.example)}"
run_sql -q -v db="$database" <<'SQL'
SELECT format('GRANT CONNECT, CREATE ON DATABASE %I TO entente_views', :'db') \gexec
SQL
echo "postgres-init: role entente_views"

# The audit service reads every tenant's event store and changes nothing: USAGE on
# each schema and SELECT on its tables, now and on the tables the tenant's role
# creates later (the tenant service creates them at its first start).
login_role entente_audit "${AUDIT_DB_PASSWORD:?AUDIT_DB_PASSWORD is not set (see .env.example)}"
run_sql -q -v db="$database" <<'SQL'
SELECT format('GRANT CONNECT ON DATABASE %I TO entente_audit', :'db') \gexec
SQL
for tenant in ${TENANTS//,/ }; do
  role="entente_${tenant//-/_}"
  run_sql -q -v role="$role" <<'SQL'
SELECT format('GRANT USAGE ON SCHEMA %I TO entente_audit', :'role') \gexec
SELECT format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO entente_audit', :'role') \gexec
SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I GRANT SELECT ON TABLES TO entente_audit', :'role', :'role') \gexec
SQL
done
echo "postgres-init: role entente_audit (read-only on the tenants' stores)"

# Keycloak keeps its realms in its own database.
login_role keycloak "${KEYCLOAK_DB_PASSWORD:?KEYCLOAK_DB_PASSWORD is not set (see .env.example)}"
run_sql -q <<'SQL'
SELECT 'CREATE DATABASE keycloak OWNER keycloak'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'keycloak') \gexec
SQL
echo "postgres-init: database keycloak"

# Nobody but the owners may create in the public schema or connect by default.
run_sql -q -v db="$database" <<'SQL'
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SELECT format('REVOKE CONNECT ON DATABASE %I FROM PUBLIC', :'db') \gexec
SQL
