#!/bin/sh
# Set up and start the demo county: `sh scripts/demo.sh` (extra arguments go to `lianxin demo`,
# e.g. `sh scripts/demo.sh --port 8080`).
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
mkdir -p var
LOG=var/install.log
# The installer's own output goes to a log, so that the demo's logins are what the terminal shows.
echo "Installing Lianxin into .venv (details in $LOG) …"
if ! {
    { [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv; } &&
        .venv/bin/python -m pip install --quiet --upgrade pip &&
        .venv/bin/python -m pip install --quiet -e .
} >"$LOG" 2>&1; then
    tail -n 20 "$LOG" >&2
    echo "Installing failed; the whole output is in $LOG." >&2
    exit 1
fi
# Printed forms embed a CJK font; as root on Debian, install the package the forms use.
if [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] && [ "$(id -u)" = 0 ] \
    && command -v apt-get >/dev/null; then
    echo "Installing the CJK font for printed forms (fonts-wqy-microhei) …"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq fonts-wqy-microhei; } >>"$LOG" 2>&1 ||
        echo "Could not install fonts-wqy-microhei (see $LOG); printing will say what is missing."
fi
exec .venv/bin/lianxin demo "$@"
