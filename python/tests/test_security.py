"""CURVE from Python with certificates made by `roc keygen`: ROC_CERT and ROC_BROKER_CERT are
honoured like the C++ side, against a broker that admits only the keys in its allow directory."""
import shutil
import subprocess

import numpy as np
import pytest

import roc
from conftest import program, wait_for_object


@pytest.fixture
def keys(tmp_path):
    """broker, lab (serves) and desk (calls) key pairs; an allow directory with lab and desk."""
    for name in ("broker", "lab", "desk", "stranger"):
        subprocess.run([program("roc"), "keygen", str(tmp_path / name)], check=True, capture_output=True,
                       timeout=10)
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    for name in ("lab", "desk"):
        shutil.copy(tmp_path / f"{name}.key", allowed)
    return tmp_path


@pytest.fixture
def secure_broker(make_broker, keys):
    return make_broker(["--cert", str(keys / "broker.key_secret"), "--allow", str(keys / "allowed")])


def secure(broker, keys, name):
    return roc.Endpoints(broker.address, cert=str(keys / f"{name}.key_secret"),
                         broker_cert=str(keys / "broker.key"))


def test_a_python_client_with_roc_cert_calls_a_cxx_server_over_curve(secure_broker, keys, spawn, monkeypatch):
    env = {"ROC_CERT": str(keys / "lab.key_secret"), "ROC_BROKER_CERT": str(keys / "broker.key")}
    spawn([program("vnir-server"), "--broker", secure_broker.address], env={**__import__("os").environ, **env})
    wait_for_object(secure_broker, "vnir", endpoints=secure(secure_broker, keys, "desk"))

    monkeypatch.setenv("ROC_BROKER", secure_broker.address)
    monkeypatch.setenv("ROC_CERT", str(keys / "desk.key_secret"))
    monkeypatch.setenv("ROC_BROKER_CERT", str(keys / "broker.key"))
    with roc.Client(timeout=5.0) as client:
        cam = client["vnir"]
        assert cam.model
        frame = cam.frame()
        assert isinstance(frame, np.ndarray) and frame.shape == (768, 1024)


@pytest.mark.parametrize("who", ["plaintext", "stranger"])
def test_a_peer_without_an_admitted_key_gets_nothing(secure_broker, keys, who, monkeypatch):
    monkeypatch.delenv("ROC_CERT", raising=False)
    monkeypatch.delenv("ROC_BROKER_CERT", raising=False)
    endpoints = roc.Endpoints(secure_broker.address) if who == "plaintext" else secure(secure_broker, keys, who)
    with roc.Client(endpoints, timeout=0.5) as client:
        with pytest.raises(roc.Timeout):
            client.call("vnir", "rpc.ping")


def test_a_python_server_over_curve_is_called_by_the_cxx_cli(secure_broker, keys):
    class Thermometer:
        def read(self) -> float:
            """The temperature in degrees C."""
            return 21.5

    server = roc.Server(secure(secure_broker, keys, "lab")).publish("thermo", Thermometer())
    with server:
        server.start()
        wait_for_object(secure_broker, "thermo", endpoints=secure(secure_broker, keys, "desk"))
        result = subprocess.run(
            [program("roc"), "--broker", secure_broker.address, "--cert", str(keys / "desk.key_secret"),
             "--broker-cert", str(keys / "broker.key"), "call", "thermo", "read"],
            capture_output=True, text=True, timeout=10)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "21.5"


def test_a_python_client_with_a_secret_key_but_no_broker_key_is_refused_at_once(keys):
    with pytest.raises(roc.CertificateError, match="broker's public certificate"):
        roc.Endpoints("127.0.0.1:1", cert=str(keys / "desk.key_secret"), broker_cert="")


def test_a_public_certificate_where_a_secret_one_is_needed_is_named(keys):
    with pytest.raises(roc.CertificateError, match="desk.key"):
        roc.Endpoints("127.0.0.1:1", cert=str(keys / "desk.key"), broker_cert=str(keys / "broker.key"))
