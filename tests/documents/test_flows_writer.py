"""FlowsWriter on every document engine: rows built by the worker, errors raised by the caller."""

from __future__ import annotations

from functools import partial

import pytest

from models.documents.shapes import FLOW_FIELDS
from models.ports import DocumentStores
from models.services.flows_writer import FlowsWriter, flow_rows

STARTS = ["2026-10-01T00:00:00Z", "2026-10-01T00:15:00Z"]
IDS = ["b", "a"]  # the fleet's order; `order` puts them as ["a", "b"]


def frames() -> list[list[list[int]]]:
    """Per timeframe one column per field, a value per prosumer of IDS."""
    return [
        [[100 * t + 10 * f + p for p in range(len(IDS))] for f in range(len(FLOW_FIELDS))]
        for t in range(len(STARTS))
    ]


@pytest.mark.parametrize("separate", [False, True], ids=["thread", "process"])
def test_rows_built_and_written_by_the_worker(stores: DocumentStores, separate: bool) -> None:
    with FlowsWriter(stores.flows, separate_process=separate) as writer:
        writer.submit(partial(flow_rows, "g1", ["a", "b"], STARTS, frames(), [1, 0]))
    for t, start in enumerate(STARTS):
        got = stores.flows.at("g1", start)
        assert set(got) == {"a", "b"}
        for p, pid in enumerate(IDS):
            values = [got[pid][f] for f in FLOW_FIELDS]
            assert values == [100 * t + 10 * f + p for f in range(len(FLOW_FIELDS))]


@pytest.mark.parametrize("separate", [False, True], ids=["thread", "process"])
def test_a_failed_batch_is_raised_by_the_next_submit(
    stores: DocumentStores, separate: bool
) -> None:
    bad = frames()
    bad[1][0][0] = 1.5  # type: ignore[call-overload]
    with FlowsWriter(stores.flows, separate_process=separate) as writer:
        writer.submit(partial(flow_rows, "g1", IDS, STARTS, bad))
        with pytest.raises(TypeError):
            writer.submit(partial(flow_rows, "g1", IDS, STARTS, frames()))
    assert stores.flows.at("g1", STARTS[0]) == {}
