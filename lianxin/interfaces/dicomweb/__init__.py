"""DICOMweb (PS3.18) over Lianxin's imaging index: QIDO-RS search, WADO-RS retrieve of instances,
frames, rendered images and metadata, and WADO-URI, under the user's access and audited as
reads of the patient's record. See docs/interfaces/dicom.md."""
