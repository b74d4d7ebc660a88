"""CURVE keys for a broker that requires them (docs/protocol.md section 12).

Key files are those of ``hookbus keygen``: text where blank lines and lines
starting with ``#`` are ignored and every other line is ``name = "value"``.
``NAME.key`` holds ``public-key`` and ``secret-key`` (mode 0600), ``NAME.pub``
only ``public-key``. Every client takes a ``curve`` argument: a :class:`Curve`,
``None`` (the default: from ``$HOOKBUS_SERVER_KEY`` and ``$HOOKBUS_CLIENT_KEY``,
each naming a file, else no CURVE) or ``False`` (no CURVE, whatever the
environment says).
"""

import os
import stat
from typing import NamedTuple

import zmq
import zmq.utils.z85

__all__ = ["Curve", "curve_from_env", "load_curve", "load_key_pair",
           "load_public_key"]

SERVER_KEY_ENV = "HOOKBUS_SERVER_KEY"
CLIENT_KEY_ENV = "HOOKBUS_CLIENT_KEY"
_MAX_KEY_FILE = 4096


class Curve(NamedTuple):
    """What a client needs to speak CURVE: the broker's public key and the
    client's own key pair, each as 40 characters of Z85 text."""

    server_key: str
    public_key: str
    secret_key: str


def _fields(path):
    with open(path, "rb") as file:
        data = file.read(_MAX_KEY_FILE + 1)
    if len(data) > _MAX_KEY_FILE:
        raise ValueError(f"key file {path} is too large to be a key file")
    fields = {}
    for number, line in enumerate(data.decode("ascii", "replace").splitlines(), 1):
        content = line.strip()
        if not content or content.startswith("#"):
            continue
        name, equals, value = content.partition("=")
        value = value.strip()
        if not equals or len(value) < 2 or value[0] != '"' or value[-1] != '"':
            raise ValueError(f"key file {path} line {number}: expected "
                             'name = "value" (see hookbus keygen)')
        fields[name.strip()] = value[1:-1]
    return fields


def _key(path, fields, name):
    key = fields.get(name)
    if key is None:
        raise ValueError(f"key file {path} has no {name} line")
    try:
        valid = len(key) == 40 and len(zmq.utils.z85.decode(key)) == 32
    except (ValueError, KeyError, IndexError, TypeError):
        valid = False
    if not valid:
        raise ValueError(f"key file {path} has a {name} that is not a "
                         "40-character Z85 CURVE key")
    return key


def load_public_key(path):
    """Return the ``public-key`` of a ``.pub`` (or ``.key``) file."""
    return _key(path, _fields(path), "public-key")


def load_key_pair(path):
    """Return ``(public_key, secret_key)`` from a ``.key`` file. Refuses a file
    open to group or others, and keys that do not belong together."""
    fields = _fields(path)
    if os.stat(path).st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ValueError(f"key file {path} holds a secret key but is open to other "
                         f"users; run `chmod 600 {path}`")
    public, secret = _key(path, fields, "public-key"), _key(path, fields, "secret-key")
    if zmq.curve_public(secret.encode()).decode() != public:
        raise ValueError(f"key file {path} has a public-key that does not belong to "
                         "its secret-key")
    return public, secret


def load_curve(server_key_file, client_key_file):
    """Return the :class:`Curve` of a broker's public key file and a client's
    key pair file."""
    public, secret = load_key_pair(os.fspath(client_key_file))
    return Curve(load_public_key(os.fspath(server_key_file)), public, secret)


def curve_from_env():
    """Return the :class:`Curve` named by ``$HOOKBUS_SERVER_KEY`` and
    ``$HOOKBUS_CLIENT_KEY`` (file paths), or ``None`` when neither is set."""
    server = os.environ.get(SERVER_KEY_ENV)
    client = os.environ.get(CLIENT_KEY_ENV)
    if not server and not client:
        return None
    if not server or not client:
        have, lack = ((CLIENT_KEY_ENV, SERVER_KEY_ENV) if not server
                      else (SERVER_KEY_ENV, CLIENT_KEY_ENV))
        raise ValueError(f"{have} is set but {lack} is not; CURVE needs the "
                         "broker's public key file and the client's key file")
    return load_curve(server, client)


def resolve_curve(curve):
    """The Curve a client should use for its ``curve`` argument."""
    if curve is False:
        return None
    if curve is None:
        return curve_from_env()
    if not isinstance(curve, Curve):
        raise TypeError("curve must be a hookbus.Curve, None or False")
    return curve


def apply_curve(socket, curve):
    """Make ``socket`` a CURVE client; call before connecting."""
    if curve is None:
        return
    socket.curve_serverkey = curve.server_key.encode()
    socket.curve_publickey = curve.public_key.encode()
    socket.curve_secretkey = curve.secret_key.encode()
