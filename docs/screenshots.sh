#!/usr/bin/env bash
# Regenerate the PNG pictures in docs/ from real runs (needs Debian's chromium): bash docs/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
browser=$(command -v chromium || command -v chromium-browser)
shoot() {  # shoot SCENARIO NAME WIDTH HEIGHT [threadsim options...]
  local scenario=$1 name=$2 width=$3 height=$4
  shift 4
  .venv/bin/threadsim run "$scenario" --report json --timeline "$out/$name.html" --timeline "$out/$name.svg" "$@" >/dev/null || true
  for kind in html svg; do
    "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
      --disable-background-networking --disable-component-update --disable-sync \
      --user-data-dir="$out/profile" --hide-scrollbars --window-size="$width,$height" \
      --screenshot="docs/$name-$kind.png" "file://$out/$name.$kind" 2>/dev/null
  done
}
shoot scenarios/rr-textbook.yaml rr-textbook 1400 270
shoot scenarios/mixed-io.yaml mixed-io 1400 400
shoot scenarios/lost-update.yaml lost-update 1400 250
shoot scenarios/counter-mutex.yaml counter-mutex 1400 250
