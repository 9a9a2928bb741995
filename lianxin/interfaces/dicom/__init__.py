"""Lianxin's DICOM service (pynetdicom): verification, modality worklist, storage, query and
retrieve for the modalities and workstations registered in the network pages, and DICOMweb over
the same index. See docs/interfaces/dicom.md."""
