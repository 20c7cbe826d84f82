"""Mutation fuzzing of the server's dispatcher: whatever a request holds, the reply is one valid
JSON body (or empty, for notifications) and the dispatcher never raises. ROC_FUZZ_SEED
reproduces a run; ROC_PY_FUZZ_SECONDS sets its length."""
import json
import os
import random
import sys
import time

import numpy as np

from roc import wire
from roc.describe import Interface
from roc.server import Dispatcher
from conftest import REPO

sys.path.insert(0, str(REPO / "python" / "examples"))
from stage_server import Stage  # noqa: E402

SECONDS = float(os.environ.get("ROC_PY_FUZZ_SECONDS", "3"))
SEED = int(os.environ.get("ROC_FUZZ_SEED", str(random.randrange(1 << 30))))

SEEDS = [
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
TOKENS = [b"{", b"}", b"[", b"]", b",", b'"$attachment"', b'"shape"', b"-1", b"1e400", b"null", b"true",
          b'"NaN"', b"\xff", b'"\\ud800"', b"[" * 300, b"9" * 40, b'"rpc.get"', b'"params"', b'"id"']


def mutate(rng: random.Random, data: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 5)):
        position = rng.randint(0, len(data))
        choice = rng.randrange(4)
        if choice == 0 and data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif choice == 1:
            data[position:position] = rng.choice(TOKENS)
        elif choice == 2 and data:
            del data[position:position + rng.randint(1, 8)]
        else:
            data[position:position] = data[rng.randint(0, len(data)):][:rng.randint(0, 16)]
    return bytes(data)


def test_no_request_breaks_the_dispatcher(caplog):
    stage = Stage()
    stage.settle = lambda seconds=0.0: "settled"  # no sleeping while fuzzing
    dispatcher = Dispatcher("stage", Interface(stage))
    rng = random.Random(SEED)
    deadline = time.monotonic() + SECONDS
    runs = 0
    while time.monotonic() < deadline:
        body, frames = rng.choice(SEEDS)
        body = mutate(rng, body)
        frames = [mutate(rng, f) if rng.random() < 0.3 else f for f in frames]
        if rng.random() < 0.1:
            frames = frames + [b"extra"]
        attach = rng.random() < 0.5
        try:
            reply = dispatcher.handle([body] + frames, attach=attach)
        except BaseException as error:  # noqa: B036
            raise AssertionError(f"seed {SEED}: {body!r} {frames!r} raised {error!r}") from error
        assert reply and isinstance(reply[0], bytes), f"seed {SEED}: {body!r}"
        if reply[0]:
            message = wire.decode(reply) if attach else json.loads(reply[0])
            items = message if isinstance(message, list) else [message]
            assert items and all("result" in m or m["error"]["code"] in
                                 (-32700, -32600, -32601, -32602, -32603, -32000, -32003) for m in items), \
                f"seed {SEED}: {body!r} → {reply[0][:300]!r}"
        runs += 1
    assert runs > 100
    faults = [r.getMessage() for r in caplog.records if "internal error" in r.getMessage()]
    assert not faults, f"seed {SEED}: faults in roc itself: {faults[:3]}"
