#!/usr/bin/env bash
# Quick-start command (1): install what is missing, build, and run the daemon on its bundled
# demo configuration until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target circuitd circuitctl
exec "$BUILD_DIR/daemon/circuitd" --config config/demo.toml "$@"
