#!/usr/bin/env bash
# Starts the real local stack once, runs the given test command against it, and
# stops the stack whatever happens. The servers' addresses reach the tests as
# ENTENTE_TEST_* variables (see tests/conftest.py).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# The fault tests restart this run's broker through stack.sh: tell them where it lives.
export ENTENTE_STACK_DIR="${ENTENTE_STACK_DIR:-$(cd "$here/../.." && pwd)/.cache/stack}"
services="${ENTENTE_TEST_SERVICES:-postgres kafka keycloak}"
# Every server is started here, so a test that finds one missing fails, never skips
# (tests/requirements.py), whether or not the CI runner sets CI.
export ENTENTE_TESTS_STRICT=1
# shellcheck disable=SC2086
"$here/stack.sh" start $services
trap '"$here/stack.sh" stop $services' EXIT
eval "$("$here/stack.sh" env)"
"$@"
