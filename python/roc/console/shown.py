"""What the console shows of a value: JSON as it is, except big things. A numpy array (an
attachment) or a JSON array of more than BIG_ARRAY elements becomes a summary — shape, dtype,
min, max, mean — and, for a 2-D numeric array, a grayscale PNG served from a small LRU, so a
camera frame reaches the browser as a picture and never as 10,000 numbers."""
from __future__ import annotations

import collections
import itertools
import math
import threading
from typing import Any, Optional

import numpy as np

from .png import png_of

#: A JSON array longer than this is summarized.
BIG_ARRAY = 256
#: How many images are kept to be fetched; older ones answer 404 (the page shows the newer).
IMAGES_KEPT = 16
#: Levels of nesting shown; deeper parts become a summary. A publisher's value may be nested as
#: deep as JSON parsing allows, which would exhaust this recursion's stack.
MAX_DEPTH = 64


class ImageStore:
    """PNG images by number, the IMAGES_KEPT newest; thread-safe."""

    def __init__(self, capacity: int = IMAGES_KEPT) -> None:
        self.capacity = capacity
        self._images: "collections.OrderedDict[int, bytes]" = collections.OrderedDict()
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, png: bytes) -> str:
        """Keeps `png`, dropping the oldest beyond capacity; returns its URL."""
        with self._lock:
            number = next(self._numbers)
            self._images[number] = png
            while len(self._images) > self.capacity:
                self._images.popitem(last=False)
        return f"/api/images/{number}.png"

    def get(self, number: int) -> Optional[bytes]:
        with self._lock:
            png = self._images.get(number)
            if png is not None:
                self._images.move_to_end(number)
            return png


def _number(value: Any) -> Any:
    """A float JSON can carry: NaN and the infinities as the strings wire.py writes."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def summary(array: np.ndarray) -> dict:
    """Shape, dtype and, for numbers, the finite min, max and mean (None when there are none)."""
    out: dict = {"shape": list(array.shape), "dtype": str(array.dtype), "min": None, "max": None, "mean": None}
    if array.dtype.kind in "biuf" and array.size:
        values = array.astype(np.float64) if array.dtype.kind == "b" else array
        finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values.ravel()
        if finite.size:
            low, high = finite.min(), finite.max()
            out["min"] = low.item()
            out["max"] = high.item()
            out["mean"] = float(finite.mean(dtype=np.float64))
    return out


def _big(array: np.ndarray, images: Optional[ImageStore]) -> dict:
    out = {"$summary": summary(array)}
    if images is not None and array.ndim == 2 and array.size and array.dtype.kind in "biuf":
        out["$image"] = images.add(png_of(array))
    return out


def _as_array(items: list) -> Optional[np.ndarray]:
    """A big JSON array as a numeric numpy array when it is one (rectangular numbers), else None."""
    try:
        array = np.asarray(items)
    except (ValueError, TypeError):   # ragged
        return None
    return array if array.dtype.kind in "biuf" else None


def _json_summary(length: int, why: Optional[str] = None) -> dict:
    out: dict = {"shape": [length], "dtype": "json", "min": None, "max": None, "mean": None}
    if why:
        out["why"] = why
    return {"$summary": out}


def shown(value: Any, images: Optional[ImageStore] = None, depth: int = 0) -> Any:
    """`value` as the console shows it (above). Without `images`, 2-D arrays get no $image (status
    values, which change too often to keep pictures of)."""
    if depth > MAX_DEPTH and isinstance(value, (dict, list, tuple)):
        return _json_summary(len(value), f"nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return _number(value.item())
        return _big(value, images)
    if isinstance(value, np.generic):
        return _number(value.item())
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$summary": {"shape": [len(value)], "dtype": "bytes", "min": None, "max": None, "mean": None}}
    if isinstance(value, dict):
        return {str(key): shown(item, images, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        if len(value) > BIG_ARRAY:
            array = _as_array(list(value))
            if array is not None:
                return _big(array, images)
            return _json_summary(len(value))
        return [shown(item, images, depth + 1) for item in value]
    return _number(value)
