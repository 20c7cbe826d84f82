"""The interface of a Python object as an IDL document (idl/README.md), built from its signatures,
type hints and docstrings, so that it is described to any peer — a C++ proxy made by roc-gen, the
`roc` CLI, a Python ObjectProxy — exactly as a C++ object's is.

`describe(obj)` gives the document `rpc.describe` serves; `Interface.of(obj)` keeps what a server
also needs to dispatch calls: the bound callables, the getters and setters, and the Python hints
behind every IDL type (so that values are converted to and from what the method expects).
"""
from __future__ import annotations

import collections.abc
import dataclasses
import datetime
import enum
import inspect
import json
import logging
import re
import typing
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import types as idl_types
from . import wire
from .context import CallContext

__all__ = ["describe", "method", "signature_of", "signature_text", "Interface", "idl_type_of",
           "RESERVED_NAMES"]

log = logging.getLogger("roc")

# Names every generated proxy has for itself (idl/README.md#method): no method or property may
# take one, or the proxy could not be generated.
RESERVED_NAMES = frozenset({"async", "Async", "handle", "handle_", "signature", "with_timeout"})
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_IDL_WORDS = frozenset(idl_types.SCALARS) | {"void", "json", "bytes"} | set(idl_types.TEMPLATES)
_NUMPY_IDL = {np.dtype(dt).newbyteorder("="): name for name, dt in wire.DTYPES.items()}
_MARK = "__roc_method__"
_UnionType = getattr(__import__("types"), "UnionType", None)  # int | None (3.10+)


def method(function: Optional[Callable] = None) -> Any:
    """Marks a method for export. Once any member of a class is marked, only the marked ones are
    exported as methods, so a driver class can keep helpers public for Python without serving
    them. Use as `@roc.method` or `@roc.method()`."""
    def mark(f: Callable) -> Callable:
        target = f.__func__ if isinstance(f, (staticmethod, classmethod)) else f
        setattr(target, _MARK, True)
        return f
    return mark if function is None else mark(function)


def _is_marked(value: Any) -> bool:
    target = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
    return bool(getattr(target, _MARK, False))


# --- Python type hints → IDL types ---------------------------------------------------------

class _Types:
    """Collects the named types (enums, dataclasses) that hints reach, dependencies first."""

    def __init__(self) -> None:
        self.declared: Dict[str, dict] = {}
        self.classes: Dict[str, type] = {}

    def name_of(self, cls: type) -> str:
        return qualified_name(cls)

    def idl(self, hint: Any, where: str) -> str:
        """The IDL type of a Python hint; TypeError naming `where` when there is none."""
        if hint is inspect.Parameter.empty or hint is typing.Any or hint is object:
            return "json"
        if hint is None or hint is type(None):
            return "void"
        if isinstance(hint, str):
            raise TypeError(f"{where}: the hint '{hint}' cannot be resolved (is its name imported?)")
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin is typing.Union or (_UnionType is not None and origin is _UnionType):
            rest = [a for a in args if a is not type(None)]
            if len(rest) == 1 and len(rest) < len(args):
                inner = self.idl(rest[0], where)
                return inner if inner.startswith("optional<") or inner == "json" else f"optional<{inner}>"
            return "json"  # any of several types: JSON says it as well as anything
        if origin is typing.Annotated:
            return self.idl(args[0], where)
        if origin in (list, collections.abc.Sequence, collections.abc.MutableSequence,
                      collections.abc.Iterable, collections.abc.Collection):
            return f"array<{self.idl(args[0], where) if args else 'json'}>"
        if origin is tuple:
            if not args or (len(args) == 2 and args[1] is Ellipsis):
                return f"array<{self.idl(args[0], where) if args else 'json'}>"
            if args == ((),):
                return "array<json>"
            return "tuple<" + ",".join(self.idl(a, where) for a in args) + ">"
        if origin in (dict, collections.abc.Mapping, collections.abc.MutableMapping):
            if args and args[0] is not str:
                raise TypeError(f"{where}: a dict's keys must be str to be a JSON object (map<T>), "
                                f"not {getattr(args[0], '__name__', args[0])}")
            return f"map<{self.idl(args[1], where) if args else 'json'}>"
        if origin is np.ndarray:
            return f"ndarray<{self._element(args, where)}>"
        if origin is typing.Literal:
            kinds = {type(a) for a in args}
            return self.idl(kinds.pop(), where) if len(kinds) == 1 else "json"
        if origin is not None:
            raise TypeError(f"{where}: no IDL type for the hint {hint!r}")
        if not isinstance(hint, type):
            raise TypeError(f"{where}: no IDL type for the hint {hint!r}")
        if hint is bool or hint is np.bool_:
            return "bool"
        if issubclass(hint, enum.Enum):
            return self._enum(hint)
        if hint is int or (issubclass(hint, int) and not issubclass(hint, np.generic)):
            return "int64"
        if hint is float:
            return "double"
        if hint is str:
            return "string"
        if hint in (bytes, bytearray, memoryview):
            return "bytes"
        if hint is list:
            return "array<json>"
        if hint is tuple:
            return "array<json>"
        if hint is dict:
            return "map<json>"
        if hint is np.ndarray:
            return "ndarray<double>"
        if issubclass(hint, np.generic):
            name = _NUMPY_IDL.get(np.dtype(hint))
            if name is None:
                raise TypeError(f"{where}: no IDL type for numpy's {hint.__name__}")
            return name
        if hint is datetime.timedelta:
            return "duration<double,s>"
        if dataclasses.is_dataclass(hint):
            return self._struct(hint, where)
        raise TypeError(f"{where}: no IDL type for {hint.__qualname__} (use bool, int, float, str, "
                        "bytes, list, tuple, dict[str, T], Optional, numpy arrays, timedelta, an "
                        "Enum or a dataclass; no hint or Any means any JSON)")

    def _element(self, args: tuple, where: str) -> str:
        # numpy.typing.NDArray[np.uint16] is ndarray[Any, dtype[uint16]].
        if len(args) == 2:
            dtype_args = typing.get_args(args[1])
            if dtype_args and isinstance(dtype_args[0], type) and issubclass(dtype_args[0], np.generic):
                name = _NUMPY_IDL.get(np.dtype(dtype_args[0]))
                if name is None:
                    raise TypeError(f"{where}: an ndarray of {dtype_args[0].__name__} has no IDL type "
                                    "(ndarray<T> takes int8 … uint64, float32 or float64)")
                return name
        return "double"

    def _enum(self, cls: type) -> str:
        name = self.name_of(cls)
        self._claim(name, cls)
        if name not in self.declared:
            values = []
            for index, member in enumerate(cls):
                if not _IDENTIFIER.match(member.name):
                    raise TypeError(f"enum {name}: the name '{member.name}' is not an identifier")
                value = member.value if isinstance(member.value, int) and not isinstance(member.value, bool) else index
                values.append({"name": member.name, "value": value})
            decl: dict = {"kind": "enum", "name": name, "values": values}
            doc = _own_doc(cls)
            if doc:
                decl["doc"] = doc
            self.declared[name] = decl
        return name

    def _struct(self, cls: type, where: str) -> str:
        name = self.name_of(cls)
        self._claim(name, cls)
        if name not in self.declared:
            self.declared[name] = {}  # placeholder: a recursive dataclass refers to itself
            hints = _hints(cls)
            fields = []
            for field in dataclasses.fields(cls):
                if not _IDENTIFIER.match(field.name):
                    raise TypeError(f"struct {name}: the field '{field.name}' is not an identifier")
                fields.append({"name": field.name,
                               "type": self.idl(hints.get(field.name, field.type), f"field {name}.{field.name}")})
            decl: dict = {"kind": "struct", "name": name, "fields": fields}
            doc = _own_doc(cls)
            if doc:
                decl["doc"] = doc
            del self.declared[name]
            self.declared[name] = decl  # after its fields' types: dependencies before users
        return name

    def _claim(self, name: str, cls: type) -> None:
        other = self.classes.setdefault(name, cls)
        if other is not cls:
            raise TypeError(f"two types are both named {name} ({other!r} and {cls!r}): give one a "
                            "__roc_name__")
        if name in _IDL_WORDS:
            raise TypeError(f"the type {cls.__qualname__} takes the name '{name}', which the IDL reserves: "
                            "give it a __roc_name__ such as 'lab::Mode'")


def qualified_name(cls: type) -> str:
    """`module.sub.Class` as `module::sub::Class` (a valid C++ qualified name, the namespace of
    the proxy roc-gen makes); a `__roc_name__` on the class wins. `__main__` is left out."""
    explicit = cls.__dict__.get("__roc_name__")
    if explicit:
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*$", explicit):
            raise ValueError(f"__roc_name__ '{explicit}' of {cls.__qualname__} is not a qualified C++ name")
        return explicit
    parts = [] if cls.__module__ in ("__main__", "builtins", None) else cls.__module__.split(".")
    parts += cls.__qualname__.replace("<locals>", "locals").split(".")
    clean = []
    for part in parts:
        part = re.sub(r"[^A-Za-z0-9_]", "_", part)
        if not part or part[0].isdigit():
            part = "_" + part
        clean.append(part)
    return "::".join(clean)


def idl_type_of(hint: Any) -> str:
    """The IDL type of one Python hint (named types are not collected)."""
    return _Types().idl(hint, "hint")


def _is_context(hint: Any) -> bool:
    """Whether a parameter's hint asks for the roc.CallContext (also as an unresolved string)."""
    if isinstance(hint, str):
        return hint in ("CallContext", "roc.CallContext", "roc.context.CallContext")
    return isinstance(hint, type) and issubclass(hint, CallContext)


def _hints(target: Any) -> Dict[str, Any]:
    try:
        return typing.get_type_hints(target)
    except Exception:  # a hint naming something not importable here: fall back to what is there
        raw = getattr(target, "__annotations__", {}) or {}
        return {k: v for k, v in raw.items()}


def _own_doc(cls: type) -> Optional[str]:
    doc = cls.__dict__.get("__doc__")
    if not doc or (dataclasses.is_dataclass(cls) and doc.startswith(cls.__name__ + "(")):
        return None  # dataclasses write a signature as the doc; enums inherit Enum's
    if issubclass(cls, enum.Enum) and doc == enum.Enum.__doc__:
        return None
    return inspect.cleandoc(doc)


def _jsonable(value: Any, depth: int = 0) -> bool:
    if depth > 32:
        return False
    if value is None or isinstance(value, (bool, int, str)):
        return True
    if isinstance(value, float):
        return True
    if isinstance(value, enum.Enum):
        return True
    if isinstance(value, (list, tuple)):
        return all(_jsonable(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _jsonable(v, depth + 1) for k, v in value.items())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return True
    if isinstance(value, (np.ndarray, np.generic)):
        return np.dtype(value.dtype).newbyteorder("=") in _NUMPY_IDL or value.dtype == np.bool_
    if isinstance(value, (bytes, datetime.timedelta)):
        return True
    return False


def _value_hint(value: Any) -> Any:
    """A hint for an unannotated attribute, from its current value."""
    if isinstance(value, bool):
        return bool
    if isinstance(value, (int, float, str, bytes, np.ndarray, np.generic, datetime.timedelta, enum.Enum)):
        return type(value)
    if dataclasses.is_dataclass(value):
        return type(value)
    return typing.Any  # None, lists and dicts of anything: json


# --- the interface ------------------------------------------------------------------------

@dataclasses.dataclass
class Param:
    name: str
    kind: Any                  # inspect.Parameter kind
    hint: Any
    type: str                  # IDL
    has_default: bool
    default: Any


@dataclasses.dataclass
class Method:
    name: str
    function: Callable         # bound to the object
    params: List[Param]
    returns_hint: Any
    returns: str               # IDL
    doc: Optional[str]
    context: Optional[str] = None   # the parameter the server fills with the roc.CallContext


@dataclasses.dataclass
class Property:
    name: str
    hint: Any
    type: str
    readonly: bool
    getter: Callable[[], Any]
    setter: Optional[Callable[[Any], None]]
    doc: Optional[str]


class Interface:
    """What one object exports: its methods and properties, their hints and IDL types, and the
    IDL document describing them."""

    def __init__(self, obj: Any, methods: Optional[Sequence[str]] = None,
                 properties: Optional[Sequence[str]] = None) -> None:
        self.obj = obj
        self.cls = type(obj)
        self.name = qualified_name(self.cls)
        self._types = _Types()
        self.methods: Dict[str, Method] = {}
        self.properties: Dict[str, Property] = {}
        self._collect(methods, properties)
        self.document = self._document()
        self.signature = self.document["objects"][0]["signature"]
        self.idl_types = {t["name"]: t for t in self.document["types"]}
        self.classes = dict(self._types.classes)

    @classmethod
    def of(cls, obj: Any, methods: Optional[Sequence[str]] = None,
           properties: Optional[Sequence[str]] = None) -> "Interface":
        return cls(obj, methods, properties)

    # -- which members

    def _members(self) -> List[Tuple[str, Any]]:
        """(name, the class attribute) in definition order, the object's own class first."""
        seen: Dict[str, Any] = {}
        for klass in self.cls.__mro__:
            if klass.__module__ == "builtins":
                continue  # object, dict, list...: their methods are not the device's interface
            for name, value in klass.__dict__.items():
                seen.setdefault(name, value)
        return list(seen.items())

    def _collect(self, wanted_methods: Optional[Sequence[str]], wanted_properties: Optional[Sequence[str]]) -> None:
        members = self._members()
        class_attrs = dict(members)
        explicit_methods = set(wanted_methods) if wanted_methods is not None else None
        explicit_properties = set(wanted_properties) if wanted_properties is not None else None
        marked = any(_is_marked(v) for _, v in members)

        method_names: List[str] = []
        property_names: List[str] = []
        for name, value in members:
            if isinstance(value, property):
                property_names.append(name)
            elif isinstance(value, (staticmethod, classmethod)) or inspect.isfunction(value) or (
                    callable(value) and not isinstance(value, type)):
                method_names.append(name)
        # Public instance attributes and annotated class attributes with a JSON-able value.
        attributes: List[str] = []
        try:
            own = list(vars(self.obj))
        except TypeError:
            own = []
        annotations = _hints(self.cls) if not isinstance(self.obj, type) else {}
        for name in own + [n for n in annotations if n not in own]:
            if name in class_attrs and (isinstance(class_attrs[name], property) or callable(class_attrs[name])):
                continue
            if name in attributes or not hasattr(self.obj, name):
                continue
            value = getattr(self.obj, name)
            if callable(value) and not isinstance(value, (np.ndarray, type)) or isinstance(value, type):
                continue
            attributes.append(name)

        def exported(name: str, explicit: Optional[set], extra_ok: bool = True) -> bool:
            if explicit is not None:
                return name in explicit
            return not name.startswith("_") and extra_ok

        if explicit_methods is not None:
            unknown = explicit_methods - set(method_names)
            if unknown:
                raise ValueError(f"{self.name} has no method {', '.join(sorted(unknown))} to export")
        if explicit_properties is not None:
            unknown = explicit_properties - set(property_names) - set(attributes)
            if unknown:
                raise ValueError(f"{self.name} has no property or attribute {', '.join(sorted(unknown))} "
                                 "to export")

        for name in method_names:
            value = class_attrs[name]
            if explicit_methods is None and marked and not _is_marked(value):
                continue
            if not exported(name, explicit_methods):
                continue
            explicit = explicit_methods is not None or _is_marked(value)
            if not self._name_ok(name, "method", explicit):
                continue
            self.methods[name] = self._method(name)
        for name in property_names + attributes:
            if not exported(name, explicit_properties):
                continue
            if name in property_names:
                prop = self._property(name, class_attrs[name])
            else:
                value = getattr(self.obj, name)
                if explicit_properties is None and not _jsonable(value):
                    continue
                prop = self._attribute(name, annotations.get(name))
            if not self._name_ok(name, "property", explicit_properties is not None):
                continue
            self.properties[name] = prop
        # The proxy spells a writable property as name() and set_name(value): a method
        # set_name next to it would clash, so the method keeps that name and the property
        # is exported read-only (set it through the method).
        for name, prop in list(self.properties.items()):
            if not prop.readonly and "set_" + name in self.methods:
                if explicit_properties is not None and explicit_methods is not None:
                    raise ValueError(f"{self.name}: method 'set_{name}' clashes with the C++ proxy's "
                                     f"setter of property '{name}'; leave one out")
                log.debug("roc: %s.%s is exported read-only: the method set_%s sets it", self.name, name, name)
                prop.readonly = True
                prop.setter = None

    def _name_ok(self, name: str, kind: str, explicit: bool) -> bool:
        problem = None
        if not _IDENTIFIER.match(name):
            problem = "is not an ASCII identifier"
        elif name in RESERVED_NAMES:
            problem = ("is a member every generated proxy has (async, Async, handle, handle_, "
                       "signature, with_timeout)")
        elif name == "return":
            problem = "is reserved"
        if problem is None:
            return True
        if explicit:
            raise ValueError(f"{self.name}: the {kind} name '{name}' {problem}; rename it")
        log.warning("roc: %s: %s '%s' is not exported: its name %s", self.name, kind, name, problem)
        return False

    def _method(self, name: str) -> Method:
        function = getattr(self.obj, name)
        where = f"{self.name}.{name}"
        try:
            signature = inspect.signature(function)
        except (TypeError, ValueError) as error:
            raise TypeError(f"{where}: cannot read its signature ({error})") from None
        hints = _hints(function)
        params: List[Param] = []
        context: Optional[str] = None
        for p in signature.parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue  # *args / **kwargs have no place in a fixed interface
            hint = hints.get(p.name, p.annotation)
            if _is_context(hint):
                # Filled in by the server, not sent: passed by name, so it may sit anywhere.
                if p.kind == p.POSITIONAL_ONLY:
                    raise TypeError(f"{where}: the roc.CallContext parameter '{p.name}' is positional-only; "
                                    "the server passes it by name")
                if context is not None:
                    raise TypeError(f"{where}: two roc.CallContext parameters ('{context}', '{p.name}')")
                context = p.name
                continue
            if p.name == "return" or not _IDENTIFIER.match(p.name):
                raise TypeError(f"{where}: the parameter name '{p.name}' cannot travel (not an identifier)")
            type_ = self._types.idl(hint, f"parameter '{p.name}' of {where}")
            if type_ == "void":
                raise TypeError(f"parameter '{p.name}' of {where}: None is no parameter type")
            has_default = p.default is not inspect.Parameter.empty
            if has_default and p.default is None and type_ != "json" and not type_.startswith("optional<"):
                type_ = f"optional<{type_}>"  # `x: float = None` takes null
            params.append(Param(p.name, p.kind, hint, type_, has_default, p.default))
        returns_hint = hints.get("return", signature.return_annotation)
        returns = self._types.idl(returns_hint, f"result of {where}")
        return Method(name, function, params, returns_hint, returns, inspect.getdoc(function), context)

    def _property(self, name: str, prop: property) -> Property:
        hint = _hints(prop.fget).get("return", inspect.Parameter.empty) if prop.fget else inspect.Parameter.empty
        type_ = self._types.idl(hint, f"property {self.name}.{name}")
        if type_ == "void":
            type_ = "json"
        obj = self.obj
        setter = (lambda value: setattr(obj, name, value)) if prop.fset is not None else None
        doc = inspect.cleandoc(prop.__doc__) if prop.__doc__ else None
        return Property(name, hint, type_, prop.fset is None, lambda: getattr(obj, name), setter, doc)

    def _attribute(self, name: str, hint: Any) -> Property:
        obj = self.obj
        if hint is None or typing.get_origin(hint) is typing.ClassVar:
            hint = _value_hint(getattr(obj, name))
        value = getattr(obj, name)
        if hint is np.ndarray and isinstance(value, np.ndarray) and \
                np.dtype(value.dtype).newbyteorder("=") in _NUMPY_IDL:
            type_ = f"ndarray<{_NUMPY_IDL[np.dtype(value.dtype).newbyteorder('=')]}>"  # its own dtype
        else:
            type_ = self._types.idl(hint, f"attribute {self.name}.{name}")
        if type_ == "void":
            type_ = "json"
        return Property(name, hint, type_, False, lambda: getattr(obj, name),
                        lambda value: setattr(obj, name, value), None)

    # -- the document

    def _document(self) -> dict:
        methods = []
        for m in self.methods.values():
            params = []
            for p in m.params:
                entry: dict = {"name": p.name, "type": p.type}
                if p.has_default:
                    default = _default_json(p.default, p.type, self._types.declared)
                    if default is not _NO_DEFAULT:
                        entry["default"] = default
                params.append(entry)
            entry = {"name": m.name, "params": params, "returns": m.returns}
            if m.context is not None:
                # A method that takes the context may report progress and may stop on a cancel
                # (idl/README.md); neither changes how a call is encoded, so the signature ignores them.
                entry["progress"] = True
                entry["cancellable"] = True
            if m.doc:
                entry["doc"] = m.doc
            methods.append(entry)
        properties = []
        for p in self.properties.values():
            entry = {"name": p.name, "type": p.type, "readonly": p.readonly}
            if p.doc:
                entry["doc"] = p.doc
            properties.append(entry)
        obj: dict = {"name": self.name, "signature": "", "methods": methods, "properties": properties}
        doc = _own_doc(self.cls)
        if doc:
            obj["doc"] = doc
        types = [t for t in self._types.declared.values() if t]
        document: dict = {"roc_idl": 1}
        try:
            source = inspect.getsourcefile(self.cls)
        except TypeError:  # defined interactively
            source = None
        if source:
            document["source"] = source.replace("\\", "/").rsplit("/", 1)[-1]  # file name only
        document.update(objects=[obj], types=types)
        obj["signature"] = signature_of(obj, types)
        return document


_NO_DEFAULT = object()


def _default_json(value: Any, type_text: str, declared: Dict[str, dict]) -> Any:
    """The JSON of a Python default, or _NO_DEFAULT when it has none (an object, an array)."""
    if not _jsonable(value) or isinstance(value, (np.ndarray, bytes)):
        return _NO_DEFAULT
    try:
        converted = idl_types.to_wire(value, idl_types.parse(type_text), declared)
        if isinstance(converted, np.ndarray):
            converted = converted.tolist()
        text = wire.dumps(converted)
        return json.loads(text)
    except (TypeError, ValueError):
        return _NO_DEFAULT


# --- signature (idl/README.md#signature) --------------------------------------------------

def signature_text(obj: dict, types: Sequence[dict]) -> str:
    """The canonical text the signature hashes, line by line as the C++ model writes it."""
    by_name = {t["name"]: t for t in types}
    named: set = set()

    def canonical(text: str) -> str:
        parsed = idl_types.parse(text)
        collect(parsed)
        return str(parsed)

    def collect(t: idl_types.Type) -> None:
        if t.kind == "named" and t.name not in named:
            named.add(t.name)
            for field in by_name.get(t.name, {}).get("fields", []):
                collect(idl_types.parse(field["type"]))
        for arg in t.args:
            collect(arg)

    lines = []
    for m in obj.get("methods", []):
        params = ",".join((f"inout {p['name']}:" if p.get("inout") else "") + canonical(p["type"])
                          for p in m.get("params", []))
        lines.append(f"method {m['name']}({params})->{canonical(m['returns'])}")
    for p in obj.get("properties", []):
        lines.append(f"property {p['name']}:{canonical(p['type'])}{' readonly' if p.get('readonly') else ''}")
    # std::sort on std::string compares bytes: sort the UTF-8 encodings, not code points.
    lines.sort(key=lambda line: line.encode("utf-8"))
    text = f"object {obj['name']}\n" + "".join(line + "\n" for line in lines)
    for name in sorted(named, key=lambda n: n.encode("utf-8")):
        decl = by_name.get(name)
        if decl is None:
            continue
        if decl["kind"] == "struct":
            text += f"struct {name}{{" + "".join(
                f"{f['name']}:{str(idl_types.parse(f['type']))};" for f in decl.get("fields", [])) + "}\n"
        elif decl["kind"] == "enum":
            text += f"enum {name}{{" + "".join(f"{v['name']};" for v in decl.get("values", [])) + "}\n"
        else:
            text += f"external {name}\n"
    return text


def signature_of(obj: dict, types: Sequence[dict]) -> str:
    """The 64-bit FNV-1a hash of signature_text, as 16 lowercase hex digits."""
    h = 14695981039346656037
    for byte in signature_text(obj, types).encode("utf-8"):
        h ^= byte
        h = (h * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def describe(obj: Any, *, methods: Optional[Sequence[str]] = None,
             properties: Optional[Sequence[str]] = None) -> dict:
    """The IDL document (idl/README.md) of what a roc.Server would export of `obj`: `roc_idl` 1,
    the one object (named `module::Class`), its methods and properties, and the enums and structs
    (dataclasses) their types reach. Raises TypeError/ValueError naming a member that cannot be
    exported as asked."""
    return Interface(obj, methods, properties).document
