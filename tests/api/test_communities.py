"""Communities over HTTP (SQLite and PostgreSQL): CRUD, membership, scoping, closed snapshots,
netto and snapshots by community, peaks ending and loads resuming, events, and properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.domain.hashing import content_hash
from models.domain.timeframes import format_instant
from tests.api.test_communities_scenario import car, get, post
from tests.api.test_metering import line, put_bulk
from tests.conftest import GRID, add_prosumer, make_key, run_worker

T0 = datetime(2030, 11, 7, 15, 45, tzinfo=UTC)
STEP = timedelta(minutes=15)
DAY = "from=2030-11-07T00:00:00Z&to=2030-11-08T00:00:00Z"


def at(k: int) -> str:
    return format_instant(T0 + k * STEP)


def write(client: Any, headers: dict, gid: str, start: str, rows: list) -> None:
    """Readings in, then a worker runs the peak evaluation they queued."""
    assert put_bulk(client, headers, gid, start, rows).status_code == 200
    run_worker(client.application)


def etag(client: Any, headers: dict, url: str) -> dict[str, str]:
    return {**headers, "If-Match": client.get(url, headers=headers).headers["ETag"]}


def community(client: Any, admin: dict, grid: str, threshold: int = 2000, **extra: Any) -> str:
    body = {"name": "street", "peak_threshold_w": threshold, **extra}
    return str(post(client, admin, f"/api/v1/grids/{grid}/communities", body)["id"])


def test_crud_with_if_match_and_delete_only_when_empty(
    client: Any, admin: dict, grid: dict
) -> None:
    gid = grid["id"]
    made = client.post(
        f"/api/v1/grids/{gid}/communities",
        json={"name": "c", "peak_threshold_w": 2000},
        headers=admin,
    )
    assert made.status_code == 201
    assert made.json["peak_hysteresis"] == "0.1" and made.headers["Location"].endswith(
        made.json["id"]
    )
    url = f"/api/v1/communities/{made.json['id']}"
    assert client.patch(url, json={"name": "d"}, headers=admin).status_code == 428
    stale = {**admin, "If-Match": '"stale"'}
    assert client.patch(url, json={"name": "d"}, headers=stale).status_code == 412
    changed = client.patch(url, json={"peak_hysteresis": "0.25"}, headers=etag(client, admin, url))
    assert (changed.status_code, changed.json["peak_hysteresis"]) == (200, "0.25")
    bad = client.patch(url, json={"peak_hysteresis": "1.5"}, headers=etag(client, admin, url))
    assert bad.status_code == 400 and "peak_hysteresis" in bad.json["errors"]
    member = add_prosumer(client, admin, gid, 1, community_id=made.json["id"])
    busy = client.delete(url, headers=etag(client, admin, url))
    assert busy.status_code == 409 and "has members" in busy.json["detail"]
    purl = f"/api/v1/prosumers/{member['id']}"
    out = client.patch(purl, json={"community_id": None}, headers=etag(client, admin, purl))
    assert out.status_code == 200 and out.json["community_id"] is None
    assert client.delete(url, headers=etag(client, admin, url)).status_code == 204
    assert client.get(url, headers=admin).status_code == 404
    assert get(client, admin, f"/api/v1/grids/{gid}/communities") == []


def test_a_prosumer_joins_a_community_of_its_own_grid_only(
    client: Any, admin: dict, grid: dict, app: Any
) -> None:
    other = post(client, admin, "/api/v1/grids", GRID)["id"]
    foreign = community(client, admin, other)
    body = {"name": "x", "address": "a", "kind": "household", "wallet": "0x" + "cd" * 20}
    url = f"/api/v1/grids/{grid['id']}/prosumers"
    refused = client.post(url, json={**body, "community_id": foreign}, headers=admin)
    assert refused.status_code == 422 and refused.json["errors"] == {
        "community_id": ["belongs to another grid"]
    }
    missing = client.post(
        url, json={**body, "community_id": "00000000-0000-4000-8000-000000000000"}, headers=admin
    )
    assert missing.status_code == 422 and "community_id" in missing.json["errors"]
    mine = community(client, admin, grid["id"])
    prosumer = add_prosumer(client, admin, grid["id"], 1)
    purl = f"/api/v1/prosumers/{prosumer['id']}"
    own = make_key(app, role="prosumer", prosumer_id=prosumer["id"])
    barred = client.patch(purl, json={"community_id": mine}, headers=etag(client, own, purl))
    assert barred.status_code == 403
    moved = client.patch(purl, json={"community_id": mine}, headers=etag(client, admin, purl))
    assert moved.json["community_id"] == mine


def test_prosumers_see_only_their_own_communitys_aggregates(
    client: Any, admin: dict, grid: dict, app: Any
) -> None:
    gid = grid["id"]
    mine, theirs = community(client, admin, gid), community(client, admin, gid)
    me = add_prosumer(client, admin, gid, 1, community_id=mine)["id"]
    loner = add_prosumer(client, admin, gid, 2)["id"]
    key = make_key(app, role="prosumer", prosumer_id=me)
    alone = make_key(app, role="prosumer", prosumer_id=loner)
    for path in ("", f"/consumption?at={at(0)}", f"/autarky?at={at(0)}", "/notifications"):
        assert client.get(f"/api/v1/communities/{mine}{path}", headers=key).status_code == 200
        assert client.get(f"/api/v1/communities/{theirs}{path}", headers=key).status_code == 404
        assert client.get(f"/api/v1/communities/{mine}{path}", headers=alone).status_code == 404
    assert client.get(f"/api/v1/grids/{gid}/consumption?at={at(0)}", headers=key).status_code == 403
    operator = make_key(
        app, role="operator", grid_id=post(client, admin, "/api/v1/grids", GRID)["id"]
    )
    assert client.get(f"/api/v1/communities/{mine}", headers=operator).status_code == 404


@pytest.fixture
def street(client: Any, admin: dict, grid: dict) -> dict[str, Any]:
    """Community (2,000 W, hysteresis 0.1) of houses 1 and 2 with cars; house 3 outside."""
    gid = grid["id"]
    cid = community(client, admin, gid)
    h1, h2 = (add_prosumer(client, admin, gid, n, community_id=cid)["id"] for n in (1, 2))
    h3 = add_prosumer(client, admin, gid, 3)["id"]
    cars = [
        post(client, admin, f"/api/v1/prosumers/{h}/assets", car(w))
        for h, w in ((h1, 3000), (h2, 1000))
    ]
    return {"grid": gid, "community": cid, "h1": h1, "h2": h2, "h3": h3, "cars": cars}


def test_closed_snapshots_hold_community_totals_netto_and_lists_filter(
    client: Any, admin: dict, street: dict
) -> None:
    gid, cid = street["grid"], street["community"]
    rows = [line(street["h1"], 100, 500), line(street["h2"], 0, 300), line(street["h3"], 50, 10)]
    assert put_bulk(client, admin, gid, at(0), rows).status_code == 200
    snap = client.post(f"/api/v1/grids/{gid}/timeframes/{at(0)}/close?force=true", headers=admin)
    assert snap.status_code == 201
    body = dict(snap.json)
    assert body["content_hash"] == content_hash({**body, "_id": f"{gid}:{at(0)}"})  # all hashed
    (mine,) = body["communities"]
    assert (mine["community_id"], mine["consumption_w"], mine["production_w"], mine["peak"]) == (
        cid,
        3200,
        400,
        True,
    )
    by_id = {entry["prosumer_id"]: entry.get("community_id") for entry in body["lines"]}
    assert by_id == {street["h1"]: cid, street["h2"]: cid, street["h3"]: None}
    closed = get(client, admin, f"/api/v1/communities/{cid}/consumption?at={at(0)}")
    assert (closed["status"], closed["complete"], closed["consumption_w"]) == ("closed", True, 3200)
    listed = get(client, admin, f"/api/v1/grids/{gid}/snapshots?{DAY}&community_id={cid}")
    assert [s["communities"][0]["consumption_wh"] for s in listed] == [800]
    netto = get(client, admin, f"/api/v1/grids/{gid}/netto?{DAY}&community_id={cid}")
    assert sorted(r["prosumer_id"] for r in netto["prosumers"]) == sorted(
        [street["h1"], street["h2"]]
    )
    assert netto["community"] == {
        "community_id": cid,
        "production_wh": 100,
        "consumption_wh": 800,
        "net_wh": -700,
        "timeframes": 1,
    }
    assert put_bulk(client, admin, gid, at(1), [line(street["h1"], 900, 100)]).status_code == 200
    series = client.get(
        f"/api/v1/communities/{cid}/autarky?from={at(0)}&to={at(3)}&page_size=2", headers=admin
    )
    assert series.headers["X-Total-Count"] == "3" and 'rel="next"' in series.headers["Link"]
    first, second = series.json["points"]
    assert (first["status"], first["net_w"], first["autarkic"]) == ("closed", -2800, False)
    assert (second["status"], second["complete"], second["net_w"], second["missing_readings"]) == (
        "open",
        False,
        3200,
        1,
    )
    assert second["self_sufficiency"] == "1.0000"
    page2 = get(
        client,
        admin,
        f"/api/v1/communities/{cid}/autarky?from={at(0)}&to={at(3)}&page_size=2&page=2",
    )
    (third,) = page2["points"]
    assert (third["readings"], third["missing_readings"], third["self_sufficiency"]) == (0, 2, None)
    unknown = "00000000-0000-4000-8000-000000000000"
    assert (
        client.get(
            f"/api/v1/grids/{gid}/netto?{DAY}&community_id={unknown}", headers=admin
        ).status_code
        == 404
    )


def test_a_peak_ends_below_the_floor_and_resumes_what_it_paused(
    client: Any, admin: dict, street: dict, app: Any
) -> None:
    gid, cid, h1, h2 = street["grid"], street["community"], street["h1"], street["h2"]
    key = make_key(app, role="prosumer", prosumer_id=h1)
    rows = [line(h1, 0, 750 + 50), line(h2, 0, 250)]  # 4,200 W: pause the 3,000 W car only
    write(client, admin, gid, at(0), rows)
    first = get(client, key, f"/api/v1/prosumers/{h1}/commands")
    assert [c["action"] for c in first["commands"]] == ["pause"]
    assert get(client, admin, f"/api/v1/prosumers/{h2}/commands")["commands"] == []
    # 1,200 W + the paused 3,000 W: still a peak; then only partial sums: nothing ends
    write(client, admin, gid, at(1), [line(h1, 0, 50), line(h2, 0, 250)])
    write(client, admin, gid, at(2), [line(h1, 0, 0)])
    (peak,) = get(client, admin, f"/api/v1/communities/{cid}/peaks?{DAY}")
    assert peak["ongoing"] is True and peak["peak_w"] == 4200
    # the car's window ends at 22:00 local: after it, 0 W + nothing to resume: the peak ends
    late = T0.replace(hour=21, minute=0)  # 22:00 in Stockholm
    stamp = format_instant(late)
    write(client, admin, gid, stamp, [line(h1, 0, 10), line(h2, 0, 10)])
    (peak,) = get(client, admin, f"/api/v1/communities/{cid}/peaks?{DAY}")
    assert (peak["ongoing"], peak["ended_at"]) == (False, stamp)
    commands = get(client, key, f"/api/v1/prosumers/{h1}/commands")["commands"]
    assert [c["action"] for c in commands] == ["pause", "resume"]
    later = get(client, key, f"/api/v1/prosumers/{h1}/commands?after={commands[0]['seq']}")
    assert [c["action"] for c in later["commands"]] == ["resume"]
    assert later["next_after"] == commands[1]["seq"]
    events = get(client, key, "/api/v1/events?type=device.command")
    assert [(e["prosumer_id"], e["data"]["action"]) for e in events] == [
        (h1, "pause"),
        (h1, "resume"),
    ]
    assert events[0]["data"]["asset_id"] == street["cars"][0]["id"]
    notes = get(client, key, f"/api/v1/communities/{cid}/notifications")["notifications"]
    assert [n["event"] for n in notes] == ["peak_started", "peak_ended"]
    assert notes[1]["peak"] is False and notes[1]["peak_w"] == 4200


phases = st.lists(
    st.tuples(st.integers(0, 1200), st.integers(0, 1200), st.integers(0, 1200)),
    min_size=1,
    max_size=6,
)


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(phases)
def test_property_community_totals_sum_to_the_grid_and_notifications_follow_changes(
    client: Any, admin: dict, street: dict, values: list[tuple[int, int, int]]
) -> None:
    """Each example continues the street's timeline on a new day: readings of the three houses
    (house 1 produces, houses 2 and 3 consume); whatever they are, the community totals and the
    rest sum to the grid's, autarky notifications alternate and appear once per change, and the
    peaks never overlap."""
    gid, cid = street["grid"], street["community"]
    street["day"] = street.get("day", 0) + 1
    base = T0 + timedelta(days=street["day"])
    finals = street.setdefault("finals", [])
    for k, (made, used, other) in enumerate(values):
        stamp = format_instant(base + k * STEP)
        rows = [
            line(street["h1"], made, 0),
            line(street["h2"], 0, used),
            line(street["h3"], 0, other),
        ]
        assert put_bulk(client, admin, gid, stamp, rows).status_code == 200
        finals.append(made >= used)
        grid_view = get(client, admin, f"/api/v1/grids/{gid}/consumption?at={stamp}")
        parts = [*grid_view["communities"], grid_view["outside_communities"]]
        for field in ("production_wh", "consumption_wh", "readings", "missing_readings"):
            assert sum(p[field] for p in parts) == grid_view[field]
        assert grid_view["consumption_wh"] == used + other
    # one task for every write of the example: it evaluates the timeframes oldest first
    assert run_worker(client.application) == 1
    notes = get(client, admin, f"/api/v1/communities/{cid}/notifications?limit=1000")
    autarky = [n["autarky"] for n in notes["notifications"] if "autarky" in n]
    changes = [b for a, b in zip([False, *finals], finals, strict=False) if a != b]
    assert autarky == changes  # alternating, one per change, none without
    year = "from=2030-01-01T00:00:00Z&to=2031-01-01T00:00:00Z&page_size=1000"
    peaks = get(client, admin, f"/api/v1/communities/{cid}/peaks?{year}")
    for before, after in zip(peaks, peaks[1:], strict=False):
        assert before["ended_at"] is not None and before["ended_at"] <= after["started_at"]


def test_an_open_timeframe_read_follows_every_write(client: Any, admin: dict, street: dict) -> None:
    """The kept per-community sums never outlive a reading or a membership change."""
    gid, cid = street["grid"], street["community"]
    url = f"/api/v1/grids/{gid}/consumption?at={at(0)}"
    assert put_bulk(client, admin, gid, at(0), [line(street["h3"], 0, 100)]).status_code == 200
    first = get(client, admin, url)
    assert (
        first["communities"][0]["readings"],
        first["outside_communities"]["consumption_wh"],
    ) == (0, 100)
    assert get(client, admin, url) == first  # kept
    purl = f"/api/v1/prosumers/{street['h3']}"
    moved = client.patch(purl, json={"community_id": cid}, headers=etag(client, admin, purl))
    assert moved.status_code == 200
    after = get(client, admin, url)
    assert (
        after["communities"][0]["consumption_wh"],
        after["outside_communities"]["consumption_wh"],
    ) == (100, 0)
    assert put_bulk(client, admin, gid, at(0), [line(street["h3"], 0, 40)]).status_code == 200
    assert get(client, admin, url)["communities"][0]["consumption_wh"] == 40


def test_a_trusted_partner_buys_per_asset_consumption_under_pseudonyms(
    client: Any, admin: dict, street: dict, app: Any
) -> None:
    gid, h1 = street["grid"], street["h1"]
    post(
        client,
        admin,
        f"/api/v1/prosumers/{h1}/assets",
        {"type": "appliance", "name": "m", "max_consumption_w": 500},
    )
    rows = [line(h1, 0, 1000), line(street["h2"], 0, 0)]  # 4,000 W: the 3,000 W car is paused
    write(client, admin, gid, at(0), rows)
    bodies = {}
    for name in ("one", "two"):
        body = {"name": name, "trust_level": 3, "datapoints": 250}
        partner = post(client, admin, f"/api/v1/grids/{gid}/partners", body)
        key = make_key(app, role="partner", partner_id=partner["id"])
        bodies[name] = get(client, key, f"/api/v1/grids/{gid}/consumption/assets?at={at(0)}")
        listed = get(client, admin, f"/api/v1/grids/{gid}/partners")
        assert next(p["datapoints"] for p in listed if p["id"] == partner["id"]) == 150
    one, two = bodies["one"]["assets"], bodies["two"]["assets"]
    assert sorted((a["type"], a["consumption_w"]) for a in one) == [
        ("appliance", 500),
        ("scheduled_load", 0),  # house 1's car, paused by the peak
        ("scheduled_load", 1000),  # house 2's car runs in its window
    ]
    ids = {a["producer_id"] for a in one} | {a["asset_id"] for a in one}
    assert not ids & {h1, street["h2"], *(c["id"] for c in street["cars"])}
    assert not ids & ({a["producer_id"] for a in two} | {a["asset_id"] for a in two})
    mine = get(client, admin, f"/api/v1/grids/{gid}/consumption/assets?at={at(0)}")["assets"]
    assert {a["producer_id"] for a in mine} == {h1, street["h2"]}  # operators see the real ids


def test_a_correction_recounts_the_communities_of_its_version(
    client: Any, admin: dict, street: dict
) -> None:
    gid, cid = street["grid"], street["community"]
    rows = [line(street["h1"], 0, 100), line(street["h2"], 0, 100), line(street["h3"], 0, 100)]
    assert put_bulk(client, admin, gid, at(0), rows).status_code == 200
    url = f"/api/v1/grids/{gid}/timeframes/{at(0)}"
    assert client.post(url + "/close?force=true", headers=admin).status_code == 201
    body = {"reason": "meter under-read", "readings": [line(street["h2"], 0, 400)]}
    fixed = client.post(url + "/corrections", json=body, headers={**admin, "Idempotency-Key": "c1"})
    assert fixed.status_code == 201, fixed.json
    latest = get(client, admin, url)
    (mine,) = latest["communities"]
    assert (latest["version"], mine["community_id"], mine["consumption_wh"]) == (2, cid, 500)
    assert {x["prosumer_id"]: x.get("community_id") for x in latest["lines"]}[street["h2"]] == cid
