"""The codec and the argument checks that run before anything is encoded."""

import json

import msgpack
import pytest

import hookbus
from hookbus import protocol
from hookbus._payload import payload_json, reply_json
from hookbus._requests import RequestBuilder, timeout_ms

#: The version every body below carries.
V = protocol.PROTOCOL_VERSION


def test_emit_without_wait_writes_every_key_but_timeout():
    body = protocol.encode("emit", req=1, name="capture", payload_json="{}")
    assert list(msgpack.unpackb(body)) == [
        "v", "op", "req", "name", "payload_json", "wait", "expect"]


def test_emit_with_timeout_puts_it_between_wait_and_expect():
    body = protocol.encode("emit", req=1, name="a", payload_json="{}", wait=True,
                           timeout_ms=10, expect="first")
    assert list(msgpack.unpackb(body))[5:] == ["wait", "timeout_ms", "expect"]


def test_str_of_32_bytes_uses_str8():
    body = protocol.encode("bye", instance="x" * 32)
    assert b"\xd9\x20" + b"x" * 32 in body


def test_decoder_accepts_any_key_order_and_int_width():
    body = msgpack.packb({"accepted": True, "id": "e", "op": "reply_ack",
                          "v": V}, use_bin_type=True)
    assert protocol.decode_response(body, "replies")["accepted"] is True


def test_decoder_drops_unknown_keys():
    body = msgpack.packb({"v": V, "op": "bye_ok", "instance": "a", "later": 3})
    assert protocol.decode(body, "bye_ok") == {"v": V, "op": "bye_ok",
                                               "instance": "a"}


def test_decoder_refuses_bin_where_str_is_required():
    body = msgpack.packb({"v": V, "op": "bye_ok", "instance": b"a"},
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


# ---- reply policies (protocol section 13) ---------------------------------


def _keys(body):
    return list(msgpack.unpackb(body))


def test_wait_leaves_both_policies_to_the_broker_by_default():
    _, body = RequestBuilder(1 << 20).emit("a", {}, True, 1.0)
    assert _keys(body)[-2:] == ["wait", "timeout_ms"]


def test_wait_writes_expect_then_on_failure_when_given():
    _, body = RequestBuilder(1 << 20).emit("a", {}, True, 1.0, "all", "closed")
    fields = msgpack.unpackb(body)
    assert _keys(body)[-3:] == ["timeout_ms", "expect", "on_failure"]
    assert (fields["expect"], fields["on_failure"]) == ("all", "closed")


def test_fire_and_forget_still_writes_expect_first():
    _, body = RequestBuilder(1 << 20).emit("a", {})
    assert msgpack.unpackb(body)["expect"] == "first"


@pytest.mark.parametrize("kwargs", [{"policy": "most"}, {"on_failure": "ajar"},
                                    {"expect": "some"},
                                    {"policy": "all", "expect": "first"}])
def test_bad_policy_arguments_are_value_errors_before_sending(short_dir, kwargs):
    with hookbus.Emitter(directory=short_dir) as emitter:
        with pytest.raises(ValueError):
            emitter.emit_and_wait("a", {}, timeout=0.1, **kwargs)


def test_async_emitter_checks_policy_arguments_too(short_dir):
    import asyncio

    async def main():
        async with hookbus.AsyncEmitter(directory=short_dir) as emitter:
            await emitter.emit_and_wait("a", {}, timeout=0.1, on_failure="shut")
    with pytest.raises(ValueError, match="on_failure"):
        asyncio.run(main())


def test_expect_is_an_alias_of_policy():
    from hookbus._requests import resolve_policy
    assert resolve_policy(None, None, "all") == ("all", None)
    assert resolve_policy("all", "open", "all") == ("all", "open")


@pytest.mark.parametrize("hooks", [0, -1, True, 1.5])
def test_ready_needs_a_whole_number_of_hooks(hooks):
    with pytest.raises(ValueError):
        RequestBuilder(1 << 20).ready("a", hooks, 1.0)


def test_ready_request_is_canonical():
    _, body = RequestBuilder(1 << 20).ready("a", 2, 0.3)
    assert msgpack.unpackb(body) == {"v": V, "op": "ready", "req": 1, "name": "a",
                                     "hooks": 2, "timeout_ms": 300}


def test_hello_omits_an_empty_observe_and_writes_a_given_one():
    plain = protocol.encode("hello", instance="i", hook="h", events=["a"],
                            observe=[])
    assert "observe" not in msgpack.unpackb(plain)
    both = protocol.encode("hello", instance="i", hook="h", events=[],
                           observe=["a"])
    assert msgpack.unpackb(both)["observe"] == ["a"]


def test_reply_ack_writes_registered_only_when_false():
    assert "registered" not in msgpack.unpackb(
        protocol.encode("reply_ack", id="e", accepted=True, registered=True))
    assert msgpack.unpackb(protocol.encode(
        "reply_ack", id="e", accepted=False, registered=False))["registered"] is False


def _result(**more):
    fields = {"req": 1, "id": "e", "outcome": "timed_out", "replies": [],
              "expect": "all", "on_failure": "closed", "verdict": "vetoed",
              "decided_by": "policy", "vetoes": [], "missing": []}
    fields.update(more)
    return protocol.decode_response(protocol.encode("result", fields), "emit")


def test_closed_timeout_is_a_veto_by_policy_with_its_reason():
    from hookbus._requests import outcome_of
    outcome = outcome_of(_result(
        replies=[{"hook": "ok", "instance": "i1", "reply_json": "{}",
                  "latency_us": 42}],
        vetoes=[{"hook": "mute", "instance": "i2", "reason": "mute timed out"}],
        missing=[{"hook": "mute", "instance": "i2", "why": "timed_out"}]))
    assert (outcome.status, outcome.verdict, outcome.decided_by) == (
        "timed_out", "vetoed", "policy")
    assert (outcome.vetoed, outcome.abort) == (True, "mute timed out")
    assert (outcome.policy, outcome.on_failure) == ("all", "closed")
    assert outcome.missing == [hookbus.Missing("mute", "i2", "timed_out")]
    assert outcome.vetoes == [hookbus.Veto("mute", "i2", "mute timed out")]
    assert outcome.replies[0].latency_us == 42


def test_allowed_outcome_has_an_empty_abort_and_is_not_vetoed():
    from hookbus._requests import outcome_of
    outcome = outcome_of(_result(outcome="incomplete", on_failure="open",
                                 verdict="allowed"))
    assert outcome.status == hookbus.Status.INCOMPLETE == "incomplete"
    assert (outcome.vetoed, outcome.abort) == (False, "")


def test_result_without_a_verdict_is_refused():
    body = msgpack.packb({"v": V, "op": "result", "req": 1, "id": "",
                          "outcome": "no_hook", "replies": []})
    with pytest.raises(protocol.ProtocolError) as caught:
        protocol.decode_response(body, "emit")
    assert caught.value.code == "bad_field"


@pytest.mark.parametrize("reply, reason", [
    ('{"abort":"no"}', "no"), ('{"abort":""}', ""), ('{"abort":null}', ""),
    ('{"abort":false}', ""), ('{"abort":true}', "true"), ('{"abort":3}', "3"),
    ('{"abort":{"a":1}}', '{"a":1}'), ("{}", "")])
def test_reply_abort_follows_the_veto_rule(reply, reason):
    answer = {"hook": "h", "instance": "", "reply_json": reply}
    assert hookbus.Reply.from_wire(answer).abort == reason


def test_readiness_is_true_exactly_when_ready():
    assert hookbus.Readiness(True, 2) and not hookbus.Readiness(False, 1)
    assert hookbus.Readiness(False, 1).hooks == 1


def test_hook_needs_a_name_to_answer_or_observe(short_dir):
    with pytest.raises(ValueError, match="at least one"):
        hookbus.Hook("h", [], directory=short_dir)
    with pytest.raises(ValueError, match="both answered and observed"):
        hookbus.Hook("h", ["a"], observe=["a"], directory=short_dir)
    with pytest.raises(ValueError, match="invalid event name"):
        hookbus.Hook("h", [], observe=["$x"], directory=short_dir)


def test_observer_refuses_to_answer_an_observed_event(short_dir):
    with hookbus.Hook("h", ["a"], observe=["b"], directory=short_dir) as hook:
        assert (hook.names, hook.observe) == (["a"], ["b"])
        event = hookbus.Event("b", "e", 1, 1, 0, None, "{}", hook)
        with pytest.raises(ValueError, match="observes"):
            event.reply(abort="no")


def test_app_refuses_a_name_both_handled_and_observed():
    app = hookbus.HookApp("h")
    app.on("a")(lambda event: None)
    with pytest.raises(ValueError, match="already has a handler"):
        app.observe("a")
