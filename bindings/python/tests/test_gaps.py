"""Loss detection rules of protocol section 9, without a broker."""

from hookbus._gaps import GapTracker


def facts(lag):
    return lag and (lag.name, lag.missed, lag.restarted)


def test_first_event_of_a_name_sets_the_baseline():
    gaps = GapTracker()
    gaps.on_welcome(5)
    assert gaps.on_event("a", 5, 40) is None


def test_consecutive_events_reveal_nothing():
    gaps = GapTracker()
    gaps.on_event("a", 5, 1)
    assert gaps.on_event("a", 5, 2) is None


def test_skipped_seq_reports_the_missed_count():
    gaps = GapTracker()
    gaps.on_event("a", 5, 1)
    assert facts(gaps.on_event("a", 5, 9)) == ("a", 7, False)


def test_names_are_tracked_separately():
    gaps = GapTracker()
    gaps.on_event("a", 5, 1)
    gaps.on_event("b", 5, 10)
    assert gaps.on_event("a", 5, 2) is None


def test_first_welcome_is_not_a_restart():
    assert GapTracker().on_welcome(5) is None


def test_welcome_of_a_new_run_reports_a_restart():
    gaps = GapTracker()
    gaps.on_welcome(5)
    assert facts(gaps.on_welcome(6)) == ("", 0, True)


def test_after_a_restart_every_baseline_is_zero():
    gaps = GapTracker()
    gaps.on_welcome(5)
    gaps.on_welcome(6)
    assert facts(gaps.on_event("a", 6, 4)) == ("a", 3, False)


def test_event_of_a_new_run_without_welcome_reports_restart_and_loss():
    gaps = GapTracker()
    gaps.on_event("a", 5, 1)
    assert facts(gaps.on_event("a", 6, 3)) == ("a", 2, True)


def test_straggler_of_a_retired_run_is_ignored():
    gaps = GapTracker()
    gaps.on_event("a", 5, 1)
    gaps.on_welcome(6)
    assert gaps.on_event("a", 5, 2) is None


def test_duplicate_seq_reveals_nothing():
    gaps = GapTracker()
    gaps.on_event("a", 5, 3)
    assert gaps.on_event("a", 5, 3) is None
