"""Default endpoint resolution, shared with the broker (protocol section 1)."""

import os

import hookbus


def test_hookbus_dir_wins(monkeypatch):
    monkeypatch.setenv("HOOKBUS_DIR", "/x/bus")
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/run/user/1")
    assert hookbus.default_dir() == "/x/bus"


def test_xdg_runtime_dir_is_next(monkeypatch):
    monkeypatch.delenv("HOOKBUS_DIR", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/run/user/1")
    assert hookbus.default_dir() == "/run/user/1/hookbus"


def test_tmp_with_uid_is_last(monkeypatch):
    monkeypatch.delenv("HOOKBUS_DIR", raising=False)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    assert hookbus.default_dir() == f"/tmp/hookbus-{os.getuid()}"


def test_endpoints_are_the_three_ipc_sockets_of_the_dir():
    assert hookbus.endpoints("/d") == (
        "ipc:///d/events", "ipc:///d/replies", "ipc:///d/emit")


def test_one_endpoint_can_be_overridden():
    assert hookbus.endpoints("/d", emit="tcp://127.0.0.1:5").emit == "tcp://127.0.0.1:5"
