"""hookbus: Python client of the hookbus message bus for hook events.

Emitters publish events and may wait for answers; hooks subscribe to event
names, announce themselves and answer (``abort`` vetoes); listeners only watch.
All of it speaks the wire protocol of docs/protocol.md through ZeroMQ.
"""

import logging

from .aio import AsyncEmitter
from .app import HookApp
from .emitter import Emitter
from .endpoints import Endpoints, default_dir, endpoints
from .errors import BrokerUnreachable, HookbusError, Lagged, Refused
from .hook import Event, Hook, Subscriber
from .keys import (Curve, curve_from_env, load_curve, load_key_pair,
                   load_public_key)
from .outcome import Missing, Outcome, Readiness, Reply, Status, Veto
from .protocol import PROTOCOL_VERSION, ProtocolError

__version__ = "0.1.0"

__all__ = [
    "AsyncEmitter", "BrokerUnreachable", "Curve", "Emitter", "Endpoints", "Event",
    "Hook", "HookApp", "HookbusError", "Lagged", "Missing", "Outcome",
    "PROTOCOL_VERSION", "ProtocolError", "Readiness", "Refused", "Reply", "Status",
    "Subscriber", "Veto", "curve_from_env", "default_dir", "endpoints",
    "load_curve", "load_key_pair", "load_public_key",
]

# A library stays silent unless the application configures logging.
logging.getLogger("hookbus").addHandler(logging.NullHandler())
