"""A throwaway Orthanc (Debian ``orthanc`` + ``orthanc-dicomweb``) on 127.0.0.1 for tests and
benchmarks: its own configuration file and storage in a temporary folder, no authentication
(it only listens on the loopback), stopped when the ``with`` block ends."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Where Debian's orthanc-dicomweb package puts its plugin; LIANXIN_ORTHANC_PLUGINS overrides.
DEBIAN_PLUGINS = "/usr/share/orthanc/plugins"
DICOMWEB_PLUGIN = "libOrthancDicomWeb.so"


@dataclass
class RunningOrthanc:
    url: str
    dicom_port: int
    ae_title: str
    process: subprocess.Popen


def free_port() -> int:
    """A port nothing listens on now (the system picks it; parallel test workers never share)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def plugin_path() -> Path | None:
    folder = Path(os.environ.get("LIANXIN_ORTHANC_PLUGINS", DEBIAN_PLUGINS))
    path = folder / DICOMWEB_PLUGIN
    return path if path.exists() else None


def missing() -> str:
    """Why Orthanc cannot be started here ('' when it can)."""
    if shutil.which("Orthanc") is None:
        return "Orthanc is not installed (Debian package orthanc)"
    if plugin_path() is None:
        return "Orthanc's DICOMweb plugin is not installed (Debian package orthanc-dicomweb)"
    return ""


@contextlib.contextmanager
def running(
    folder: Path, *, http_port: int, dicom_port: int, ae_title: str = "ORTHANC"
) -> Iterator[RunningOrthanc]:
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "Name": "lianxin-archive",
        "StorageDirectory": str(folder / "storage"),
        "IndexDirectory": str(folder / "storage"),
        "HttpPort": http_port,
        "DicomPort": dicom_port,
        "DicomAet": ae_title,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "DicomAlwaysAllowStore": True,
        "DicomCheckCalledAet": False,
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
        "Plugins": [str(plugin_path())],
        "StorageCompression": False,
        "ConcurrentJobs": 1,
    }
    path = folder / "orthanc.json"
    path.write_text(json.dumps(config, indent=2))
    log = (folder / "orthanc.log").open("w")
    binary = shutil.which("Orthanc") or "Orthanc"
    # Our own configuration file, no shell: nothing untrusted reaches the command line.
    process = subprocess.Popen([binary, str(path)], stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    url = f"http://127.0.0.1:{http_port}"
    try:
        _wait_until_up(url, process)
        yield RunningOrthanc(url=url, dicom_port=dicom_port, ae_title=ae_title, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Orthanc stopped at start (exit {process.returncode})")
        try:
            with urllib.request.urlopen(f"{url}/system", timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("Orthanc did not answer within 30 s")


def get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        return json.loads(response.read())
