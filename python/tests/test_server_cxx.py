"""A Python object served to C++: the `roc` CLI, and a C++ typed proxy that roc-gen generated from
the object's rpc.describe, compiled and run against the Python server."""
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import roc
from roc.describe import signature_of, signature_text
from conftest import BUILD, REPO, program, wait_for_object

EXAMPLE = REPO / "python" / "examples" / "stage_server.py"
CXX_CLIENT = REPO / "python" / "tests" / "cxx" / "stage_proxy_client.cpp"


def roc_cli(broker, *args, check=True, timeout=20):
    done = subprocess.run([program("roc"), "--broker", broker.address, "--timeout", "5", *args],
                          capture_output=True, text=True, timeout=timeout)
    if check:
        assert done.returncode == 0, f"roc {' '.join(args)}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture
def stage_process(broker, spawn):
    """The example script as its own process, as a user runs it."""
    process = spawn([sys.executable, str(EXAMPLE), "--broker", broker.address, "--heartbeat", "0.1"])
    wait_for_object(broker, "stage")
    return process


def test_the_roc_cli_calls_gets_sets_and_describes_a_python_object(broker, stage_process):
    assert roc_cli(broker, "call", "stage", "move", "[1.5]").stdout.strip() == "1.5"
    assert roc_cli(broker, "get", "stage", "position").stdout.strip() == "1.5"
    roc_cli(broker, "set", "stage", "speed", "3.5")
    assert roc_cli(broker, "--json", "get", "stage", "speed").stdout.strip() == "3.5"
    assert json.loads(roc_cli(broker, "--json", "call", "stage", "where").stdout) == [1.5, 0.0]
    assert roc_cli(broker, "ping", "stage").returncode == 0
    failed = roc_cli(broker, "call", "stage", "fail", '["no power"]', check=False)
    # Said once: the error's data (type and message) repeats what its message says, so it is not printed.
    assert failed.returncode == 5
    assert failed.stderr == "roc: remote error -32000: 'fail' threw StageError: no power\n"
    readonly = roc_cli(broker, "set", "stage", "position", "2", check=False)
    assert readonly.returncode == 5 and "-32003" in readonly.stderr
    document = json.loads(roc_cli(broker, "describe", "stage", "--json").stdout)
    assert document["objects"][0]["name"] == "lab::Stage"
    assert [m["name"] for m in document["objects"][0]["methods"]][:3] == ["move", "where", "home"]


def test_roc_call_save_writes_an_attachment_numpy_reads(broker, stage_process, tmp_path):
    path = tmp_path / "line.npy"
    roc_cli(broker, "call", "stage", "scan", "[300000, 5]", "--save", str(path))
    line = np.load(path)
    assert line.dtype == np.uint16 and line.shape == (300000,)
    assert line[0] == 5 and line[-1] == (299999 + 5) % 65536
    image = tmp_path / "image.npy"
    roc_cli(broker, "call", "stage", "scale", json.dumps([np.ones((40, 50)).tolist(), 3.0]), "--save", str(image))
    scaled = np.load(image)
    assert scaled.shape == (40, 50) and (scaled == 3.0).all()


def build_cxx_client(generated: Path, work: Path) -> Path:
    """Installs the build into `work` and builds tests/cxx against it with CMake, as a user's
    project: find_package(roc), roc::runtime, and the generated proxy in `generated`."""
    for tool in ("cmake", "g++"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not on PATH (scripts/setup.sh installs it)")
    prefix, binary = work / "prefix", work / "build"

    def run(*args: str) -> None:
        done = subprocess.run(args, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"

    run("cmake", "--install", str(BUILD), "--prefix", str(prefix))
    run("cmake", "-S", str(CXX_CLIENT.parent), "-B", str(binary), "-DCMAKE_BUILD_TYPE=Debug",
        f"-DCMAKE_PREFIX_PATH={prefix}", f"-DGENERATED={generated}")
    run("cmake", "--build", str(binary))
    return binary / "stage_proxy_client"


def test_a_cxx_typed_proxy_generated_from_rpc_describe_calls_the_python_object(broker, stage_process, tmp_path):
    idl = tmp_path / "stage.idl.json"
    idl.write_text(roc_cli(broker, "describe", "stage", "--json").stdout)
    # roc-gen validates the document against the schema and checks its signature.
    generated = subprocess.run([program("roc-gen"), str(idl), "-o", str(tmp_path / "stage.roc.hpp")],
                               capture_output=True, text=True, timeout=60)
    assert generated.returncode == 0, generated.stderr
    started = time.monotonic()
    client = build_cxx_client(tmp_path, tmp_path / "cxx")
    ran = subprocess.run([str(client), broker.address], capture_output=True, text=True, timeout=30)
    out = dict(line.split("=", 1) for line in ran.stdout.splitlines() if "=" in line)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    document = json.loads(idl.read_text())
    assert out["signature"] == document["objects"][0]["signature"]
    assert out["move"] == "1.5" and out["move_y"] == "-2" and out["where"] == "1.5,-2"
    assert out["speed"] == "7.5" and out["limits"] == "-50..50" and out["limits_after"] == "-10..10"
    assert out["scan"] == f"100000,3,{(99999 + 3) % 65536}"            # an attachment to C++
    assert out["scale"] == "64x32,1023.5"                               # attachments both ways
    assert out["integrate"] == "1250"                                   # array<double> attachment in
    assert out["bytes"] == f"3000,{2999 % 256}"
    assert out["wait_for"] == "0.25" and out["tags"] == "a,b,n"
    assert out["fail"] == '-32000 {"type":"StageError","what":"no power"}'
    print(f"compiled and ran the proxy client in {time.monotonic() - started:.1f} s")


def test_the_signature_is_computed_as_the_cxx_runtime_computes_it(broker, object_server, vnir_server):
    object_server("device")
    for object_id in ("device", "vnir"):
        document = json.loads(roc_cli(broker, "describe", object_id, "--json").stdout)
        obj = document["objects"][0]
        served = json.loads(roc_cli(broker, "--json", "call", object_id, "rpc.signature").stdout)
        assert signature_of(obj, document["types"]) == obj["signature"] == served, signature_text(obj, document["types"])


def test_describe_output_is_accepted_by_roc_gen(tmp_path):
    """roc-gen validates against idl/roc-idl.v1.schema.json and recomputes the signature."""
    sys.path.insert(0, str(EXAMPLE.parent))
    from stage_server import Stage
    path = tmp_path / "stage.idl.json"
    path.write_text(json.dumps(roc.describe(Stage())))
    generated = subprocess.run([program("roc-gen"), str(path), "-o", str(tmp_path / "stage.roc.hpp")],
                               capture_output=True, text=True, timeout=60)
    assert generated.returncode == 0, generated.stderr
    assert "class StageProxy" in (tmp_path / "stage.roc.hpp").read_text()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_run_and_the_broker_forgets_the_worker_at_once(broker, stage_process, sig):
    assert stage_process.stop(sig) == 0
    stage_process.wait_for(r"stage_server: stopped")
    # DISCONNECT or the closed connection, whichever the broker reads first (see test_server).
    broker.process.wait_for(r"worker .* of 'stage' removed \(it (disconnected|lost its connection)", timeout=5)
