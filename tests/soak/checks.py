"""The soak's ledger of writes and its reconciliation with what the stores hold (pure)."""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

ACK, UNKNOWN, REFUSED = "ack", "unknown", "refused"


def outcome_of(status: int | None) -> str:
    """2xx acknowledged; 4xx refused (nothing written); 5xx or no answer: unknown."""
    if status is not None and 200 <= status < 300:
        return ACK
    if status is not None and 400 <= status < 500:
        return REFUSED
    return UNKNOWN


@dataclass
class Expect:
    """What the store may hold for one key after all attempts on it."""

    acked: bool = False
    allowed: set[Any] = field(default_factory=set)


class WriteLog:
    """Every write attempt, in order per key (one client thread writes a given key)."""

    def __init__(self) -> None:
        self._attempts: dict[Hashable, list[tuple[Any, str]]] = {}
        self._lock = threading.Lock()

    def record(self, key: Hashable, value: Any, outcome: str) -> None:
        with self._lock:
            self._attempts.setdefault(key, []).append((value, outcome))

    def expectations(self) -> dict[Hashable, Expect]:
        """Per key: the last acknowledged value plus any later attempt whose outcome is unknown."""
        with self._lock:
            attempts = {key: list(tries) for key, tries in self._attempts.items()}
        out: dict[Hashable, Expect] = {}
        for key, tries in attempts.items():
            expect = Expect()
            for value, outcome in tries:
                if outcome == ACK:
                    expect = Expect(True, {value})
                elif outcome == UNKNOWN:
                    expect.allowed.add(value)
            out[key] = expect
        return out


@dataclass
class Tally:
    """The reconciliation of one kind of write."""

    kind: str
    acknowledged: int = 0
    lost: int = 0
    duplicated: int = 0
    unexpected: int = 0
    examples: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if len(self.examples) < 5:
            self.examples.append(text)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.unexpected == 0


def reconcile(
    kind: str, expected: dict[Hashable, Expect], stored: dict[Hashable, list[Any]]
) -> Tally:
    """Compare acknowledged writes with stored values (a list per key: one entry per copy).

    Lost: an acknowledged key that is absent or holds a value never acknowledged after.
    Duplicated: a key stored more than once. Unexpected: a stored value no attempt sent.
    """
    tally = Tally(kind)
    for key, expect in expected.items():
        values = stored.get(key, [])
        tally.acknowledged += expect.acked
        if len(values) > 1:
            tally.duplicated += 1
            tally.note(f"{key}: stored {len(values)} times {values[:3]}")
        if expect.acked and not any(value in expect.allowed for value in values):
            tally.lost += 1
            tally.note(f"{key}: acknowledged {sorted(map(str, expect.allowed))}, stored {values}")
        elif values and not all(value in expect.allowed for value in values):
            tally.unexpected += 1
            tally.note(f"{key}: stored {values}, never sent")
    for key in stored.keys() - expected.keys():
        tally.unexpected += 1
        tally.note(f"{key}: stored {stored[key]}, never written")
    return tally


def group(pairs: Iterable[tuple[Hashable, Any]]) -> dict[Hashable, list[Any]]:
    """[(key, value), ...] as {key: [value, ...]} (a key listed twice keeps both copies)."""
    out: dict[Hashable, list[Any]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


@dataclass(frozen=True)
class Fault:
    """One injected fault: when it began and when the service answered again."""

    name: str
    began: float
    back: float  # the faulty component is up again
    recovered: float  # first ready 200 and acknowledged probe write after `back`


@dataclass(frozen=True)
class ServerError:
    """A 5xx answer (or none at all) seen by a client."""

    at: float
    status: int | None  # None: connection refused/reset, no answer
    problem: bool  # application/problem+json body
    what: str


def documented(error: ServerError, faults: list[Fault], grace_s: float = 2.0) -> bool:
    """A problem+json 503 while a fault lasts (until `grace_s` after recovery) is documented."""
    return (
        error.status == 503
        and error.problem
        and any(f.began <= error.at <= f.recovered + grace_s for f in faults)
    )
