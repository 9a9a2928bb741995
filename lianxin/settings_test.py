"""Settings for the test suite: the production settings in test mode, with a fast hasher."""

import os

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
    DATABASES["default"]["TEST"]["NAME"] = None  # in-memory
INSTALLED_APPS = [*INSTALLED_APPS, "lianxin.core.tests.workflowapp"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
# Tests assert the English source strings; core/tests/test_translations.py checks zh-Hans.
LANGUAGE_CODE = "en"
