"""The codec and the argument checks that run before anything is encoded."""

import json

import msgpack
import pytest

import hookbus
from hookbus import protocol
from hookbus._payload import payload_json, reply_json
from hookbus._requests import RequestBuilder, timeout_ms


def test_emit_without_wait_writes_every_key_but_timeout():
    body = protocol.encode("emit", req=1, name="capture", payload_json="{}")
    assert list(msgpack.unpackb(body)) == [
        "v", "op", "req", "name", "payload_json", "wait", "expect"]


def test_emit_with_timeout_puts_it_between_wait_and_expect():
    body = protocol.encode("emit", req=1, name="a", payload_json="{}", wait=True,
                           timeout_ms=10)
    assert list(msgpack.unpackb(body))[5:] == ["wait", "timeout_ms", "expect"]


def test_str_of_32_bytes_uses_str8():
    body = protocol.encode("bye", instance="x" * 32)
    assert b"\xd9\x20" + b"x" * 32 in body


def test_decoder_accepts_any_key_order_and_int_width():
    body = msgpack.packb({"accepted": True, "id": "e", "op": "reply_ack",
                          "v": 1}, use_bin_type=True)
    assert protocol.decode_response(body, "replies")["accepted"] is True


def test_decoder_drops_unknown_keys():
    body = msgpack.packb({"v": 1, "op": "bye_ok", "instance": "a", "later": 3})
    assert protocol.decode(body, "bye_ok") == {"v": 1, "op": "bye_ok",
                                               "instance": "a"}


def test_decoder_refuses_bin_where_str_is_required():
    body = msgpack.packb({"v": 1, "op": "bye_ok", "instance": b"a"},
                         use_bin_type=True)
    with pytest.raises(protocol.ProtocolError) as caught:
        protocol.decode(body, "bye_ok")
    assert caught.value.code == "bad_field"


def test_response_decoder_refuses_a_request_op():
    body = protocol.encode("stats", req=1)
    with pytest.raises(protocol.ProtocolError) as caught:
        protocol.decode_response(body, "emit")
    assert caught.value.code == "unknown_op"


def test_events_frame_round_trips():
    fields = {"id": "i", "run": 3, "seq": 1, "emitted_at": (1, 2),
              "deadline": None, "payload_json": "{}"}
    kind, decoded = protocol.decode_frame(protocol.encode_event("capture", fields))
    assert kind == "event"
    assert decoded["name"] == "capture" and decoded["emitted_at"] == (1, 2)


@pytest.mark.parametrize("name", ["capture", "_x", "git:pre-commit/v1.2_x-y",
                                  "a" * 128])
def test_valid_event_names(name):
    assert protocol.valid_event_name(name)


@pytest.mark.parametrize("name", ["", "-a", "$welcome", "a b", "a" * 129,
                                  "caf\u00e9", "a\n", 7])
def test_invalid_event_names(name):
    assert not protocol.valid_event_name(name)


@pytest.mark.parametrize("instance", ["", "a b", "x" * 65, "a.b"])
def test_invalid_instances(instance):
    assert not protocol.valid_instance(instance)


def test_str_payload_is_sent_verbatim():
    assert payload_json('{"a" : 1}') == '{"a" : 1}'


def test_str_payload_must_be_json():
    with pytest.raises(ValueError):
        payload_json("{not json")


def test_object_payload_is_compact_json():
    assert payload_json({"a": [1, 2], "b": "\u00e9"}) == '{"a":[1,2],"b":"\u00e9"}'


def test_unserialisable_payload_is_a_value_error():
    with pytest.raises(ValueError):
        payload_json({"a": object()})


def test_nan_payload_is_refused_as_it_is_not_json():
    with pytest.raises(ValueError):
        payload_json(float("nan"))


def test_reply_fields_merge_over_the_dict():
    assert json.loads(reply_json({"abort": "", "a": 1}, {"abort": "no"})) == {
        "abort": "no", "a": 1}


def test_reply_text_is_sent_verbatim():
    assert reply_json('{ "abort" : "x" }') == '{ "abort" : "x" }'


@pytest.mark.parametrize("bad", ["[1]", "3", [1]])
def test_reply_must_be_an_object(bad):
    with pytest.raises(ValueError):
        reply_json(bad)


def test_timeout_converts_to_whole_milliseconds_at_least_one():
    assert (timeout_ms(2.5), timeout_ms(0.0001)) == (2500, 1)


@pytest.mark.parametrize("bad", [0, -1])
def test_timeout_must_be_positive(bad):
    with pytest.raises(ValueError):
        timeout_ms(bad)


def test_requests_are_numbered_from_one():
    builder = RequestBuilder(1 << 20)
    assert [builder.stats()[0], builder.emit("a", {})[0]] == [1, 2]


def test_bad_event_name_is_refused_before_sending():
    with pytest.raises(ValueError, match="invalid event name"):
        RequestBuilder(1 << 20).emit("a b", {})


def test_oversized_request_is_refused_naming_the_limit():
    with pytest.raises(ValueError, match="1000 bytes"):
        RequestBuilder(1000).emit("a", {"x": "x" * 1000})


def test_expect_must_be_first_or_all():
    with pytest.raises(ValueError):
        RequestBuilder(1 << 20).emit("a", {}, True, 1.0, "some")


def test_outcome_abort_is_the_first_non_empty_one():
    replies = [hookbus.Reply.from_wire({"hook": h, "instance": "", "reply_json": j})
               for h, j in [("a", '{"abort":""}'), ("b", '{"abort":"no"}')]]
    outcome = hookbus.Outcome(hookbus.Status.REPLIED, "id", replies)
    assert (outcome.abort, outcome.vetoed) == ("no", True)


def test_status_compares_equal_to_its_wire_text():
    assert hookbus.Status.NO_HOOK == "no_hook"


def test_lagged_is_an_exception_with_its_facts():
    lag = hookbus.Lagged("capture", 3, False)
    assert isinstance(lag, Exception)
    assert (lag.name, lag.missed, lag.restarted) == ("capture", 3, False)
