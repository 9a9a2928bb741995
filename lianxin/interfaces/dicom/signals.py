"""Signals of the DICOM service, for apps that act on what arrives (the ECG analysis of 12-lead
waveforms, for one).

``instance_stored`` is sent once for every newly stored SOP instance, after its transaction has
committed (a duplicate that was already stored sends nothing), with

- ``instance``: the ``interfaces.Instance`` index row (``instance.series.study`` for the study,
  ``instance.file`` for the stored file in Django's storage: ``instance.file.open("rb")``);
- ``sop_class_uid``: the SOP class, e.g. ``"1.2.840.10008.5.1.4.1.1.9.1.1"`` for a 12-lead ECG;
- ``study``: the ``interfaces.Study`` row (linked to its exam order when ``study.order_id``).

Receivers run in the DICOM service's process, in the thread of the association: keep them
short, or enqueue a task. An exception in a receiver is logged and does not undo the storage.
"""

from __future__ import annotations

from django.dispatch import Signal

instance_stored = Signal()
