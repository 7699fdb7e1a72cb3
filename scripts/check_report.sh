#!/usr/bin/env bash
# Full-page screenshot of a rendered report with headless Chromium, to check that figures and tables display.
#
#   scripts/check_report.sh REPORT.html OUT.png [HEIGHT]
#
# Network access is switched off as far as Chromium allows, so a report that needs the internet to display shows
# up as missing pieces in the screenshot. HEIGHT (pixels, default 6000) is the window height; the report is
# longer than that, so pass a larger value (e.g. 30000) to see all of it.
set -euo pipefail

if [ "$#" -lt 2 ]; then
    echo "usage: $0 REPORT.html OUT.png [HEIGHT]" >&2
    exit 2
fi
report="$1"
out="$2"
height="${3:-6000}"

browser=""
for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" >/dev/null 2>&1; then
        browser="$(command -v "$candidate")"
        break
    fi
done
if [ -z "$browser" ]; then
    echo "no Chromium found; install it (Debian: apt-get install chromium)" >&2
    exit 1
fi
if [ ! -f "$report" ]; then
    echo "report not found: $report" >&2
    exit 1
fi

profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
abs_report="$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"
abs_out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"

"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars \
    --screenshot="$abs_out" --window-size="1280,${height}" "file://${abs_report}" >/dev/null 2>&1

if [ ! -s "$abs_out" ]; then
    echo "no screenshot was written" >&2
    exit 1
fi
echo "$abs_out"
