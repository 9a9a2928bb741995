"""The DICOMweb endpoints under ``/dicomweb/``.

DRF views, so that the signed-in session (the browser viewer) and token authentication work as
in the rest of the API. Every study, series and instance is looked up within the user's access
(an unknown UID and one the user may not see are the same 404); every search is a
``patient.list`` audit row and every retrieve a ``patient.read`` row (``actions``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import reverse
from pydicom.dataset import Dataset
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from lianxin.core.access import access_for
from lianxin.interfaces.actions import record_study_read, record_study_search
from lianxin.interfaces.dicom import archive, query
from lianxin.interfaces.dicomweb import pixels, search
from lianxin.interfaces.models import Instance, Series, Study

DICOM_JSON = "application/dicom+json"
CHANNEL = "dicomweb"
# Binary attributes longer than this are given as a BulkDataURI in metadata (PS3.18 F.2.2).
BULK_THRESHOLD = 1024
BINARY_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})


class Problem(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def not_found(message: str) -> Problem:
    return Problem(404, message)


class DicomWebView(APIView):
    # DICOMweb documents itself by PS3.18, not in the REST API's OpenAPI schema.
    schema = None
    # Token first: an anonymous request gets 401 with "WWW-Authenticate: Token".
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        # Each endpoint reads the Accept header itself (multipart, images, DICOM JSON).
        return (JSONRenderer(), "application/json")

    def handle_exception(self, exc):
        if isinstance(exc, Problem):
            return JsonResponse({"detail": exc.message}, status=exc.status)
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            response = JsonResponse({"detail": str(exc.detail)}, status=401)
            response["WWW-Authenticate"] = "Token"
            return response
        if isinstance(exc, exceptions.APIException):
            return JsonResponse({"detail": str(exc.detail)}, status=exc.status_code)
        if isinstance(exc, archive.Unavailable):
            return JsonResponse({"detail": "The images cannot be read just now."}, status=503)
        return super().handle_exception(exc)

    # --- scoped lookups -------------------------------------------------------------------

    def access(self):
        return access_for(self.request.user)

    def study(self, study_uid: str) -> Study:
        if not search.is_uid(study_uid):
            raise not_found(f"Study {study_uid} not found.")
        study = query.studies(self.access(), {"StudyInstanceUID": study_uid}).first()
        if study is None:
            raise not_found(f"Study {study_uid} not found.")
        return study

    def series_row(self, study: Study, series_uid: str) -> Series:
        row = None
        if search.is_uid(series_uid):
            row = study.series.filter(series_uid=series_uid).first()
        if row is None:
            raise not_found(f"Series {series_uid} not found in study {study.study_uid}.")
        row.study = study
        return row

    def instance_row(self, series: Series, sop_uid: str) -> Instance:
        row = None
        if search.is_uid(sop_uid):
            row = series.instances.filter(sop_instance_uid=sop_uid).first()
        if row is None:
            raise not_found(f"Instance {sop_uid} not found in series {series.series_uid}.")
        row.series = series
        return row

    def resolve(self, study: str, series: str | None = None, instance: str | None = None):
        study_row = self.study(study)
        series_row = self.series_row(study_row, series) if series is not None else None
        instance_row = (
            self.instance_row(series_row, instance)
            if series_row is not None and instance is not None
            else None
        )
        return study_row, series_row, instance_row

    def instances_of(self, study: Study, series: Series | None) -> list[Instance]:
        rows = Instance.objects.filter(series__study=study)
        if series is not None:
            rows = rows.filter(series=series)
        rows = rows.select_related("series", "series__study").order_by(
            "series__series_number", "series_id", "instance_number", "id"
        )
        return list(rows)

    # --- URLs -----------------------------------------------------------------------------

    def url(self, name: str, **kwargs: str) -> str:
        path = reverse(f"dicomweb:{name}", kwargs=kwargs)
        base = settings.DICOMWEB_BASE_URL.rstrip("/")
        return base + path if base else self.request.build_absolute_uri(path)

    def study_url(self, study: Study) -> str:
        return self.url("study", study=study.study_uid)

    def series_url(self, series: Series) -> str:
        return self.url("series", study=series.study.study_uid, series=series.series_uid)

    def instance_url(self, instance: Instance) -> str:
        return self.url(
            "instance",
            study=instance.series.study.study_uid,
            series=instance.series.series_uid,
            instance=instance.sop_instance_uid,
        )

    def accept(self) -> list[tuple[str, dict[str, str]]]:
        """The Accept header as (media type, parameters), in the order given."""
        out = []
        for item in self.request.headers.get("Accept", "").split(","):
            parts = [p.strip() for p in item.split(";") if p.strip()]
            if not parts:
                continue
            params = {}
            for part in parts[1:]:
                key, _sep, value = part.partition("=")
                params[key.strip().lower()] = value.strip().strip('"')
            out.append((parts[0].lower(), params))
        return out


# --- QIDO-RS --------------------------------------------------------------------------------


class SearchView(DicomWebView):
    level = "study"

    def get(self, request, study: str | None = None, series: str | None = None):
        self._check_accept()
        fixed: dict[str, str] = {}
        if study is not None:
            study_row = self.study(study)
            fixed["StudyInstanceUID"] = study_row.study_uid
            if series is not None:
                fixed["SeriesInstanceUID"] = self.series_row(study_row, series).series_uid
        try:
            wanted = search.parse(dict(request.query_params.lists()), self.level, fixed)
            rows, more = search.run(self.access(), self.level, wanted)
        except search.BadSearch as exc:
            raise Problem(400, str(exc)) from exc
        url_for = {
            "study": self.study_url,
            "series": self.series_url,
            "instance": self.instance_url,
        }[self.level]
        body = search.to_json(rows, self.level, wanted, url_for)
        record_study_search(actor=request.user, studies=_studies_of(rows), channel=CHANNEL)
        response = JsonResponse(body, safe=False, content_type=DICOM_JSON)
        if more:
            # PS3.18 8.3.4.6: a warning when the answer is cut short.
            response["Warning"] = (
                f'299 lianxin "There are more matches than the {wanted.limit} returned; '
                'use offset or narrow the search."'
            )
        return response

    def _check_accept(self) -> None:
        accepted = self.accept()
        if accepted and not any(
            media in (DICOM_JSON, "application/json", "*/*", "application/*")
            for media, _params in accepted
        ):
            raise Problem(406, "Search results are given as application/dicom+json.")


class StudySearchView(SearchView):
    level = "study"


class SeriesSearchView(SearchView):
    level = "series"


class InstanceSearchView(SearchView):
    level = "instance"


def _studies_of(rows: Iterable[Any]) -> list[Study]:
    out: dict[int, Study] = {}
    for row in rows:
        if isinstance(row, Study):
            study = row
        elif isinstance(row, Series):
            study = row.study
        else:
            study = row.series.study
        out[study.pk] = study
    return list(out.values())


# --- WADO-RS: instances ---------------------------------------------------------------------


def multipart(
    parts: Iterable[bytes], media_type: str, *, boundary: str, locations: Iterable[str] = ()
) -> Iterator[bytes]:
    """A multipart/related body (PS3.18 8.6.1.2), one part at a time."""
    located = iter(locations)
    for part in parts:
        head = f"--{boundary}\r\nContent-Type: {media_type}\r\n"
        location = next(located, None)
        if location:
            head += f"Content-Location: {location}\r\n"
        yield (head + "\r\n").encode("ascii")
        yield part
        yield b"\r\n"
    yield f"--{boundary}--\r\n".encode("ascii")


def multipart_response(
    parts: Iterable[bytes], media_type: str, *, locations: Iterable[str] = ()
) -> StreamingHttpResponse:
    boundary = uuid.uuid4().hex
    return StreamingHttpResponse(
        multipart(parts, media_type, boundary=boundary, locations=locations),
        content_type=f'multipart/related; type="{media_type}"; boundary={boundary}',
    )


class RetrieveView(DicomWebView):
    """The instances of a study, a series or one instance, as stored (``application/dicom``)."""

    def get(self, request, study: str, series: str | None = None, instance: str | None = None):
        study_row, series_row, instance_row = self.resolve(study, series, instance)
        self._check_accept()
        rows = [instance_row] if instance_row else self.instances_of(study_row, series_row)
        record_study_read(actor=request.user, study=study_row, channel=CHANNEL)
        if instance_row is not None:
            # Read before answering, so that an unreadable file is a 503, not a cut stream.
            data = archive.read_instance(instance_row)
            return multipart_response([data], "application/dicom")
        return multipart_response(
            (archive.read_instance(row) for row in rows),
            "application/dicom",
        )

    def _check_accept(self) -> None:
        accepted = self.accept()
        for media, params in accepted or [("*/*", {})]:
            if media in ("*/*", "multipart/*"):
                return
            if media == "multipart/related" and params.get("type", "application/dicom") in (
                "application/dicom",
                "*/*",
            ):
                return
        raise Problem(406, 'Instances are given as multipart/related; type="application/dicom".')


# --- WADO-RS: metadata ----------------------------------------------------------------------


class MetadataView(DicomWebView):
    def get(self, request, study: str, series: str | None = None, instance: str | None = None):
        study_row, series_row, instance_row = self.resolve(study, series, instance)
        rows = [instance_row] if instance_row else self.instances_of(study_row, series_row)
        body = [self.metadata(row) for row in rows]
        record_study_read(actor=request.user, study=study_row, channel=CHANNEL)
        return JsonResponse(body, safe=False, content_type=DICOM_JSON)

    def metadata(self, instance: Instance) -> dict:
        ds = archive.read_dataset(instance, stop_before_pixels=True)
        base = self.instance_url(instance)
        bulk: dict[str, dict] = {}
        for element in list(ds):
            value = element.value
            if element.VR in BINARY_VRS and value is not None and len(value) > BULK_THRESHOLD:
                tag = f"{element.tag:08X}"
                bulk[tag] = {"vr": element.VR, "BulkDataURI": f"{base}/bulkdata/{tag}"}
                del ds[element.tag]
        body = ds.to_json_dict(bulk_data_threshold=2**62, suppress_invalid_tags=True)
        if instance.rows:
            vr = "OB" if _is_encapsulated(instance) else "OW"
            frames = ",".join(str(n) for n in range(1, instance.frames + 1))
            body["7FE00010"] = {"vr": vr, "BulkDataURI": f"{base}/frames/{frames}"}
        body.update(bulk)
        return body


def _is_encapsulated(instance: Instance) -> bool:
    from pydicom.uid import UID

    return UID(instance.transfer_syntax_uid).is_encapsulated


class BulkDataView(DicomWebView):
    """A binary attribute that metadata gave as a BulkDataURI."""

    def get(self, request, study: str, series: str, instance: str, tag: str):
        study_row, _series_row, instance_row = self.resolve(study, series, instance)
        if len(tag) != 8 or any(ch not in "0123456789abcdefABCDEF" for ch in tag):
            raise not_found(f"No attribute {tag} in this instance.")
        ds = archive.read_dataset(instance_row)
        element = ds.get(int(tag, 16))
        if element is None or element.VR not in BINARY_VRS or element.value is None:
            raise not_found(f"No bulk data attribute {tag} in this instance.")
        record_study_read(actor=request.user, study=study_row, channel=CHANNEL)
        return multipart_response([bytes(element.value)], "application/octet-stream")


# --- WADO-RS: frames and rendered -----------------------------------------------------------


class FramesView(DicomWebView):
    def get(self, request, study: str, series: str, instance: str, frames: str):
        study_row, _series_row, instance_row = self.resolve(study, series, instance)
        as_stored = self._wants_as_stored()
        ds = archive.read_dataset(instance_row)
        numbers = _frame_numbers(frames, ds)
        try:
            if as_stored:
                data = list(pixels.frames_as_stored(ds, numbers))
            else:
                data = list(pixels.frames_native(ds, numbers))
        except pixels.CannotDecode as exc:
            raise Problem(
                406,
                f"The frames are stored as {ds.file_meta.TransferSyntaxUID} and cannot be "
                f"decoded here ({exc}); ask with transfer-syntax=* for them as stored.",
            ) from exc
        record_study_read(actor=request.user, study=study_row, channel=CHANNEL)
        media = "application/octet-stream"
        syntax = ds.file_meta.TransferSyntaxUID
        if as_stored and syntax.is_encapsulated:
            media = f"application/octet-stream; transfer-syntax={syntax}"
        base = self.instance_url(instance_row)
        return multipart_response(
            data, media, locations=[f"{base}/frames/{number}" for number in numbers]
        )

    def _wants_as_stored(self) -> bool:
        for media, params in self.accept() or [("*/*", {})]:
            if media in ("*/*", "multipart/*"):
                return False
            if media == "multipart/related" and params.get("type", "application/octet-stream") in (
                "application/octet-stream",
                "*/*",
            ):
                return params.get("transfer-syntax") == "*"
        raise Problem(
            406, 'Frames are given as multipart/related; type="application/octet-stream".'
        )


def _frame_numbers(text: str, ds: Dataset) -> list[int]:
    try:
        return pixels.parse_frames(text, pixels.frame_count(ds))
    except pixels.NoFrames as exc:
        raise not_found(str(exc)) from exc
    except ValueError as exc:
        raise Problem(400, str(exc)) from exc


def rendered_type(view: DicomWebView, param: str = "") -> str:
    """The picture type asked for: ``accept`` query parameter, else the Accept header; JPEG by
    default (PS3.18 8.3.5.1)."""
    if param:
        if param not in pixels.RENDERED_TYPES:
            raise Problem(400, "The rendered image is image/jpeg or image/png.")
        return param
    for media, _params in view.accept() or [("*/*", {})]:
        if media in pixels.RENDERED_TYPES:
            return media
        if media in ("*/*", "image/*"):
            return "image/jpeg"
    raise Problem(406, "Rendered images are given as image/jpeg or image/png.")


def render_response(
    view: DicomWebView, instance: Instance, ds: Dataset, number: int, options: dict[str, str]
) -> HttpResponse:
    try:
        window = pixels.parse_window(options["window"]) if options.get("window") else None
        viewport = pixels.parse_viewport(options["viewport"]) if options.get("viewport") else None
        quality = search._integer("quality", options.get("quality") or "90", low=1, high=100)
    except (ValueError, search.BadSearch) as exc:
        raise Problem(400, str(exc)) from exc
    media = options["media"]
    try:
        data = pixels.render(
            ds, number, media_type=media, window=window, viewport=viewport, quality=quality
        )
    except pixels.NoFrames as exc:
        raise not_found(str(exc)) from exc
    except pixels.CannotDecode as exc:
        raise Problem(406, f"The pixel data cannot be decoded here: {exc}") from exc
    return HttpResponse(data, content_type=media)


RENDER_PARAMS = frozenset({"window", "viewport", "quality", "accept"})


class RenderedView(DicomWebView):
    def get(self, request, study: str, series: str, instance: str, frames: str | None = None):
        study_row, _series_row, instance_row = self.resolve(study, series, instance)
        unknown = set(request.query_params) - RENDER_PARAMS
        if unknown:
            raise Problem(400, f"Unknown parameter {sorted(unknown)[0]!r} for a rendered image.")
        media = rendered_type(self, request.query_params.get("accept", ""))
        ds = archive.read_dataset(instance_row)
        number = _frame_numbers(frames, ds)[0] if frames is not None else 1
        if frames is None and pixels.frame_count(ds) == 0:
            raise not_found("The instance has no pixel data to render.")
        options = {key: request.query_params.get(key, "") for key in RENDER_PARAMS}
        options["media"] = media
        response = render_response(self, instance_row, ds, number, options)
        record_study_read(actor=request.user, study=study_row, channel=CHANNEL)
        return response


# --- WADO-URI (PS3.18 9) --------------------------------------------------------------------

WADO_URI_TYPES = ("application/dicom", "image/jpeg", "image/png")
WADO_URI_PARAMS = frozenset(
    {
        "requestType",
        "studyUID",
        "seriesUID",
        "objectUID",
        "contentType",
        "frameNumber",
        "windowCenter",
        "windowWidth",
        "rows",
        "columns",
        "imageQuality",
        "transferSyntax",
        "charset",
    }
)


class WadoUriView(DicomWebView):
    """``/dicomweb/wado?requestType=WADO&studyUID=…&seriesUID=…&objectUID=…``: one instance, as
    its DICOM file (``contentType=application/dicom``) or as a JPEG/PNG picture."""

    def get(self, request):
        params = request.query_params
        unknown = set(params) - WADO_URI_PARAMS
        if unknown:
            raise Problem(400, f"Unknown WADO parameter {sorted(unknown)[0]!r}.")
        if params.get("requestType") != "WADO":
            raise Problem(400, "requestType must be WADO.")
        missing = [key for key in ("studyUID", "seriesUID", "objectUID") if not params.get(key)]
        if missing:
            raise Problem(400, f"{missing[0]} is required.")
        content_type = _wado_content_type(params.get("contentType", ""))
        _study_row, _series_row, instance_row = self.resolve(
            params["studyUID"], params["seriesUID"], params["objectUID"]
        )
        study_row = instance_row.series.study
        syntax = params.get("transferSyntax", "")
        if content_type == "application/dicom":
            if syntax and syntax not in ("*", instance_row.transfer_syntax_uid):
                raise Problem(
                    406,
                    f"The instance is stored as {instance_row.transfer_syntax_uid}; "
                    "it is given only as stored.",
                )
            data = archive.read_instance(instance_row)
            record_study_read(actor=request.user, study=study_row, channel=CHANNEL)
            response = HttpResponse(data, content_type="application/dicom")
            response["Content-Disposition"] = (
                f'attachment; filename="{instance_row.sop_instance_uid}.dcm"'
            )
            return response
        options = {"media": content_type, "quality": params.get("imageQuality", "")}
        center, width = params.get("windowCenter"), params.get("windowWidth")
        if bool(center) != bool(width):
            raise Problem(400, "windowCenter and windowWidth go together.")
        if center:
            options["window"] = f"{center},{width}"
        rows, columns = params.get("rows"), params.get("columns")
        if rows or columns:
            options["viewport"] = f"{columns or rows},{rows or columns}"
        ds = archive.read_dataset(instance_row)
        number_text = params.get("frameNumber", "1")
        number = _frame_numbers(number_text, ds)[0] if pixels.frame_count(ds) else 1
        response = render_response(self, instance_row, ds, number, options)
        record_study_read(actor=request.user, study=study_row, channel=CHANNEL)
        return response


def _wado_content_type(value: str) -> str:
    if not value:
        return "image/jpeg"
    for item in value.split(","):
        media = item.split(";")[0].strip().lower()
        if media in WADO_URI_TYPES:
            return media
        if media in ("*/*", "image/*"):
            return "image/jpeg"
    raise Problem(400, f"contentType is one of {', '.join(WADO_URI_TYPES)}.")
