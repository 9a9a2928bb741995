"""The DICOM service: a pynetdicom AE accepting the registered AEs, with the handlers of
verification, storage, the worklist and query/retrieve. ``lianxin dicom`` runs it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from django.db import close_old_connections, connections
from pydicom.dataset import Dataset
from pydicom.uid import AllTransferSyntaxes
from pynetdicom import AE, AllStoragePresentationContexts, build_context, evt
from pynetdicom.sop_class import (
    ModalityWorklistInformationFind,
    PatientRootQueryRetrieveInformationModelFind,
    PatientRootQueryRetrieveInformationModelGet,
    PatientRootQueryRetrieveInformationModelMove,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
    Verification,
)

from lianxin.interfaces.dicom import archive, ingest, query, rules, worklist
from lianxin.interfaces.dicom.scope import ae_access, ae_actor, known_ae
from lianxin.network.models import ApplicationEntity

log = logging.getLogger("lianxin.dicom")
DEFAULT_AE_TITLE = "LIANXIN"
DEFAULT_PORT = 11112


class LianxinAE(AE):
    """An AE whose accepted calling AE titles are the registry's, read at each association
    (an AE switched off in the network pages is refused from its next association on)."""

    @property  # type: ignore[override]
    def require_calling_aet(self) -> list[str]:
        close_old_connections()
        titles = list(
            ApplicationEntity.objects.filter(
                is_active=True, institution__is_active=True
            ).values_list("ae_title", flat=True)
        )
        # An empty list would mean "accept anyone" to pynetdicom: never that.
        return titles or ["\u0000"]

    @require_calling_aet.setter
    def require_calling_aet(self, ae_titles: list[str]) -> None:
        pass


def _entity(event: Any) -> ApplicationEntity | None:
    assoc = event.assoc
    cached = getattr(assoc, "_lianxin_entity", None)
    if cached is None:
        close_old_connections()
        cached = known_ae(assoc.requestor.ae_title)
        assoc._lianxin_entity = cached
    return cached


def handle_echo(event: Any) -> int:
    return 0x0000


def handle_store(event: Any) -> int | Dataset:
    entity = _entity(event)
    if entity is None:
        return rules.STORE_CANNOT_UNDERSTAND
    request = event.request
    try:
        raw = event.encoded_dataset()
        ingest.store(
            raw,
            entity=entity,
            sop_class_uid=str(request.AffectedSOPClassUID),
            sop_instance_uid=str(request.AffectedSOPInstanceUID),
            transfer_syntax_uid=str(event.context.transfer_syntax),
        )
    except ingest.Refused as exc:
        log.warning("C-STORE from %s refused: %s", entity.ae_title, exc.message)
        status = Dataset()
        status.Status = exc.status
        status.ErrorComment = exc.message[:64]
        return status
    except Exception:
        log.exception("C-STORE from %s failed", entity.ae_title)
        return rules.STORE_OUT_OF_RESOURCES
    return rules.STORE_SUCCESS


def _failure(status: int, comment: str) -> Dataset:
    ds = Dataset()
    ds.Status = status
    ds.ErrorComment = comment[:64]
    return ds


def handle_find(event: Any) -> Iterator[tuple[int | Dataset, Dataset | None]]:
    entity = _entity(event)
    if entity is None:
        yield rules.FIND_UNABLE_TO_PROCESS, None
        return
    try:
        identifier = event.identifier
    except Exception:
        yield _failure(rules.FIND_IDENTIFIER_DOES_NOT_MATCH, "cannot decode the identifier"), None
        return
    if event.request.AffectedSOPClassUID == ModalityWorklistInformationFind:
        yield from _worklist(event, entity, identifier)
    else:
        yield from _qr_find(event, entity, identifier)


def _worklist(event: Any, entity: ApplicationEntity, identifier: Dataset):
    try:
        orders = list(worklist.matching_orders(entity, identifier))
    except worklist.BadQuery as exc:
        yield _failure(rules.FIND_IDENTIFIER_DOES_NOT_MATCH, str(exc)), None
        return
    for order in orders:
        if event.is_cancelled:
            yield rules.FIND_CANCELLED, None
            return
        yield rules.FIND_PENDING, worklist.answer(order, identifier, entity)


def _level(identifier: Dataset) -> str:
    return str(identifier.get("QueryRetrieveLevel", "") or "").strip().upper()


def _rows(entity: ApplicationEntity, identifier: Dataset) -> tuple[str, list[Any]]:
    level = _level(identifier)
    keys = query.identifier_keys(identifier)
    access = ae_access(entity)
    if level in ("PATIENT", "STUDY"):
        rows = list(query.studies(access, keys)[: query.MAX_MATCHES])
        if level == "PATIENT":
            seen: dict[str, Any] = {}
            for study in rows:
                seen.setdefault(study.dicom_patient_id, study)
            rows = list(seen.values())
    elif level == "SERIES":
        rows = list(query.series(access, keys)[: query.MAX_MATCHES])
    elif level == "IMAGE":
        rows = list(query.instances(access, keys)[: query.MAX_MATCHES])
    else:
        raise query.BadQuery(f"unknown Query/Retrieve Level {level!r}")
    return level, rows


def _studies_of(rows: list[Any]) -> list[Any]:
    out: dict[int, Any] = {}
    for row in rows:
        study = getattr(row, "study", None) or getattr(getattr(row, "series", None), "study", None)
        study = study or row
        out[study.pk] = study
    return list(out.values())


def _qr_find(event: Any, entity: ApplicationEntity, identifier: Dataset):
    try:
        level, rows = _rows(entity, identifier)
    except query.BadQuery as exc:
        yield _failure(rules.FIND_IDENTIFIER_DOES_NOT_MATCH, str(exc)), None
        return
    query.record_read(
        actor=ae_actor(entity),
        institution_id=entity.institution_id,
        channel="dicom",
        action="interfaces.dicom.find",
        studies_read=_studies_of(rows),
    )
    for row in rows:
        if event.is_cancelled:
            yield rules.FIND_CANCELLED, None
            return
        yield rules.FIND_PENDING, query.find_answer(level, row, identifier)


def _retrieve_instances(entity: ApplicationEntity, identifier: Dataset) -> list[Any]:
    level = _level(identifier)
    keys = query.identifier_keys(identifier)
    access = ae_access(entity)
    if level not in ("PATIENT", "STUDY", "SERIES", "IMAGE"):
        raise query.BadQuery(f"unknown Query/Retrieve Level {level!r}")
    if level == "PATIENT":
        patient_id = keys.get("PatientID", "")
        if not patient_id:
            raise query.BadQuery("a patient-level retrieve needs the Patient ID")
        study_uids = [s.study_uid for s in query.studies(access, {"PatientID": patient_id})]
        keys = {"StudyInstanceUID": "\\".join(study_uids) or "-"}
    elif not keys.get("StudyInstanceUID") and level != "IMAGE":
        raise query.BadQuery("a retrieve needs the Study Instance UID")
    return list(query.instances(access, keys)[: query.MAX_MATCHES * 10])


def _read(instance: Any) -> Dataset:
    return archive.read_dataset(instance)


def _send_instances(entity: ApplicationEntity, rows: list[Any], event: Any, action: str):
    query.record_read(
        actor=ae_actor(entity),
        institution_id=entity.institution_id,
        channel="dicom",
        action=action,
        studies_read=_studies_of(rows),
    )
    for instance in rows:
        if event.is_cancelled:
            yield rules.FIND_CANCELLED, None
            return
        try:
            yield 0xFF00, _read(instance)
        except OSError:
            log.exception("stored file of %s unreadable", instance.sop_instance_uid)
            yield 0xFF00, None


def handle_get(event: Any):
    entity = _entity(event)
    if entity is None:
        yield 0
        return
    try:
        rows = _retrieve_instances(entity, event.identifier)
    except query.BadQuery as exc:
        # One pending "sub-operation" so that pynetdicom sends our failure, not a success.
        yield 1
        yield _failure(rules.RETRIEVE_IDENTIFIER_DOES_NOT_MATCH, str(exc)), None
        return
    yield len(rows)
    yield from _send_instances(entity, rows, event, "interfaces.dicom.get")


def _contexts(rows: list[Any]) -> list[Any]:
    pairs = sorted({(row.sop_class_uid, row.transfer_syntax_uid) for row in rows})
    return [build_context(sop_class, [syntax]) for sop_class, syntax in pairs][:128]


def handle_move(event: Any):
    entity = _entity(event)
    destination = None
    if entity is not None:
        # Only to an AE of the caller's own institution: images do not leave its scope.
        destination = (
            ApplicationEntity.objects.filter(
                ae_title=event.move_destination.strip(),
                institution_id=entity.institution_id,
                is_active=True,
            )
            .exclude(host="")
            .exclude(port__isnull=True)
            .first()
        )
    if destination is None:
        yield None, None
        return
    try:
        rows = _retrieve_instances(entity, event.identifier)
    except query.BadQuery as exc:
        yield destination.host, destination.port, {"contexts": [build_context(Verification)]}
        # One pending "sub-operation" so that pynetdicom sends our failure, not a success.
        yield 1
        yield _failure(rules.RETRIEVE_IDENTIFIER_DOES_NOT_MATCH, str(exc)), None
        return
    contexts = _contexts(rows) or [build_context(Verification)]
    yield destination.host, destination.port, {"contexts": contexts}
    yield len(rows)
    yield from _send_instances(entity, rows, event, "interfaces.dicom.move")


def _close_connections(event: Any) -> None:
    connections.close_all()


def build_ae(ae_title: str = DEFAULT_AE_TITLE) -> AE:
    ae = LianxinAE(ae_title=ae_title)
    ae.maximum_associations = 16
    ae.maximum_pdu_size = 0
    ae.dimse_timeout = 60
    ae.network_timeout = 60
    transfer_syntaxes = list(AllTransferSyntaxes)
    # Storage as SCP for C-STORE; as SCU too, for C-GET, which sends the instances back on the
    # caller's association once it asks for the SCP role (role selection, PS3.7 D.3.3.4).
    for context in AllStoragePresentationContexts:
        ae.add_supported_context(
            context.abstract_syntax, transfer_syntaxes, scu_role=True, scp_role=True
        )
    for sop_class in (
        Verification,
        ModalityWorklistInformationFind,
        StudyRootQueryRetrieveInformationModelFind,
        PatientRootQueryRetrieveInformationModelFind,
        StudyRootQueryRetrieveInformationModelMove,
        PatientRootQueryRetrieveInformationModelMove,
        StudyRootQueryRetrieveInformationModelGet,
        PatientRootQueryRetrieveInformationModelGet,
    ):
        ae.add_supported_context(sop_class)
    return ae


HANDLERS = [
    (evt.EVT_C_ECHO, handle_echo),
    (evt.EVT_C_STORE, handle_store),
    (evt.EVT_C_FIND, handle_find),
    (evt.EVT_C_GET, handle_get),
    (evt.EVT_C_MOVE, handle_move),
    (evt.EVT_RELEASED, _close_connections),
    (evt.EVT_ABORTED, _close_connections),
]


def start(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    ae_title: str = DEFAULT_AE_TITLE,
    *,
    block: bool = True,
) -> Any:
    """Start listening; with ``block=False`` return the server (``server.shutdown()``)."""
    ae = build_ae(ae_title)
    return ae.start_server((host, port), block=block, evt_handlers=HANDLERS)
