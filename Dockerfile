# syntax=docker/dockerfile:1.7
# One image for every Entente service; the command picks the process:
#   serve --app tenant --host 0.0.0.0 --port 8000   a tenant service (ENTENTE_TENANTS=police)
#                                      (without --app: every app, as `make run`)
#   relay police                       the relay of one tenant (event store -> Kafka)
#   project --host 0.0.0.0 --port 8001 the projector (Kafka -> views)
#   projections rebuild police         a one-off rebuild (platform:admin)
#   keycloak provision --realm-file …  apply the declarative realm
# Build: docker build -t entente:dev .   (see docs/deployment.md)
#
# Bases are pinned by exact tag. To pin by digest as well, resolve it where a
# registry answers (`docker buildx imagetools inspect python:3.11.14-slim-bookworm`)
# and build with --build-arg PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:…
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9

FROM ${UV_IMAGE} AS uv

# ---- build: a virtual environment from uv.lock, the project installed as a wheel
FROM ${PYTHON_IMAGE} AS build
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
# Dependencies first: this layer changes only when the lock does.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --frozen --no-dev --no-install-project --no-editable
COPY pyproject.toml uv.lock README.md ./
COPY shared ./shared
COPY services ./services
# --no-editable: the venv holds the code itself, so the runtime needs no source tree.
# --refresh-package: uv would otherwise reuse, from the cache mount, the wheel it built
# for an earlier tree (it keys a local project on pyproject.toml alone) and ship old code.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --refresh-package entente \
 && /app/.venv/bin/entente --help > /dev/null \
 && /app/.venv/bin/python -P -c "from shared.kafka.crc import require_native_crc32c as r; r()"

# ---- runtime: the same Python base, the venv, a non-root user, no build tools
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="entente" \
      org.opencontainers.image.description="Entente, the cooperation ledger: tenant service, relay, projector"
RUN groupadd --system --gid 10001 entente \
 && useradd --system --uid 10001 --gid entente --home-dir /var/lib/entente \
      --no-create-home --shell /usr/sbin/nologin entente \
 && mkdir -p /var/lib/entente \
 && chown entente:entente /var/lib/entente
COPY --from=build /app/.venv /app/.venv
# The declarative realm, for `keycloak provision` (the chart's provisioning Job).
COPY deploy/keycloak/realm-entente.json /opt/entente/realm-entente.json
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ENTENTE_DATA_DIR=/var/lib/entente
WORKDIR /var/lib/entente
# Numeric, so Kubernetes' runAsNonRoot can check it without reading /etc/passwd.
USER 10001:10001
EXPOSE 8000 8001 8002
ENTRYPOINT ["entente"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
