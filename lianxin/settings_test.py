"""Settings for the test suite: the production settings in test mode, with a fast hasher."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("LIANXIN_MODE", "test")

from lianxin.settings import *

# Argon2 stays the production hasher (tested in core); most tests log in many users, and a
# deliberately slow hash there only costs time.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
DATABASES["default"].setdefault("TEST", {})
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"]["NAME"] = ":memory:"
INSTALLED_APPS = [*INSTALLED_APPS, "lianxin.core.tests.workflowapp"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
# Tests assert the English source strings; core/tests/test_translations.py checks zh-Hans.
LANGUAGE_CODE = "en"
# Files the tests store (the demo county's DICOM images, uploads) go to a directory of this test
# process, removed when it ends, not into the data directory of the working copy.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="lianxin-test-media-"))
atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)
