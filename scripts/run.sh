#!/usr/bin/env bash
# The main job: installs what is missing, builds, and starts PayTorrent on the embedded
# local chain. Extra arguments go to the program.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${PT_BUILD_DIR:-$root/build/default}"
"$root/scripts/bootstrap.sh"
if [[ -x "$build_dir/app/paytorrent" && $# -eq 0 ]]; then
  exec "$build_dir/app/paytorrent"
fi
if [[ $# -eq 0 ]]; then
  set -- demo
fi
exec "$build_dir/app/paytorrent-cli" "$@"
