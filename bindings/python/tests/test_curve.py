"""CURVE against a real hookbusd on tcp 127.0.0.1: an admitted emitter is
answered by an admitted hook; an unknown key or no CURVE gets nothing through.
Keys are made by ``hookbus keygen``, so the file format is shared for real."""

import os
import re
import subprocess

import pytest

import hookbus
from conftest import wait_until

REFUSED_WAIT = 1.5


def keygen(cli, name, directory):
    subprocess.run([cli, "keygen", name, "--dir", directory], check=True,
                   stdout=subprocess.DEVNULL)
    return os.path.join(directory, name + ".key"), os.path.join(directory, name + ".pub")


class CurveBroker:
    """hookbusd on ephemeral tcp ports, admitting the ``client`` key only."""

    def __init__(self, hookbusd, directory):
        cli = os.path.join(os.path.dirname(hookbusd), "hookbus")
        if not os.access(cli, os.X_OK):
            pytest.skip(f"no hookbus CLI next to {hookbusd} to make keys")
        allowed = os.path.join(directory, "allowed")
        os.mkdir(allowed, 0o700)
        self.server_key, self.server_pub = keygen(cli, "server", directory)
        self.client_key, _ = keygen(cli, "client", allowed)
        self.stranger_key, _ = keygen(cli, "stranger", directory)
        self.log_path = os.path.join(directory, "hookbusd.log")
        any_port = "tcp://127.0.0.1:*"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [hookbusd, "--dir", os.path.join(directory, "bus"),
                 "--events", any_port, "--replies", any_port, "--emit", any_port,
                 "--curve-secret", self.server_key, "--allowed-keys", allowed],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        found = wait_until(self._bound, 10)
        assert found, "hookbusd did not log its endpoints:\n" + self.log()
        self.endpoints = hookbus.Endpoints(*found)

    def _bound(self):
        match = re.search(r"HB-START .*events=(\S+) replies=(\S+) emit=(\S+)",
                          self.log())
        return match and match.groups()

    def log(self):
        with open(self.log_path, errors="replace") as log:
            return log.read()

    def curve(self, key_file):
        return hookbus.load_curve(self.server_pub, key_file)

    def stats(self):
        with hookbus.Emitter(self.endpoints.emit,
                             curve=self.curve(self.client_key)) as emitter:
            return emitter.stats()

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture
def curve_broker(hookbusd, short_dir):
    broker = CurveBroker(hookbusd, short_dir)
    yield broker
    broker.stop()


def test_admitted_emitter_is_answered_by_admitted_hook(curve_broker, serve):
    admitted = curve_broker.curve(curve_broker.client_key)
    app = hookbus.HookApp("guard", endpoints=curve_broker.endpoints, curve=admitted)

    @app.on("capture")
    def check(event):
        return "no"

    serve(app)
    with hookbus.Emitter(curve_broker.endpoints.emit, curve=admitted) as emitter:
        outcome = emitter.emit_and_wait("capture", {"path": "a"}, timeout=5)
    assert outcome.status == hookbus.Status.REPLIED
    assert outcome.abort == "no"


def test_unknown_key_can_emit_nothing(curve_broker):
    stranger = curve_broker.curve(curve_broker.stranger_key)
    with hookbus.Emitter(curve_broker.endpoints.emit, curve=stranger,
                         request_timeout=REFUSED_WAIT) as emitter:
        with pytest.raises(hookbus.BrokerUnreachable):
            emitter.emit("capture", {})
    assert wait_until(lambda: curve_broker.stats()["auth_denied"] >= 1)
    assert curve_broker.stats()["events_emitted"] == 0


def test_unknown_key_receives_nothing(curve_broker):
    stranger = curve_broker.curve(curve_broker.stranger_key)
    with hookbus.Subscriber(endpoint=curve_broker.endpoints.events,
                            curve=stranger) as listener:
        assert wait_until(lambda: curve_broker.stats()["auth_denied"] >= 1)
        with hookbus.Emitter(curve_broker.endpoints.emit,
                             curve=curve_broker.curve(curve_broker.client_key)) as e:
            e.emit("capture", {})
        assert listener.next(timeout=REFUSED_WAIT) is None
        assert listener.run == 0


def test_client_without_curve_is_unreachable(curve_broker, monkeypatch):
    monkeypatch.delenv("HOOKBUS_SERVER_KEY", raising=False)
    monkeypatch.delenv("HOOKBUS_CLIENT_KEY", raising=False)
    with hookbus.Emitter(curve_broker.endpoints.emit,
                         request_timeout=REFUSED_WAIT) as emitter:
        with pytest.raises(hookbus.BrokerUnreachable):
            emitter.stats()


def test_keys_come_from_the_environment(curve_broker, monkeypatch):
    monkeypatch.setenv("HOOKBUS_SERVER_KEY", curve_broker.server_pub)
    monkeypatch.setenv("HOOKBUS_CLIENT_KEY", curve_broker.client_key)
    with hookbus.Emitter(curve_broker.endpoints.emit) as emitter:
        assert emitter.stats()["auth_denied"] == 0
    with pytest.raises(hookbus.BrokerUnreachable):
        with hookbus.Emitter(curve_broker.endpoints.emit, curve=False,
                             request_timeout=REFUSED_WAIT) as emitter:
            emitter.stats()


def test_one_environment_variable_alone_is_an_error(monkeypatch):
    monkeypatch.setenv("HOOKBUS_SERVER_KEY", "/nonexistent.pub")
    monkeypatch.delenv("HOOKBUS_CLIENT_KEY", raising=False)
    with pytest.raises(ValueError, match="HOOKBUS_CLIENT_KEY"):
        hookbus.Emitter("tcp://127.0.0.1:1")


def test_key_file_open_to_others_is_refused(curve_broker):
    os.chmod(curve_broker.stranger_key, 0o644)
    with pytest.raises(ValueError, match="chmod 600"):
        hookbus.load_key_pair(curve_broker.stranger_key)
