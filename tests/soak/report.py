"""The soak's tables on stdout, and its verdict."""

from __future__ import annotations

from collections import Counter

from tests.soak.checks import Fault, ServerError, Tally, documented


def table(headers: list[str], rows: list[list[object]]) -> str:
    """A plain aligned text table (first column left, the rest right)."""
    cells = [headers, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        parts = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(parts))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def in_window(error: ServerError, fault: Fault, grace_s: float = 2.0) -> bool:
    return fault.began <= error.at <= fault.recovered + grace_s


def fault_rows(
    faults: list[Fault], errors: list[ServerError], acks: list[float], t0: float
) -> list[list[object]]:
    rows = []
    for f in faults:
        mine = [e for e in errors if in_window(e, f)]
        first_ack = min((t for t in acks if t >= f.back), default=None)
        rows.append(
            [
                f.name,
                f"{f.began - t0:.1f}",
                f"{f.back - f.began:.2f}",
                "-" if first_ack is None else f"{first_ack - f.back:.2f}",
                f"{f.recovered - f.back:.2f}",
                sum(1 for e in mine if documented(e, [f])),
                sum(1 for e in mine if e.status is not None and not documented(e, [f])),
                sum(1 for e in mine if e.status is None),
            ]
        )
    return rows


def undocumented(errors: list[ServerError], faults: list[Fault]) -> list[ServerError]:
    """5xx that are not a problem+json 503 during an outage, and no-answers outside any fault."""
    return [
        e
        for e in errors
        if not documented(e, faults)
        and (e.status is not None or not any(in_window(e, f) for f in faults))
    ]


def show(
    tallies: list[Tally],
    faults: list[Fault],
    errors: list[ServerError],
    counts: Counter[tuple[str, str]],
    acks: list[float],
    t0: float,
) -> bool:
    """Print the tables; True when nothing was lost or duplicated and no 5xx is undocumented."""
    print("\n== Acknowledged writes, read back at the end")
    rows = [[t.kind, t.acknowledged, t.lost, t.duplicated, t.unexpected] for t in tallies]
    print(table(["write", "acknowledged", "lost", "duplicated", "unexpected"], rows))
    for t in tallies:
        for example in t.examples:
            print(f"  {t.kind}: {example}")
    print(
        "\n== Faults: at (s into the load), down (until the component is back), then until the"
        "\n   first client write is acknowledged and until ready 200 + a probe write succeed"
    )
    heads = [
        "fault",
        "at",
        "down",
        "1st write",
        "ready+probe",
        "503 (doc.)",
        "other 5xx",
        "no answer",
    ]
    print(table(heads, fault_rows(faults, errors, acks, t0)))
    print("\n== Requests by kind and status")
    kinds = sorted({kind for kind, _ in counts})
    statuses = sorted({status for _, status in counts})
    print(table(["kind", *statuses], [[k, *[counts[(k, s)] for s in statuses]] for k in kinds]))
    bad = undocumented(errors, faults)
    print(f"\n== Undocumented 5xx or unexplained no-answers: {len(bad)}")
    for e in bad[:10]:
        print(f"  {e.status} problem={e.problem} {e.what}")
    return all(t.ok for t in tallies) and not bad
