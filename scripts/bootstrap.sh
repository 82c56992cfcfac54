#!/usr/bin/env bash
# Installs whatever is missing on a Debian 12 machine, then configures and builds
# PayTorrent. Safe to run any number of times: each step is skipped when already done.
#   scripts/bootstrap.sh            install + build
#   PT_BUILD_DIR=... to choose the build directory (default: build/default)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${PT_BUILD_DIR:-$root/build/default}"
jobs="${PT_JOBS:-$(nproc)}"

log() { printf '[bootstrap] %s\n' "$*" >&2; }

# Debian packages the build, the tests and the app need (one list, see docs/architecture.md).
apt_packages=(
  g++ cmake ninja-build pkg-config git
  libtorrent-rasterbar-dev libsecp256k1-dev libssl-dev libsqlite3-dev sqlite3
  nlohmann-json3-dev libboost-dev libboost-system-dev libfmt-dev libspdlog-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  qt6-base-dev xvfb xauth
  nodejs npm
  python3-libtorrent transmission-cli aria2
  python3-matplotlib  # scripts/plot_transfer.py (the benchmark plot in docs/)
)

missing=()
for p in "${apt_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    # A tool installed another way (node from elsewhere) counts as present.
    case "$p" in
      nodejs) command -v node >/dev/null && continue ;;
      npm) command -v npm >/dev/null && continue ;;
    esac
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm pieces (anvil, nitro-protocol with ethers), pinned by tools/node/package-lock.json.
node_dir="$root/tools/node"
stamp="$node_dir/node_modules/.paytorrent-lock"
if [[ ! -f "$stamp" ]] || ! cmp -s "$node_dir/package-lock.json" "$stamp"; then
  log "installing npm packages from the lock file"
  (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$node_dir/package-lock.json" "$stamp"
fi

# Configure once; build (incremental) every time.
if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
  log "configuring in $build_dir"
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
log "building with $jobs jobs"
cmake --build "$build_dir" -j "$jobs"
