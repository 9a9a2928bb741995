"""Where the bytes of a stored instance live: Django's storage (the file C-STORE wrote), and at
scale Orthanc as the archive behind Lianxin (docs/interfaces/dicom.md, "Orthanc as the archive").

With ``LIANXIN_ORTHANC_URL`` set, every newly stored instance is forwarded to Orthanc by a task
(``interfaces.tasks.forward_instance``: Orthanc's ``POST /instances``); once Orthanc has it,
``Instance.archive_id`` holds Orthanc's ID and, unless ``LIANXIN_ORTHANC_KEEP_FILES``, the
local file is removed. Reads (WADO, C-GET, C-MOVE) take the local file when there is one and
otherwise fetch the instance back from Orthanc over DICOMweb (WADO-RS). Lianxin keeps the index
and the access model: Orthanc is never exposed to users, only to Lianxin.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from io import BytesIO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from pydicom import dcmread
from pydicom.dataset import Dataset

from lianxin.interfaces.models import Instance

log = logging.getLogger(__name__)
TIMEOUT = 30


class Unavailable(OSError):
    """The instance is indexed but its bytes cannot be read now."""


def orthanc_url() -> str:
    url = (getattr(settings, "ORTHANC_URL", "") or "").rstrip("/")
    if url and not url.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"LIANXIN_ORTHANC_URL must be an http(s) URL, not {url!r}")
    return url


def read_instance(instance: Instance) -> bytes:
    """The instance as a DICOM file (file meta and dataset), as it was received."""
    name = instance.file.name
    try:
        with default_storage.open(name, "rb") as handle:
            return handle.read()
    except OSError as exc:
        if not (instance.archive_id and orthanc_url()):
            raise Unavailable(
                f"stored file of {instance.sop_instance_uid} unreadable: {exc}"
            ) from exc
    return fetch_from_orthanc(instance)


def read_dataset(instance: Instance, *, stop_before_pixels: bool = False) -> Dataset:
    return dcmread(BytesIO(read_instance(instance)), stop_before_pixels=stop_before_pixels)


def _request(url: str, *, data: bytes | None = None, headers: dict[str, str]) -> tuple[str, bytes]:
    # Only the configured http(s) URL of Orthanc (``orthanc_url``) is ever opened.
    request = urllib.request.Request(  # noqa: S310
        url, data=data, headers=headers, method="POST" if data else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - configured URL
            return response.headers.get("Content-Type", ""), response.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise Unavailable(f"Orthanc at {url.split('?')[0]}: {exc}") from exc


def fetch_from_orthanc(instance: Instance) -> bytes:
    """WADO-RS from Orthanc's DICOMweb plugin: the one instance, as Orthanc stored it."""
    series = instance.series
    url = (
        f"{orthanc_url()}/dicom-web/studies/{series.study.study_uid}/series/{series.series_uid}"
        f"/instances/{instance.sop_instance_uid}"
    )
    content_type, body = _request(
        url, headers={"Accept": 'multipart/related; type="application/dicom"'}
    )
    parts = split_multipart(content_type, body)
    if len(parts) != 1:
        raise Unavailable(f"Orthanc answered {len(parts)} parts for {instance.sop_instance_uid}")
    return parts[0]


def split_multipart(content_type: str, body: bytes) -> list[bytes]:
    """The parts' bodies of a multipart/related answer (PS3.18 8.6.1.2)."""
    boundary = ""
    for param in content_type.split(";")[1:]:
        key, _sep, value = param.strip().partition("=")
        if key.lower() == "boundary":
            boundary = value.strip('"')
    if not boundary:
        raise Unavailable(f"not a multipart answer: {content_type!r}")
    delimiter = b"--" + boundary.encode("ascii")
    parts = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        _head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            continue
        parts.append(content[:-2] if content.endswith(b"\r\n") else content)
    return parts


def forward(instance: Instance) -> str:
    """Send the instance to Orthanc (``POST /instances``) and return Orthanc's ID for it; an
    instance Orthanc already holds answers the same ID."""
    with default_storage.open(instance.file.name, "rb") as handle:
        data = handle.read()
    _type, body = _request(
        f"{orthanc_url()}/instances", data=data, headers={"Content-Type": "application/dicom"}
    )
    try:
        answer = json.loads(body)
        return str(answer["ID"])
    except (ValueError, KeyError, TypeError) as exc:
        raise Unavailable(
            f"Orthanc's answer to the upload is not understood: {body[:200]!r}"
        ) from exc


def release_local_copy(instance: Instance) -> None:
    """After Orthanc confirmed it holds the instance: the pixels live there, not here."""
    if getattr(settings, "ORTHANC_KEEP_FILES", False):
        return
    try:
        default_storage.delete(instance.file.name)
    except OSError:
        log.warning("could not remove the local copy of %s", instance.sop_instance_uid)
