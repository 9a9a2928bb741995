"""12-lead ECGs: waveform files (DICOM 12-lead waveform, WFDB), automated measurements
(neurokit2), the standard-grid tracing (SVG, also in the PDF) and the reader's confirmation of
a proposed critical result."""
