"""Mutation fuzzing of the Python parsers of peer input: whatever bytes arrive, they read or are
refused with the documented exception — never another exception, a hang or a crash — and the
server's dispatcher answers every request with one valid JSON body (or an empty one).

Debian has no coverage-guided fuzzer for Python (atheris is not packaged), so these mutate real
messages at random for a bounded time; ROC_FUZZ_SEED reproduces a run and the seed of a
failing case is in the failure's message. ROC_PY_FUZZ_SECONDS sets the time per parser.
"""
import json
import os
import random
import sys
import time

import numpy as np
import pytest

import roc
from conftest import REPO
from roc import types, wire
from roc.describe import Interface
from roc.server import Dispatcher

sys.path.insert(0, str(REPO / "python" / "examples"))
from stage_server import Stage  # noqa: E402

SECONDS = float(os.environ.get("ROC_PY_FUZZ_SECONDS", "3"))
SEED = int(os.environ.get("ROC_FUZZ_SEED", str(random.randrange(1 << 30))))

TOKENS = [b"{", b"}", b"[", b"]", b",", b":", b'"$attachment"', b'"type"', b'"shape"', b'"order"',
          b'"uint16"', b'"double"', b'"big"', b'"little"', b"0", b"1", b"-1", b"1e400", b"null",
          b"true", b'"NaN"', b"\xff", b"\x00", b'"\\ud800"', b"[" * 300, b"9" * 400, b"9" * 40,
          b'"rpc.get"', b'"params"', b'"id"']


def mutate(rng: random.Random, data: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        choice = rng.randrange(5)
        position = rng.randint(0, len(data))
        if choice == 0 and data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif choice == 1:
            data[position:position] = rng.choice(TOKENS)
        elif choice == 2 and data:
            del data[position:position + rng.randint(1, 8)]
        elif choice == 3:
            data[position:position] = data[rng.randint(0, len(data)):][:rng.randint(0, 16)]
        else:
            data = data[:position]
    return bytes(data)


def fuzz(seeds, check, accepted):
    """Runs `check(rng, seed_case)` on mutated seeds for SECONDS; any exception not in `accepted`
    fails, naming the seed and the input."""
    rng = random.Random(SEED)
    deadline = time.monotonic() + SECONDS
    runs = 0
    while time.monotonic() < deadline:
        case = rng.choice(seeds)
        try:
            check(rng, case)
        except accepted:
            pass
        except Exception as error:  # noqa: BLE001 — the point is to see every other exception
            pytest.fail(f"ROC_FUZZ_SEED={SEED} run {runs}: {type(error).__name__}: {error}"[:2000])
        runs += 1
    assert runs > 100


FRAME = np.arange(12, dtype="<u2").reshape(3, 4)
BODIES = [
    wire.encode({"jsonrpc": "2.0", "id": 7, "result": {"frame": FRAME, "raw": b"x" * 16}}, attach=True, min_bytes=1),
    wire.encode([{"jsonrpc": "2.0", "id": 1, "method": "set", "params": [np.ones(4)]},
                 {"jsonrpc": "2.0", "method": "n", "params": {"b": b"\x01" * 8}}], attach=True, min_bytes=1),
    [b'{"jsonrpc":"2.0","id":1,"result":[1,2.5,"NaN",null,{"a":[true,false]}]}'],
]
BODIES = [[bytes(memoryview(f).cast("B")) for f in frames] for frames in BODIES]


def test_any_bytes_in_a_message_decode_or_are_refused_cleanly():
    def check(rng, frames):
        frames = list(frames)
        index = rng.randrange(len(frames))
        frames[index] = mutate(rng, frames[index])
        if rng.random() < 0.1:
            frames.append(mutate(rng, b"\x00" * rng.randint(0, 8)))
        wire.decode(frames)

    fuzz(BODIES, check, (roc.ProtocolError, wire.BadAttachment))


def test_any_call_header_parses_or_is_refused_cleanly():
    seeds = [b"roc/1 timeout-ms=1500 attach=1", b"roc/1", b"roc/1 future=x timeout-ms=0"]
    fuzz(seeds, lambda rng, case: wire.parse_call_header(mutate(rng, case)), (roc.ProtocolError,))


def test_any_idl_type_text_parses_or_is_refused_and_converts_without_surprises():
    seeds = [b"array<uint16>", b"map<optional<lab::Roi>>", b"tuple<int32,double,string>",
             b"duration<int64,ms>", b"ndarray<float>", b"array<int8,3>"]
    values = [None, 1, -1.5, "NaN", "AAEC", [1, 2], [[1, 2], [3, 4]], {"a": 1}, True, [None, "x"]]

    def check(rng, case):
        text = mutate(rng, case).decode("utf-8", "replace")
        parsed = types.parse(text)
        assert types.parse(str(parsed)) == parsed  # the canonical spelling reads back the same
        types.from_wire(rng.choice(values), parsed)

    fuzz(seeds, check, (ValueError,))


DISPATCHER_SEEDS = [
    (b'{"jsonrpc":"2.0","id":1,"method":"move","params":[1.5,"y"]}', []),
    (b'{"jsonrpc":"2.0","id":"a","method":"tags","params":{"names":{"a":1},"note":null}}', []),
    (b'[{"jsonrpc":"2.0","id":1,"method":"where"},{"jsonrpc":"2.0","method":"home"}]', []),
    (b'{"jsonrpc":"2.0","id":2,"method":"rpc.set","params":["limits",{"low":-1,"high":1}]}', []),
    (b'{"jsonrpc":"2.0","id":3,"method":"integrate","params":[{"$attachment":0,"type":"double",'
     b'"order":"little","shape":[4]}]}', [np.arange(4.0).tobytes()]),
    (b'{"jsonrpc":"2.0","id":4,"method":"scale","params":[{"$attachment":0,"type":"double",'
     b'"order":"big","shape":[2,2]},2]}', [np.arange(4.0).astype(">f8").tobytes()]),
    (b'{"jsonrpc":"2.0","id":5,"method":"echo_bytes","params":["AAEC"]}', []),
    (b'{"jsonrpc":"2.0","id":6,"method":"wait_for","params":[1e3]}', []),
]
DISPATCHER_CODES = (-32700, -32600, -32601, -32602, -32603, -32000, -32003)


def test_no_request_breaks_the_servers_dispatcher(caplog):
    stage = Stage()
    stage.settle = lambda seconds=0.0: "settled"  # no sleeping while fuzzing
    dispatcher = Dispatcher("stage", Interface(stage))

    def check(rng, case):
        body, frames = case
        body = mutate(rng, body)
        frames = [mutate(rng, f) if rng.random() < 0.3 else f for f in frames]
        if rng.random() < 0.1:
            frames = frames + [b"extra"]
        attach = rng.random() < 0.5
        reply = dispatcher.handle([body] + frames, attach=attach)
        assert reply and isinstance(reply[0], bytes), f"{body!r}"
        if reply[0]:
            message = wire.decode(reply) if attach else json.loads(reply[0])
            items = message if isinstance(message, list) else [message]
            assert items and all("result" in m or m["error"]["code"] in DISPATCHER_CODES for m in items), \
                f"{body!r} → {reply[0][:300]!r}"

    with np.errstate(all="ignore"):  # mutated arrays hold NaN and infinities: the stage's arithmetic on them is fine
        fuzz(DISPATCHER_SEEDS, check, ())
    faults = [r.getMessage() for r in caplog.records if "internal error" in r.getMessage()]
    assert not faults, f"ROC_FUZZ_SEED={SEED}: faults in roc itself: {faults[:3]}"
