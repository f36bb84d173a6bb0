#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Saves PNG screenshots of Tandem's main states (two people editing with their cursors, the
# typing line, the offline status bar) into a directory, default build/screenshots/:
#   tools/screenshots.sh [output directory]
# Builds tandem_screenshots in build/ (the dev preset) when needed and runs it under Xvfb, so
# it needs xvfb and xauth (Debian: xvfb xauth) and Qt's xcb platform plugin.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/build/screenshots}"
build="$root/build"

if [ ! -f "$build/build.ninja" ]; then
    (cd "$root" && cmake --preset dev >/dev/null)
fi
cmake "$build" >/dev/null
ninja -C "$build" tandem_screenshots >/dev/null

command -v xvfb-run >/dev/null || { echo "xvfb-run not found (Debian: apt install xvfb xauth)" >&2; exit 1; }
mkdir -p "$out"
out="$(cd "$out" && pwd)"
QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24" \
    "$build/tools/screenshots/tandem_screenshots" "$out"
