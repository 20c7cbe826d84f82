"""roc.describe: what is exported of a Python object, and which IDL type each hint becomes."""
import dataclasses
import datetime
import enum
import logging
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import numpy.typing as npt
import pytest

import roc
from roc.describe import idl_type_of, signature_of, signature_text


class Mode(enum.Enum):
    fast = 1
    slow = 2


@dataclasses.dataclass
class Roi:
    """A region."""
    x: int
    y: int
    mode: Mode = Mode.fast


@dataclasses.dataclass
class Scan:
    rois: List[Roi]
    label: Optional[str] = None


@pytest.mark.parametrize("hint, idl", [
    (bool, "bool"), (int, "int64"), (float, "double"), (str, "string"), (bytes, "bytes"),
    (list, "array<json>"), (List[int], "array<int64>"), (list[float], "array<double>"),
    (Sequence[str], "array<string>"), (tuple[int, str], "tuple<int64,string>"),
    (Tuple[float, ...], "array<double>"), (dict[str, float], "map<double>"), (Dict[str, List[int]], "map<array<int64>>"),
    (Optional[int], "optional<int64>"), (int | None, "optional<int64>"), (Optional[Any], "json"),
    (np.ndarray, "ndarray<double>"), (npt.NDArray[np.uint16], "ndarray<uint16>"), (npt.NDArray[np.float32], "ndarray<float>"),
    (np.int32, "int32"), (datetime.timedelta, "duration<double,s>"), (Any, "json"), (None, "void"),
    (int | str, "json"),
])
def test_python_hints_become_idl_types(hint, idl):
    assert idl_type_of(hint) == idl


@pytest.mark.parametrize("hint", [dict[int, str], set, complex])
def test_hints_without_an_idl_type_are_refused_naming_them(hint):
    with pytest.raises(TypeError, match="hint|keys must be str"):
        idl_type_of(hint)


class Camera:
    """A camera."""

    def __init__(self) -> None:
        self.gain = 1.5
        self.name = "cam"
        self.tags = ["a"]
        self.port = object()          # not JSON: not exported
        self._secret = 1
        self.callback = print         # callable: not a property

    @property
    def temperature(self) -> float:
        """Sensor temperature."""
        return 21.0

    @property
    def exposure(self) -> datetime.timedelta:
        return datetime.timedelta(milliseconds=self._secret)

    @exposure.setter
    def exposure(self, value: datetime.timedelta) -> None:
        self._secret = value

    def grab(self, count: int = 1, roi: Optional[Roi] = None, mode: Mode = Mode.slow) -> npt.NDArray[np.uint16]:
        """Grabs `count` frames."""
        return np.zeros(count, np.uint16)

    def configure(self, scan: Scan, *args, verbose: bool = False, **kwargs) -> Dict[str, Any]:
        return {}

    def reset(self) -> None:
        pass

    def _private(self) -> None:
        pass

    @staticmethod
    def version() -> str:
        return "1"


def test_public_methods_properties_and_attributes_are_exported():
    document = roc.describe(Camera())
    obj = document["objects"][0]
    assert obj["name"] == "test_server_describe::Camera" and obj["doc"] == "A camera."
    methods = {m["name"]: m for m in obj["methods"]}
    assert list(methods) == ["grab", "configure", "reset", "version"]
    assert methods["grab"] == {
        "name": "grab", "returns": "ndarray<uint16>", "doc": "Grabs `count` frames.",
        "params": [{"name": "count", "type": "int64", "default": 1},
                   {"name": "roi", "type": "optional<test_server_describe::Roi>", "default": None},
                   {"name": "mode", "type": "test_server_describe::Mode", "default": "slow"}]}
    assert [p["name"] for p in methods["configure"]["params"]] == ["scan", "verbose"]  # no *args/**kwargs
    assert methods["configure"]["returns"] == "map<json>" and methods["reset"]["returns"] == "void"
    properties = {p["name"]: p for p in obj["properties"]}
    assert properties["temperature"] == {"name": "temperature", "type": "double", "readonly": True,
                                         "doc": "Sensor temperature."}
    assert properties["exposure"]["type"] == "duration<double,s>" and not properties["exposure"]["readonly"]
    assert properties["gain"]["type"] == "double" and properties["name"]["type"] == "string"
    assert properties["tags"]["type"] == "json"
    assert set(properties) == {"temperature", "exposure", "gain", "name", "tags"}
    # Named types reached from parameters, dependencies first.
    assert [t["name"] for t in document["types"]] == ["test_server_describe::Mode", "test_server_describe::Roi",
                                                      "test_server_describe::Scan"]
    assert document["types"][0]["values"] == [{"name": "fast", "value": 1}, {"name": "slow", "value": 2}]
    assert document["types"][1]["fields"][2] == {"name": "mode", "type": "test_server_describe::Mode"}


def test_the_methods_and_properties_lists_narrow_the_export():
    obj = roc.describe(Camera(), methods=["grab"], properties=["gain"])["objects"][0]
    assert [m["name"] for m in obj["methods"]] == ["grab"] and [p["name"] for p in obj["properties"]] == ["gain"]
    with pytest.raises(ValueError, match="no method fly"):
        roc.describe(Camera(), methods=["fly"])


def test_once_a_method_is_marked_only_marked_methods_are_exported():
    class Driver:
        @roc.method
        def open(self) -> None:
            pass

        @roc.method()
        def close(self) -> None:
            pass

        def helper(self) -> None:
            pass

    assert [m["name"] for m in roc.describe(Driver())["objects"][0]["methods"]] == ["open", "close"]


def test_names_every_proxy_reserves_are_skipped_or_refused(caplog):
    class Clashing:
        def handle(self) -> None:
            pass

        def signature(self) -> str:
            return ""

        def ok(self) -> None:
            pass

    with caplog.at_level(logging.WARNING, logger="roc"):
        obj = roc.describe(Clashing())["objects"][0]
    assert [m["name"] for m in obj["methods"]] == ["ok"]
    assert "'handle' is not exported" in caplog.text
    with pytest.raises(ValueError, match="'signature' is a member every generated proxy has"):
        roc.describe(Clashing(), methods=["signature"])


def test_a_setter_method_next_to_a_writable_attribute_makes_it_read_only():
    class Motor:
        def __init__(self) -> None:
            self.speed = 1.0

        def set_speed(self, value: float) -> None:
            self.speed = value

    obj = roc.describe(Motor())["objects"][0]
    assert obj["properties"] == [{"name": "speed", "type": "double", "readonly": True}]


def test_the_signature_follows_the_idl_readme_text():
    obj = {"name": "lab::M", "methods": [
        {"name": "b", "params": [{"name": "x", "type": "array< int32 , 3 >"}], "returns": "lab::S"},
        {"name": "a", "params": [{"name": "s", "type": "string", "inout": True}], "returns": "void"}],
        "properties": [{"name": "p", "type": "double", "readonly": True}]}
    types = [{"kind": "enum", "name": "lab::E", "values": [{"name": "one", "value": 1}]},
             {"kind": "struct", "name": "lab::S", "fields": [{"name": "e", "type": "lab::E"}]}]
    assert signature_text(obj, types) == ("object lab::M\n"
                                          "method a(inout s:string)->void\n"
                                          "method b(array<int32,3>)->lab::S\n"
                                          "property p:double readonly\n"
                                          "enum lab::E{one;}\n"
                                          "struct lab::S{e:lab::E;}\n")
    # FNV-1a 64 of the empty object's text, computed independently.
    h = 0xcbf29ce484222325
    for byte in b"object X\n":
        h = ((h ^ byte) * 0x100000001b3) % 2 ** 64
    assert signature_of({"name": "X", "methods": [], "properties": []}, []) == f"{h:016x}"


def test_the_name_can_be_given_and_is_a_valid_qualified_name():
    class Local:
        __roc_name__ = "lab::Thing"

    assert roc.describe(Local())["objects"][0]["name"] == "lab::Thing"

    class Bad:
        __roc_name__ = "lab.Thing"

    with pytest.raises(ValueError, match="not a qualified C\\+\\+ name"):
        roc.describe(Bad())


def test_numpy_attributes_are_typed_by_their_dtype_and_read_and_written():
    from roc import wire
    from roc.describe import Interface
    from roc.server import Dispatcher

    class Detector:
        def __init__(self) -> None:
            self.dark = np.zeros((2, 3), np.uint16)
            self.armed = np.bool_(False)
            self.handles = np.array([object()])   # not numbers: not exported

    detector = Detector()
    properties = roc.describe(detector)["objects"][0]["properties"]
    assert properties == [{"name": "dark", "type": "ndarray<uint16>", "readonly": False},
                          {"name": "armed", "type": "bool", "readonly": False}]
    dispatcher = Dispatcher("det", Interface(detector))

    def call(method, params):
        return wire.loads(dispatcher.handle([wire.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                                                         "params": params})])[0])

    assert call("rpc.set", ["dark", [[1, 2, 3], [4, 5, 6]]]) == {"jsonrpc": "2.0", "id": 1, "result": None}
    assert detector.dark.dtype == np.uint16 and detector.dark[1, 2] == 6
    assert call("rpc.get", ["dark"])["result"] == [[1, 2, 3], [4, 5, 6]]
    assert call("rpc.set", ["dark", [[1, -2]]])["error"]["code"] == -32602  # not uint16
    assert call("rpc.get", ["armed"])["result"] is False


def test_methods_of_builtin_bases_are_not_exported():
    class Settings(dict):
        def reload(self) -> None:
            pass

    assert [m["name"] for m in roc.describe(Settings())["objects"][0]["methods"]] == ["reload"]


def test_optional_and_nested_hints_convert_to_what_the_method_asks_for():
    from roc import wire
    from roc.describe import Interface
    from roc.server import Dispatcher

    seen = {}

    class Planner:
        def plan(self, wait: Optional[datetime.timedelta] = None, rois: Optional[List[Roi]] = None,
                 modes: dict[str, Mode] | None = None, pair: tuple[Mode, float] = (Mode.fast, 1.0)) -> None:
            seen.update(wait=wait, rois=rois, modes=modes, pair=pair)

    dispatcher = Dispatcher("p", Interface(Planner()))
    params = {"wait": 0.5, "rois": [{"x": 1, "y": 2}], "modes": {"a": "slow"}, "pair": ["slow", 2]}
    reply = wire.loads(dispatcher.handle([wire.dumps({"jsonrpc": "2.0", "id": 1, "method": "plan",
                                                      "params": params})])[0])
    assert reply["result"] is None, reply
    assert seen == {"wait": datetime.timedelta(seconds=0.5), "rois": [Roi(1, 2, Mode.fast)],
                    "modes": {"a": Mode.slow}, "pair": (Mode.slow, 2.0)}
