#!/bin/sh
# Set up and start the demo county: `sh scripts/demo.sh` (extra arguments go to `lianxin demo`).
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
exec .venv/bin/lianxin demo "$@"
