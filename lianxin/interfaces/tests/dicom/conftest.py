"""Fixtures of the DICOM tests: the county's imaging centre (from the diagnostics tests), the
registered devices, stored files in a temporary media root, and the service on a free port."""

from __future__ import annotations

import pytest

from lianxin.diagnostics.tests.conftest import Centre, catalogue, centre  # noqa: F401
from lianxin.interfaces.dicom.server import HANDLERS, build_ae
from lianxin.interfaces.tests.dicom.helpers import SERVER_AE, Devices, register_devices


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return tmp_path / "media"


@pytest.fixture
def devices(personas) -> Devices:
    return register_devices(personas)


@pytest.fixture
def dicom_port(transactional_db, media):
    """Lianxin's DICOM service in this process on a free port; stopped after the test."""
    ae = build_ae(SERVER_AE)
    server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=HANDLERS)
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
