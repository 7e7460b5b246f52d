"""The demo grid `make run` builds on an empty store, as data: the grid, its plant, and 40
prosumers of every kind with every asset type (read the table below; `demo.py` builds it).

Wallets are anvil's deterministic dev accounts (the mnemonic `test test … junk`), numbered in
the table (accounts 10-49, so 0 stays the operator and 1-9 free for your own prosumers).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

NAME = "Demo: Visby"  # how `flask demo` finds its grid again
SEED = 7
FIRST_ACCOUNT = 10  # anvil account of the first demo prosumer

GRID: dict[str, Any] = {
    "name": NAME,
    "timezone": "Europe/Stockholm",
    "timeframe_minutes": 15,
    "currency": "EUR",
    "import_price": Decimal("0.30"),
    "feed_in_price": Decimal("0.08"),
    "mechanism": "supply_demand",
    "latitude": Decimal("57.64"),
    "longitude": Decimal("18.30"),
}
PLANT: dict[str, Any] = {
    "max_output_w": 150_000,
    "status": "running",
    "ratio": Decimal("0.1"),
    "buffer_capacity_wh": 50_000,
    "carbon_g_per_kwh": 820,
}

# 24 hourly factors in percent (local time from 00:00), as the seed's consumer `timefn`.
HOME = "20 20 20 20 20 30 60 70 40 30 30 30 30 30 30 40 50 80 100 90 70 50 30 20"
OFFICE = "10 10 10 10 10 10 20 60 90 100 100 90 80 90 100 90 70 40 20 10 10 10 10 10"
NIGHT = "100 100 100 100 100 100 100 50 0 0 0 0 0 0 0 0 50 100 100 100 100 100 100 100"
FLAT = "30 20 20 20 20 30 70 80 50 30 30 40 40 30 30 40 60 90 100 100 80 60 40 30"
WEEKEND = "10 10 10 10 10 10 10 10 20 20 20 20 20 20 20 20 10 10 10 10 10 10 10 10"


def profile(percent: str) -> list[Decimal]:
    return [Decimal(x) / 100 for x in percent.split()]


def turbine(name: str, rated_w: int, hub_m: int) -> dict[str, Any]:
    return {"type": "wind_turbine", "name": name, "rated_power_w": rated_w, "hub_height_m": hub_m}


def pv(name: str, peak_w: int, tilt: str = "35", azimuth: str = "180") -> dict[str, Any]:
    return {
        "type": "pv",
        "name": name,
        "peak_power_w": peak_w,
        "tilt_deg": Decimal(tilt),
        "azimuth_deg": Decimal(azimuth),
    }


def battery(name: str, capacity_wh: int, power_w: int) -> dict[str, Any]:
    return {
        "type": "battery",
        "name": name,
        "capacity_wh": capacity_wh,
        "max_charge_w": power_w,
        "max_discharge_w": power_w,
        "round_trip_efficiency": Decimal("0.9"),
        "initial_soc": Decimal("0.5"),
    }


def load(name: str, peak_w: int, shape: str, weekend: str | None = None) -> dict[str, Any]:
    body = {"type": "load", "name": name, "peak_w": peak_w, "profile": profile(shape)}
    return body | ({"weekend_profile": profile(weekend)} if weekend else {})


def scheduled(name: str, power_w: int, energy_wh: int, start: str, end: str) -> dict[str, Any]:
    return {
        "type": "scheduled_load",
        "name": name,
        "power_w": power_w,
        "energy_wh": energy_wh,
        "window_start": start,
        "window_end": end,
    }


def appliance(name: str, consumption_w: int = 0, production_w: int = 0) -> dict[str, Any]:
    return {
        "type": "appliance",
        "name": name,
        "max_consumption_w": consumption_w,
        "max_production_w": production_w,
    }


@dataclass(frozen=True)
class Row:
    """`count` prosumers named `name 01`…, each with these assets and controls."""

    count: int
    kind: str
    name: str
    assets: tuple[dict[str, Any], ...]
    controls: tuple[str, str] | None = None  # (input_ratio, output_ratio); None: defaults
    members: int | None = None  # consumer groups only


# fmt: off
PROSUMERS: tuple[Row, ...] = (
    Row(8, "household", "Wind house", (
        turbine("roof turbine", 3_000, 18), battery("battery", 10_000, 3_000),
        load("house", 2_500, HOME), appliance("kettle", consumption_w=2_000)), ("1", "1")),
    Row(8, "household", "Solar house", (
        pv("roof", 6_000), battery("battery", 8_000, 3_000), load("house", 2_500, HOME),
        scheduled("dishwasher", 2_000, 1_500, "13:00", "17:00")), ("0.8", "0.6")),
    Row(6, "household", "EV house", (
        pv("roof", 4_000, "30", "200"), load("house", 2_000, HOME),
        scheduled("EV charger", 7_000, 12_000, "22:00", "06:00"))),
    Row(4, "household", "Flat", (load("flat", 1_500, FLAT),)),
    Row(3, "business", "Bakery", (
        pv("roof", 10_000), load("ovens", 9_000, OFFICE, WEEKEND),
        scheduled("proofer", 3_000, 6_000, "02:00", "06:00"))),
    Row(2, "business", "Workshop", (
        turbine("yard turbine", 10_000, 24), load("machines", 6_000, OFFICE, WEEKEND),
        battery("battery", 20_000, 5_000)), ("0.5", "1")),
    Row(2, "public", "School", (
        pv("gym roof", 20_000, "25"), load("classrooms", 12_000, OFFICE, WEEKEND),
        battery("battery", 40_000, 10_000)), ("1", "0.5")),
    Row(1, "public", "Street lights", (load("lamps", 4_000, NIGHT),)),
    Row(1, "public", "Gym", (
        appliance("exercise bikes", consumption_w=200, production_w=1_500),
        load("hall", 5_000, OFFICE))),
    Row(2, "producer", "Wind farm", (
        turbine("turbine A", 50_000, 40), turbine("turbine B", 50_000, 40))),
    Row(1, "producer", "Solar park", (
        pv("field east", 40_000, "30", "150"), pv("field west", 40_000, "30", "210"),
        battery("storage", 100_000, 25_000)), ("0.3", "1")),
    Row(2, "consumer_group", "Apartment block", (
        load("flat", 1_200, FLAT), appliance("washing machine", consumption_w=500)), members=24),
)
# fmt: on
