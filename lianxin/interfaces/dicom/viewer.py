"""What the reading viewer shows: the studies of an exam order and the patient's prior studies,
their series and the WADO-URI address of every instance, for the browser viewer (dwv) to load
with the user's session.

Everything comes from the index within the user's access (``Study.objects.visible_to``), the
same rule DICOMweb applies when the viewer then fetches the pixels; the viewer never sees a UID
that DICOMweb would refuse.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext as _

from lianxin.diagnostics.models import ExamOrder
from lianxin.interfaces.models import Instance, Series, Study

# What the page with the viewer adds to the site's Content-Security-Policy: dwv empties the
# style attribute of its drawing layer (``setAttribute("style", "")``), which style-src 'self'
# blocks; this allows that one value, the empty style attribute (SHA-256 of ""), nothing else.
# dwv needs no WebAssembly and no blob: workers: its decoders are scripts from this site.
VIEWER_CSP = {
    "style-src": ["'unsafe-hashes'", "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"]
}
PRIORS = 5  # prior studies offered for side-by-side comparison
THUMBNAIL = 96  # pixels, the series list's pictures
# SOP classes the viewer does not draw as an image (ECG waveforms, structured reports …): a
# series of only these is left out of the list.
IMAGE_LESS = ("1.2.840.10008.5.1.4.1.1.9.", "1.2.840.10008.5.1.4.1.1.88.")


def _presets() -> list[dict[str, Any]]:
    """Window/level presets for CT in Hounsfield units (centre, width), as radiology departments
    commonly set them; MR, DR/CR and ultrasound keep the window the images carry, or the full
    range of their values (the two presets every modality has)."""
    return [
        {"name": "lung", "label": _("Lung"), "center": -600, "width": 1500},
        {"name": "mediastinum", "label": _("Mediastinum"), "center": 40, "width": 400},
        {"name": "bone", "label": _("Bone"), "center": 400, "width": 1800},
        {"name": "brain", "label": _("Brain"), "center": 40, "width": 80},
        {"name": "abdomen", "label": _("Abdomen"), "center": 50, "width": 350},
    ]


def _wado(study: Study, series: Series, instance: Instance) -> str:
    query = urlencode(
        {
            "requestType": "WADO",
            "studyUID": study.study_uid,
            "seriesUID": series.series_uid,
            "objectUID": instance.sop_instance_uid,
            "contentType": "application/dicom",
        }
    )
    return f"{reverse('dicomweb:wado')}?{query}"


def _thumbnail(study: Study, series: Series, instance: Instance) -> str:
    path = reverse(
        "dicomweb:instance-rendered",
        kwargs={
            "study": study.study_uid,
            "series": series.series_uid,
            "instance": instance.sop_instance_uid,
        },
    )
    return f"{path}?{urlencode({'viewport': f'{THUMBNAIL},{THUMBNAIL}', 'accept': 'image/jpeg'})}"


def _is_image(instance: Instance) -> bool:
    return bool(instance.rows) and not instance.sop_class_uid.startswith(IMAGE_LESS)


def _studies(queryset) -> list[Study]:
    instances = Instance.objects.only(
        "series_id", "sop_instance_uid", "sop_class_uid", "instance_number", "rows", "frames"
    ).order_by("instance_number", "id")
    series = Series.objects.order_by("series_number", "id").prefetch_related(
        Prefetch("instances", queryset=instances)
    )
    return list(queryset.prefetch_related(Prefetch("series", queryset=series)))


def describe(study: Study) -> dict[str, Any]:
    """A study as the viewer's script reads it."""
    series_list = []
    for series in study.series.all():
        images = [i for i in series.instances.all() if _is_image(i)]
        if not images:
            continue
        middle = images[len(images) // 2]
        series_list.append(
            {
                "uid": series.series_uid,
                "number": series.series_number,
                "modality": series.modality,
                "description": series.description,
                "count": len(images),
                "frames": sum(i.frames for i in images),
                "thumbnail": _thumbnail(study, series, middle),
                "urls": [_wado(study, series, i) for i in images],
            }
        )
    date = study.study_date.isoformat() if study.study_date else ""
    return {
        "uid": study.study_uid,
        "date": date,
        "modalities": study.modalities.replace("\\", "/"),
        "description": study.description,
        "accession": study.accession_number,
        "label": " · ".join(
            filter(None, [date, study.modalities.replace("\\", "/"), study.description])
        ),
        "series": series_list,
    }


def viewer_config(user: Any, order: ExamOrder) -> dict[str, Any] | None:
    """The viewer's data for an order's reading page, or None when no image has arrived."""
    current = _studies(Study.objects.visible_to(user).filter(order=order))
    described = [d for d in map(describe, current) if d["series"]]
    if not described:
        return None
    modalities = {m for s in current for m in s.modalities.split("\\") if m}
    first = current[0]
    priors_qs = (
        Study.objects.visible_to(user)
        .filter(patient_id=order.patient_id)
        .exclude(pk__in=[s.pk for s in current])
        .exclude(instance_count=0)
    )
    if first.study_date:
        priors_qs = priors_qs.filter(study_date__lte=first.study_date)
    priors = _studies(priors_qs.order_by("-study_date", "-received_at")[:PRIORS])
    # The prior shown first: the latest one of the same modality, else the latest of any.
    priors.sort(key=lambda s: not (set(s.modalities.split("\\")) & modalities))
    prior_described = [d for d in map(describe, priors) if d["series"]]
    return {
        "current": described,
        "priors": prior_described,
        "presets": _presets(),
        "labels": labels(),
    }


def labels() -> dict[str, str]:
    """The words the script writes itself, translated here (the page holds all the others)."""
    return {
        "image": _("Image"),
        "wl": _("W/L"),
        "measured": _("Length"),
        "loading": _("Loading images …"),
        "failed": _("The images could not be loaded."),
    }
