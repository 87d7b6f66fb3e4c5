#!/usr/bin/env bash
# Installs the build into a temporary prefix, then configures, builds and runs a project of
# its own (tests/install/consumer) against it with find_package(aime). Usage:
#   bash tests/install/run.sh BUILD_DIR
set -euo pipefail
BUILD=$1
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cmake --install "$BUILD" --prefix "$WORK/prefix" >/dev/null
test -x "$WORK/prefix/bin/aime"
test -f "$WORK/prefix/include/aime/autograd/api.h"
cmake -S "$HERE/consumer" -B "$WORK/build" -DCMAKE_PREFIX_PATH="$WORK/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$WORK/build" -j 2 >/dev/null
"$WORK/build/consumer"
