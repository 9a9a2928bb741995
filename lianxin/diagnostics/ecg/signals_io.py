"""Reading a 12-lead ECG file into leads in millivolts: a DICOM 12-lead waveform (pydicom) or a
WFDB record (wfdb; the .hea header and .dat signal uploaded together as a zip)."""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.utils.translation import gettext as _

from lianxin.diagnostics.ecg.rules import LEADS

ECG_SOP_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.9.1.1": "12-lead ECG",
    "1.2.840.10008.5.1.4.1.1.9.1.2": "General ECG",
}
UNITS_TO_MV = {"uV": 0.001, "mV": 1.0, "V": 1000.0}


class EcgFileError(ValueError):
    """The file is not a 12-lead ECG Lianxin can read (the message says why)."""


@dataclass
class Waveform:
    sampling_rate: float
    leads: dict[str, np.ndarray]  # lead name → mV
    accession_number: str = ""
    patient_id: str = ""

    @property
    def duration(self) -> float:
        return len(next(iter(self.leads.values()))) / self.sampling_rate


def _lead_name(label: str) -> str:
    text = label.replace("Lead", "").replace("(Einthoven)", "").replace("(Goldberger)", "")
    text = text.strip().upper().replace("AV", "aV")
    return text


def _complete(leads: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    if "I" in leads and "II" in leads:
        leads.setdefault("III", leads["II"] - leads["I"])
        leads.setdefault("aVR", -(leads["I"] + leads["II"]) / 2)
        leads.setdefault("aVL", leads["I"] - leads["II"] / 2)
        leads.setdefault("aVF", leads["II"] - leads["I"] / 2)
    missing = [n for n in LEADS if n not in leads]
    if missing:
        raise EcgFileError(_("The record lacks leads %(l)s.") % {"l": ", ".join(missing)})
    return {n: np.asarray(leads[n], dtype=float) for n in LEADS}


def read_dicom(data: bytes) -> Waveform:
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(io.BytesIO(data))
    except (InvalidDicomError, EOFError, ValueError, OSError) as exc:
        raise EcgFileError(_("Not a readable DICOM file.")) from exc
    if str(ds.get("SOPClassUID", "")) not in ECG_SOP_CLASSES or "WaveformSequence" not in ds:
        raise EcgFileError(_("This DICOM file is not an ECG waveform."))
    group = ds.WaveformSequence[0]
    try:
        array = ds.waveform_array(0)
    except (ValueError, AttributeError, IndexError) as exc:
        raise EcgFileError(_("The waveform data cannot be read.")) from exc
    leads = {}
    for n, channel in enumerate(group.ChannelDefinitionSequence):
        label = channel.ChannelSourceSequence[0].CodeMeaning
        units = channel.ChannelSensitivityUnitsSequence[0].CodeValue
        leads[_lead_name(label)] = array[:, n] * UNITS_TO_MV.get(units, 0.001)
    return Waveform(
        sampling_rate=float(group.SamplingFrequency),
        leads=_complete(leads),
        accession_number=str(ds.get("AccessionNumber", "")),
        patient_id=str(ds.get("PatientID", "")),
    )


def read_wfdb(data: bytes) -> Waveform:
    import wfdb

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise EcgFileError(_("Upload a WFDB record as a zip of its .hea and .dat files.")) from exc
    with tempfile.TemporaryDirectory() as folder:
        headers = []
        for member in archive.infolist():
            name = Path(member.filename).name
            if not name or member.file_size > 50 * 1024 * 1024:
                continue
            (Path(folder) / name).write_bytes(archive.read(member))
            if name.endswith(".hea"):
                headers.append(name[:-4])
        if len(headers) != 1:
            raise EcgFileError(_("The zip must hold exactly one WFDB header (.hea)."))
        try:
            record = wfdb.rdrecord(str(Path(folder) / headers[0]))
        except Exception as exc:  # wfdb raises many kinds for a broken record
            raise EcgFileError(_("The WFDB record cannot be read: %(e)s") % {"e": exc}) from exc
    leads = {}
    for n, name in enumerate(record.sig_name):
        factor = UNITS_TO_MV.get(record.units[n], 1.0) if record.units else 1.0
        leads[_lead_name(name)] = np.nan_to_num(record.p_signal[:, n]) * factor
    return Waveform(sampling_rate=float(record.fs), leads=_complete(leads))


def read_any(data: bytes, name: str = "") -> Waveform:
    if data[128:132] == b"DICM" or name.lower().endswith(".dcm"):
        return read_dicom(data)
    if data[:2] == b"PK":
        return read_wfdb(data)
    raise EcgFileError(_("Upload a DICOM ECG waveform (.dcm) or a WFDB record (.zip)."))


def to_npz(wave: Waveform) -> bytes:
    out = io.BytesIO()
    np.savez_compressed(
        out,
        fs=np.array([wave.sampling_rate]),
        **{n: wave.leads[n].astype(np.float32) for n in LEADS},
    )
    return out.getvalue()


def from_npz(data: bytes) -> Waveform:
    with np.load(io.BytesIO(data)) as z:
        return Waveform(sampling_rate=float(z["fs"][0]), leads={n: z[n] for n in LEADS})
