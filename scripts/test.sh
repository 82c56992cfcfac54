#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every test with ctest.
# This is the README's test command, and exactly what .ci/run calls.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${PT_BUILD_DIR:-$root/build/default}"
"$root/scripts/bootstrap.sh"
# Tests start their own servers (anvil, stock clients, Xvfb) on free loopback ports.
cd "$build_dir"
ctest --output-on-failure --timeout 900 -j "${PT_TEST_JOBS:-2}" "$@"
