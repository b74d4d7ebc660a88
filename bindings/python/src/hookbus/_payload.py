"""Turning user payloads and replies into the JSON texts the wire carries."""

import json

_COMPACT = (",", ":")


def payload_json(payload):
    """Return the ``payload_json`` text for ``payload``.

    A ``str`` (or UTF-8 ``bytes``) is taken as JSON text and sent verbatim after
    a validity check; anything else is serialised with ``json.dumps``.
    Raises ``ValueError`` for invalid JSON text or unserialisable values.
    """
    if isinstance(payload, (bytes, bytearray)):
        payload = payload.decode("utf-8")
    if isinstance(payload, str):
        try:
            json.loads(payload)
        except ValueError as exc:
            raise ValueError(f"payload is not valid JSON text: {exc}") from None
        return payload
    try:
        return json.dumps(payload, separators=_COMPACT, ensure_ascii=False,
                          allow_nan=False)
    except TypeError as exc:
        raise ValueError(f"payload is not JSON-serialisable: {exc}") from None


def reply_json(data=None, fields=None):
    """Return the ``reply_json`` text for a reply.

    ``data`` is a ``dict`` or the text of a JSON object (sent verbatim when no
    ``fields`` are added); ``fields`` are merged over it. Raises ``ValueError``
    unless the result is a JSON object.
    """
    fields = fields or {}
    if isinstance(data, (bytes, bytearray)):
        data = data.decode("utf-8")
    if isinstance(data, str):
        try:
            parsed = json.loads(data)
        except ValueError as exc:
            raise ValueError(f"reply is not valid JSON text: {exc}") from None
        if not isinstance(parsed, dict):
            raise ValueError("a reply must be a JSON object")
        if not fields:
            return data
        data = parsed
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValueError("a reply must be a dict (a JSON object)")
    merged = {**data, **fields}
    try:
        return json.dumps(merged, separators=_COMPACT, ensure_ascii=False,
                          allow_nan=False)
    except TypeError as exc:
        raise ValueError(f"reply is not JSON-serialisable: {exc}") from None
