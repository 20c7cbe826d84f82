"""IDL types (idl/README.md#types) and converting Python values to and from them.

A value crossing the wire has an IDL type; `rpc.describe` says which. Going out, `to_wire` makes
a Python value into what the peer decodes for that type (numpy arrays of the declared element
type, so they can travel as attachments; enum names; structs as dicts). Coming in, `from_wire`
gives the Python form of a type whichever way it travelled: an `array<uint16>` or
`ndarray<uint16>` is a numpy array whether it came as JSON or as an attachment, `bytes` is bytes.
"""
from __future__ import annotations

import base64
import dataclasses
import datetime
import enum
import math
import re
from functools import lru_cache
from typing import Any, Dict, Mapping, Optional, Tuple

import numpy as np

from .wire import DTYPES

__all__ = ["Type", "parse", "to_wire", "from_wire", "numbers", "NUMERIC", "SCALARS", "UNITS", "NON_FINITE"]

NUMERIC = tuple(DTYPES)
SCALARS = ("bool", "string") + NUMERIC
UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0}
TEMPLATES = ("array", "map", "optional", "tuple", "duration", "ndarray")


@dataclasses.dataclass(frozen=True)
class Type:
    """A parsed IDL type: `kind` is a scalar name, `void`, `json`, `bytes`, one of TEMPLATES, or
    `named` (a struct, enum or external type; `name` holds it)."""

    kind: str
    args: Tuple["Type", ...] = ()
    size: Optional[int] = None   # array<T,N>
    name: str = ""               # named types; duration: its unit

    def __str__(self) -> str:
        if self.kind == "named":
            return self.name
        if self.kind == "duration":
            return f"duration<{self.args[0]},{self.name}>"
        if self.kind == "array" and self.size is not None:
            return f"array<{self.args[0]},{self.size}>"
        if self.args:
            return f"{self.kind}<{','.join(str(a) for a in self.args)}>"
        return self.kind

    @property
    def numeric_array(self) -> bool:
        """Whether values of this type are numpy arrays in Python (and may be attachments)."""
        return self.kind in ("array", "ndarray") and self.args[0].kind in NUMERIC


_TOKEN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_:]*|\d+|[<>,])")


@lru_cache(maxsize=4096)
def parse(text: str) -> Type:
    """Parses an IDL type string; raises ValueError naming it when it is not one."""
    tokens = _TOKEN.findall(text)
    if "".join(tokens) != re.sub(r"\s+", "", text):
        raise ValueError(f"not an IDL type: '{text}'")
    position = 0

    def peek() -> str:
        return tokens[position] if position < len(tokens) else ""

    def take(expected: Optional[str] = None) -> str:
        nonlocal position
        if position >= len(tokens) or (expected is not None and tokens[position] != expected):
            raise ValueError(f"not an IDL type: '{text}' (expected {expected or 'more'})")
        position += 1
        return tokens[position - 1]

    def one() -> Type:
        word = take()
        if word in TEMPLATES:
            take("<")
            if word == "duration":
                rep = one()
                take(",")
                unit = take()
                if rep.kind not in NUMERIC or unit not in UNITS:
                    raise ValueError(f"not an IDL type: '{text}' (duration<numeric,unit>)")
                result = Type("duration", (rep,), name=unit)
            else:
                args = [one()]
                size = None
                while peek() == "," and size is None:
                    take(",")
                    if word == "array" and peek().isdigit():
                        size = int(take())
                    else:
                        args.append(one())
                if word in ("array", "map", "optional", "ndarray") and len(args) != 1:
                    raise ValueError(f"not an IDL type: '{text}' ({word} takes one type)")
                if word == "ndarray" and args[0].kind not in NUMERIC:
                    raise ValueError(f"not an IDL type: '{text}' (ndarray of a number)")
                result = Type(word, tuple(args), size)
            take(">")
            return result
        if word in SCALARS or word in ("void", "json", "bytes"):
            return Type(word)
        if word[0].isdigit():
            raise ValueError(f"not an IDL type: '{text}'")
        return Type("named", name=word)

    result = one()
    if position != len(tokens):
        raise ValueError(f"not an IDL type: '{text}' (unexpected '{tokens[position]}')")
    return result


def _named(types: Optional[Mapping[str, dict]], name: str) -> Optional[dict]:
    return types.get(name) if types else None


def to_wire(value: Any, type_: Type, types: Optional[Mapping[str, dict]] = None) -> Any:
    """`value` as the peer decodes `type_`: numeric arrays as contiguous numpy arrays of the
    declared element type (they may travel as attachments), enums by name, dataclasses as dicts,
    timedeltas in the duration's unit. Raises TypeError/ValueError naming what does not fit."""
    kind = type_.kind
    if value is None or kind in ("json", "void", "bool", "string"):
        return value
    if kind in NUMERIC:
        if isinstance(value, enum.Enum):
            value = value.value
        return value.item() if isinstance(value, np.generic) else value
    if type_.numeric_array:
        dtype = DTYPES[type_.args[0].kind]
        array = np.ascontiguousarray(value, dtype=dtype)
        if kind == "array" and array.ndim != 1:
            raise ValueError(f"{type_} takes a flat sequence, not one of shape {list(array.shape)}")
        return array
    if kind == "bytes":
        return value.encode("utf-8") if isinstance(value, str) else value
    if kind == "array":
        return [to_wire(item, type_.args[0], types) for item in value]
    if kind == "tuple":
        return [to_wire(item, arg, types) for item, arg in zip(value, type_.args)]
    if kind == "map":
        return {key: to_wire(item, type_.args[0], types) for key, item in value.items()}
    if kind == "optional":
        return to_wire(value, type_.args[0], types)
    if kind == "ndarray":
        return np.asarray(value)
    if kind == "duration":
        if isinstance(value, datetime.timedelta):
            value = value.total_seconds() / UNITS[type_.name]
            return round(value) if type_.args[0].kind not in ("float", "double") else value
        return value
    # named
    if isinstance(value, enum.Enum):
        return value.name
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    described = _named(types, type_.name)
    if described and described.get("kind") == "struct" and isinstance(value, Mapping):
        fields = {f["name"]: parse(f["type"]) for f in described.get("fields", [])}
        return {key: to_wire(item, fields[key], types) if key in fields else item for key, item in value.items()}
    return value


def from_wire(value: Any, type_: Type, types: Optional[Mapping[str, dict]] = None) -> Any:
    """The Python form of a received value of `type_` (see the module's doc). Values that do not
    have the declared shape are returned as they came: the peer's decoder is the judge."""
    kind = type_.kind
    if value is None or kind in ("json", "void", "bool", "string"):
        return value
    try:
        if kind in ("float", "double"):
            return float(NON_FINITE.get(value, value)) if isinstance(value, (str, int, float)) else value
        if kind in NUMERIC:
            return value
        if type_.numeric_array:
            dtype = DTYPES[type_.args[0].kind]
            if isinstance(value, np.ndarray):
                return value if value.dtype == dtype else value.astype(dtype)
            return np.array(numbers(value), dtype=dtype)
        if kind == "bytes":
            if isinstance(value, str):
                return base64.b64decode(value, validate=True)
            if isinstance(value, np.ndarray):
                return value.tobytes()
            return value
        if kind == "array":
            return [from_wire(item, type_.args[0], types) for item in value]
        if kind == "tuple":
            return tuple(from_wire(item, arg, types) for item, arg in zip(value, type_.args))
        if kind == "map":
            return {key: from_wire(item, type_.args[0], types) for key, item in value.items()}
        if kind == "optional":
            return from_wire(value, type_.args[0], types)
        if kind == "duration":
            return value
        described = _named(types, type_.name)
        if described and described.get("kind") == "struct" and isinstance(value, dict):
            fields = {f["name"]: parse(f["type"]) for f in described.get("fields", [])}
            return {key: from_wire(item, fields[key], types) if key in fields else item
                    for key, item in value.items()}
    except (TypeError, ValueError, AttributeError):
        return value
    return value


# How JSON spells the floats it has no numbers for (PROTOCOL.md §3).
NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def numbers(value: Any) -> Any:
    """Nested lists with the non-finite spellings (§3: "NaN", "Infinity", "-Infinity") read back
    as floats."""
    if isinstance(value, list):
        return [numbers(item) for item in value]
    return NON_FINITE.get(value, value) if isinstance(value, str) else value


def types_by_name(document: Mapping[str, Any]) -> Dict[str, dict]:
    """The named types of an IDL document, by name."""
    return {t["name"]: t for t in document.get("types", [])}
