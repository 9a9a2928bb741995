"""The resource types the façade serves; each module registers its types with the registry.

New types (ServiceRequest, Task, Appointment, DiagnosticReport, Observation, ImagingStudy) get a
module here and a line in ``register_all``.
"""

from __future__ import annotations

_registered = False


def register_all() -> None:
    global _registered
    if _registered:
        return
    from lianxin.interfaces.fhir.resources import organization, patient, practitioner

    organization.register()
    practitioner.register()
    patient.register()
    _registered = True
