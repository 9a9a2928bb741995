"""Frames and rendered images of a stored instance (PS3.18 8.3.5 and 8.3.5.1), with pydicom's
pixel handlers and Pillow."""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.encaps import generate_frames
from pydicom.pixels import apply_modality_lut, apply_voi_lut, pixel_array

RENDERED_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG"}
MAX_VIEWPORT = 4096


class NoFrames(LookupError):
    """The instance has no such frame (or no pixel data at all)."""


class CannotDecode(ValueError):
    """Pixel data in a transfer syntax no installed handler decodes."""


def frame_count(ds: Dataset) -> int:
    if "PixelData" not in ds:
        return 0
    try:
        return int(ds.get("NumberOfFrames", 1) or 1)
    except (TypeError, ValueError):
        return 1


def parse_frames(text: str, count: int) -> list[int]:
    """``1,3,5`` → [1, 3, 5]; ``ValueError`` for anything else; ``NoFrames`` past the end."""
    numbers = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) < 1:
            raise ValueError(f"frame numbers are whole numbers from 1, not {part!r}")
        numbers.append(int(part))
    if not numbers:
        raise ValueError("no frame number")
    if count == 0:
        raise NoFrames("the instance has no pixel data")
    beyond = [n for n in numbers if n > count]
    if beyond:
        raise NoFrames(f"frame {beyond[0]} does not exist: the instance has {count}")
    return numbers


def _native_frame_size(ds: Dataset) -> int:
    bits = int(ds.Rows) * int(ds.Columns) * int(ds.get("SamplesPerPixel", 1))
    return bits * int(ds.BitsAllocated) // 8


def frames_as_stored(ds: Dataset, numbers: list[int]) -> Iterator[bytes]:
    """The frames' bytes in the instance's own transfer syntax (``transfer-syntax=*``)."""
    syntax = ds.file_meta.TransferSyntaxUID
    if not syntax.is_encapsulated:
        yield from frames_native(ds, numbers)
        return
    wanted = set(numbers)
    found: dict[int, bytes] = {}
    for index, frame in enumerate(
        generate_frames(ds.PixelData, number_of_frames=frame_count(ds)), start=1
    ):
        if index in wanted:
            found[index] = frame
    for number in numbers:
        yield found[number]


def frames_native(ds: Dataset, numbers: list[int]) -> Iterator[bytes]:
    """The frames uncompressed, little endian (Explicit VR Little Endian's pixel layout)."""
    syntax = ds.file_meta.TransferSyntaxUID
    if not syntax.is_compressed and syntax.is_little_endian and int(ds.BitsAllocated) % 8 == 0:
        size = _native_frame_size(ds)
        data = ds.PixelData
        for number in numbers:
            yield bytes(data[(number - 1) * size : number * size])
        return
    for number in numbers:
        yield _decoded(ds, number).astype(_little(ds)).tobytes()


def _little(ds: Dataset) -> np.dtype:
    bits = int(ds.BitsAllocated)
    signed = int(ds.get("PixelRepresentation", 0)) == 1
    if bits <= 8:
        return np.dtype("i1" if signed else "u1")
    if bits <= 16:
        return np.dtype("<i2" if signed else "<u2")
    return np.dtype("<i4" if signed else "<u4")


def _decoded(ds: Dataset, number: int) -> np.ndarray:
    try:
        index = number - 1 if frame_count(ds) > 1 else None
        return pixel_array(ds, index=index, raw=True)
    except (NotImplementedError, RuntimeError, ValueError) as exc:
        raise CannotDecode(str(exc)) from exc


def _window(values: np.ndarray, center: float, width: float, function: str) -> np.ndarray:
    width = max(width, 1.0)
    if function == "sigmoid":
        return 255.0 / (1.0 + np.exp(-4.0 * (values - center) / width))
    low = center - 0.5 - (width - 1) / 2
    high = center - 0.5 + (width - 1) / 2
    return np.clip((values - low) / max(high - low, 1e-6) * 255.0, 0, 255)


def render(
    ds: Dataset,
    number: int,
    *,
    media_type: str,
    window: tuple[float, float, str] | None = None,
    viewport: tuple[int, int] | None = None,
    quality: int = 90,
) -> bytes:
    """Frame ``number`` as a JPEG or PNG picture for a screen: the modality LUT, then the given
    window (else the instance's own VOI LUT or window, else its full range)."""
    if frame_count(ds) == 0:
        raise NoFrames("the instance has no pixel data")
    try:
        index = number - 1 if frame_count(ds) > 1 else None
        pixels = pixel_array(ds, index=index)
    except (NotImplementedError, RuntimeError, ValueError) as exc:
        raise CannotDecode(str(exc)) from exc
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    if int(ds.get("SamplesPerPixel", 1)) == 1:
        values = apply_modality_lut(pixels, ds).astype(np.float64)
        if window is not None:
            image = _window(values, *window)
        elif "WindowCenter" in ds or "VOILUTSequence" in ds:
            shown = apply_voi_lut(values, ds).astype(np.float64)
            image = _stretch(shown)
        else:
            image = _stretch(values)
        if photometric == "MONOCHROME1":
            image = 255.0 - image
        picture = Image.fromarray(image.astype(np.uint8), mode="L")
    else:
        scaled = pixels
        if scaled.dtype != np.uint8:
            scaled = _stretch(scaled.astype(np.float64)).astype(np.uint8)
        picture = Image.fromarray(scaled.astype(np.uint8), mode="RGB")
    if viewport is not None:
        picture.thumbnail(viewport, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    kind = RENDERED_TYPES[media_type]
    if kind == "JPEG":
        picture.save(out, kind, quality=quality)
    else:
        picture.save(out, kind)
    return out.getvalue()


def _stretch(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    if high <= low:
        return np.zeros_like(values)
    return (values - low) / (high - low) * 255.0


def parse_window(text: str) -> tuple[float, float, str]:
    """``window=center,width[,linear|sigmoid]`` (PS3.18 8.3.5.1.3)."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) not in (2, 3):
        raise ValueError("window is center,width[,function]")
    try:
        center, width = float(parts[0]), float(parts[1])
    except ValueError as exc:
        raise ValueError("window center and width must be numbers") from exc
    if not (np.isfinite(center) and np.isfinite(width)) or width <= 0:
        raise ValueError("window width must be a positive number")
    function = parts[2].lower() if len(parts) == 3 else "linear"
    if function not in ("linear", "sigmoid"):
        raise ValueError("window function is linear or sigmoid")
    return center, width, function


def parse_viewport(text: str) -> tuple[int, int]:
    """``viewport=width,height`` (the other viewport parameters are not supported)."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError("viewport is width,height in pixels")
    width, height = int(parts[0]), int(parts[1])
    if not (1 <= width <= MAX_VIEWPORT and 1 <= height <= MAX_VIEWPORT):
        raise ValueError(f"viewport width and height are 1 to {MAX_VIEWPORT}")
    return width, height
