#!/bin/sh
# Set up and run the whole test suite: `sh scripts/test.sh` (extra arguments go to pytest).
# SQLite by default; set DATABASE_URL=postgres://... to run the same suite on PostgreSQL.
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
# The browser and DICOM tests drive real peers from Debian: Chromium (through Playwright, never a
# downloaded browser) and dcmtk; the printed referral form embeds a Chinese font from Debian.
# Install them when we can; otherwise those tests say why they skip.
if { [ ! -x /usr/bin/chromium ] || [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; } \
    && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
fi
# The DICOM tests: dcmtk's echoscu/findscu/storescu/movescu/getscu, and Orthanc with its
# DICOMweb plugin as the archive behind Lianxin.
if { ! command -v storescu >/dev/null || ! command -v Orthanc >/dev/null \
        || [ ! -e /usr/share/orthanc/plugins/libOrthancDicomWeb.so ]; } \
    && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq dcmtk orthanc orthanc-dicomweb >/dev/null
fi
# One worker per core (pytest-xdist); LIANXIN_TEST_WORKERS=0 runs in one process.
exec .venv/bin/python -m pytest -n "${LIANXIN_TEST_WORKERS:-auto}" "$@"
