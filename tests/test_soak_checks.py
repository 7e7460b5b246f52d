"""The soak's reconciliation cannot pass silently: lost, duplicated or invented writes show."""

from __future__ import annotations

from tests.soak.checks import (
    ACK,
    REFUSED,
    UNKNOWN,
    Fault,
    ServerError,
    WriteLog,
    documented,
    group,
    outcome_of,
    reconcile,
)
from tests.soak.report import undocumented

KEY = ("prosumer-1", "2026-10-01T00:00:00Z")


def log_of(*attempts: tuple[object, str]) -> WriteLog:
    log = WriteLog()
    for value, outcome in attempts:
        log.record(KEY, value, outcome)
    return log


def test_outcomes_follow_the_status() -> None:
    assert [outcome_of(s) for s in (200, 201, 409, 422, 500, 503, None)] == [
        ACK,
        ACK,
        REFUSED,
        REFUSED,
        UNKNOWN,
        UNKNOWN,
        UNKNOWN,
    ]


def test_an_acknowledged_write_missing_from_the_store_is_lost() -> None:
    tally = reconcile("reading", log_of(((1, 2), ACK)).expectations(), {})
    assert (tally.acknowledged, tally.lost, tally.ok) == (1, 1, False)
    assert "prosumer-1" in tally.examples[0]


def test_an_older_value_where_a_newer_one_was_acknowledged_is_lost() -> None:
    log = log_of(((1, 2), ACK), ((3, 4), ACK))
    tally = reconcile("reading", log.expectations(), {KEY: [(1, 2)]})
    assert tally.lost == 1


def test_a_key_stored_twice_is_duplicated() -> None:
    tally = reconcile("reading", log_of(((1, 2), ACK)).expectations(), {KEY: [(1, 2), (1, 2)]})
    assert (tally.duplicated, tally.lost, tally.ok) == (1, 0, False)


def test_a_value_nobody_sent_is_unexpected() -> None:
    tally = reconcile("reading", log_of(((1, 2), REFUSED)).expectations(), {KEY: [(9, 9)]})
    assert (tally.acknowledged, tally.unexpected, tally.ok) == (0, 1, False)
    other = reconcile("reading", {}, group([(KEY, (1, 2))]))
    assert other.unexpected == 1


def test_a_write_with_an_unknown_outcome_may_or_may_not_have_landed() -> None:
    log = log_of(((1, 2), ACK), ((3, 4), UNKNOWN))
    for stored in ([(1, 2)], [(3, 4)]):
        assert reconcile("reading", log.expectations(), {KEY: stored}).ok
    assert reconcile("reading", log_of(((3, 4), UNKNOWN)).expectations(), {}).ok


def test_only_a_problem_503_during_a_fault_is_documented() -> None:
    faults = [Fault("postgres", began=10.0, back=13.0, recovered=14.0)]
    inside = ServerError(12.0, 503, True, "PUT")
    assert documented(inside, faults)
    assert not documented(ServerError(12.0, 500, True, "PUT"), faults)
    assert not documented(ServerError(12.0, 503, False, "PUT"), faults)
    late = ServerError(30.0, 503, True, "PUT")
    silent_inside, silent_late = (
        ServerError(12.0, None, False, "x"),
        ServerError(30.0, None, False, "x"),
    )
    bad = undocumented([inside, late, silent_inside, silent_late], faults)
    assert bad == [late, silent_late]
