"""A small grayscale PNG encoder (zlib only), for showing camera frames in the browser without an
imaging library: 8-bit gray, one IDAT, filter 0 on every row."""
from __future__ import annotations

import struct
import zlib

import numpy as np

#: Frames larger than this on a side are shown decimated: the browser shows a picture, not data.
MAX_SIDE = 2048


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def scaled_gray(array: np.ndarray) -> np.ndarray:
    """A 2-D numeric array as uint8, its finite min..max stretched to 0..255 (all 0 when flat or
    when nothing is finite); rows and columns decimated to at most MAX_SIDE."""
    if array.ndim != 2:
        raise ValueError(f"a grayscale image is 2-D, not {array.ndim}-D")
    step_y = max(1, -(-array.shape[0] // MAX_SIDE))
    step_x = max(1, -(-array.shape[1] // MAX_SIDE))
    values = np.asarray(array[::step_y, ::step_x], dtype=np.float64)
    finite = np.isfinite(values)
    if not finite.any():
        return np.zeros(values.shape, dtype=np.uint8)
    low, high = float(values[finite].min()), float(values[finite].max())
    values = np.where(finite, values, low)
    if high <= low:
        return np.zeros(values.shape, dtype=np.uint8)
    return np.round((values - low) * (255.0 / (high - low))).astype(np.uint8)


def encode_gray(pixels: np.ndarray) -> bytes:
    """The PNG file of a 2-D uint8 array."""
    if pixels.ndim != 2 or pixels.dtype != np.uint8:
        raise ValueError("encode_gray takes a 2-D uint8 array")
    height, width = pixels.shape
    if height == 0 or width == 0:
        raise ValueError("a PNG image has at least one pixel")
    rows = np.zeros((height, width + 1), dtype=np.uint8)   # a leading 0: filter type None
    rows[:, 1:] = pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)   # 8-bit gray, no interlace
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + _chunk(b"IEND", b""))


def png_of(array: np.ndarray) -> bytes:
    """A 2-D numeric array as a grayscale PNG, min..max scaled."""
    return encode_gray(scaled_gray(array))
