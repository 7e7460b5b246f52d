"""The PlantImportStore contract, run on every document engine."""

from __future__ import annotations

import pytest

from models.ports import DocumentStores

BIG = 2**62 + 7


def t(hour: int) -> str:
    return f"2026-10-01T{hour:02d}:00:00Z"


def test_rows_sum_per_prosumer_over_a_range(stores: DocumentStores) -> None:
    imports = stores.plant_imports
    imports.save_timeframe("g1", t(0), {"a": (100, 82), "b": (50, 41)})
    imports.save_timeframe("g1", t(1), {"a": (BIG, 1)})
    imports.save_timeframe("g1", t(2), {"a": (7, 6)})
    imports.save_timeframe("g2", t(1), {"a": (1_000, 820)})
    assert imports.sums("g1", "a", t(0), t(2)) == {
        "imported_wh": 100 + BIG,
        "carbon_g": 83,
        "timeframes": 2,
    }
    assert imports.sums("g1", "b", t(0), t(9)) == {
        "imported_wh": 50,
        "carbon_g": 41,
        "timeframes": 1,
    }
    assert imports.sums("g1", "zz", t(0), t(9)) == {
        "imported_wh": 0,
        "carbon_g": 0,
        "timeframes": 0,
    }
    assert imports.sums("g2", "a", t(0), t(1))["timeframes"] == 0  # the end is excluded


def test_saving_a_timeframe_again_replaces_its_rows(stores: DocumentStores) -> None:
    imports = stores.plant_imports
    imports.save_timeframe("g1", t(0), {"a": (100, 82), "b": (50, 41)})
    imports.save_timeframe("g1", t(0), {"a": (100, 82), "b": (50, 41)})
    assert imports.sums("g1", "a", t(0), t(1))["imported_wh"] == 100
    imports.save_timeframe("g1", t(0), {"b": (60, 49)})
    assert imports.sums("g1", "a", t(0), t(1))["timeframes"] == 0
    assert imports.sums("g1", "b", t(0), t(1)) == {
        "imported_wh": 60,
        "carbon_g": 49,
        "timeframes": 1,
    }
    imports.save_timeframe("g1", t(0), {})
    assert imports.sums("g1", "b", t(0), t(1))["timeframes"] == 0


def test_a_float_is_refused(stores: DocumentStores) -> None:
    with pytest.raises(TypeError):
        stores.plant_imports.save_timeframe("g1", t(0), {"a": (1.5, 1)})  # type: ignore[dict-item]


def test_several_timeframes_at_once_and_a_grid_removed(stores: DocumentStores) -> None:
    imports = stores.plant_imports
    imports.save_timeframe("g1", t(1), {"b": (9, 9)})
    imports.save_timeframes("g1", {t(0): {"a": (1, 2)}, t(1): {"a": (3, 4)}})
    imports.save_timeframes("g2", {t(0): {"a": (5, 6)}})
    assert imports.sums("g1", "a", t(0), t(9)) == {"imported_wh": 4, "carbon_g": 6, "timeframes": 2}
    assert imports.sums("g1", "b", t(0), t(9))["timeframes"] == 0  # t(1)'s rows were replaced
    imports.delete_grid("g1")
    assert imports.sums("g1", "a", t(0), t(9))["timeframes"] == 0
    assert imports.sums("g2", "a", t(0), t(9))["imported_wh"] == 5
