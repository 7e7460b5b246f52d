"""The dashboard in headless chromium against the devserver with a seeded, settled month.

Every page is loaded with a pasted key; charts are checked by the timeframes they draw, the
verify button against the contract on anvil, the wallet payment through an injected wallet.
"""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from tests.dashboard import scripts
from tests.dashboard.browser import Tab, tab
from tests.dashboard.live import MONTH, Live

pytestmark = pytest.mark.anvil
TIMEFRAMES = 31 * 8  # October in 3-hour timeframes
MONTH_VIEW = "?range=month&date=2026-10-15"
# the header asks GET /grids what a key may see: a prosumer key's 403 is that answer, not a fault
PROBE_403 = ("/api/v1/grids?page_size=100", "403")


def no_console_errors(page: Tab, *expected: tuple[str, str]) -> None:
    errors = page.console_errors(expected)
    assert errors == [], errors


def test_the_overview_draws_a_point_per_closed_timeframe(browser: WebDriver, live: Live) -> None:
    with tab(browser, live.base) as page:
        page.open(MONTH_VIEW, live.admin)
        page.until(lambda d: page.find("main").get_attribute("data-render-ms"))
        assert page.points("energy-chart") == TIMEFRAMES
        assert page.points("price-chart") == TIMEFRAMES
        counts = page.text("counts")
        assert "Prosumers\n4" in counts and f"Closed timeframes\n{TIMEFRAMES}" in counts
        assert "Open timeframes (ended, not closed)\n0" in counts
        assert len(browser.find_elements(By.CSS_SELECTOR, "#energy-chart .uplot canvas")) == 1
        legend = page.text("energy-chart")
        assert all(
            f"{name} (Wh)" in legend for name in ("Production", "Consumption", "Import", "Export")
        )
        plant_charts(page, live)
        took = page.find("main").get_attribute("data-render-ms")
        print(f"\noverview, {TIMEFRAMES} points per series: drawn in {took} ms")
        Select(page.find("range-kind")).select_by_value("week")
        page.until(lambda d: page.points("energy-chart") == 7 * 8)
        Select(page.find("range-kind")).select_by_value("day")
        page.until(lambda d: page.points("energy-chart") == 8)
        page.find("prev").click()
        page.until(lambda d: page.find("range-date").get_attribute("value") == "2026-10-14")
        page.until(lambda d: page.points("energy-chart") == 8)
        no_console_errors(page)


def plant_charts(page: Tab, live: Live) -> None:
    """The plant's output, unserved energy and carbon are drawn when snapshots carry them."""
    range_ = "from=2026-10-01T00:00:00Z&to=2026-10-01T03:00:00Z"
    first = live.call("GET", f"/grids/{live.grid['id']}/snapshots?{range_}")[0]
    if first.get("plant") is None:
        assert page.find("plant-chart").get_attribute("hidden") is not None
        return
    assert page.points("plant-chart") == page.points("carbon-chart") == TIMEFRAMES
    legend = page.text("plant-chart")
    assert "Plant delivered (Wh)" in legend and "Unserved (Wh)" in legend


def test_communities_are_drawn_with_their_peaks(browser: WebDriver, live: Live) -> None:
    if not live.community:
        pytest.skip("this API has no communities (GET /grids/{grid_id}/communities undocumented)")
    cid = live.community["id"]
    peaks = live.call(
        "GET", f"/communities/{cid}/peaks?from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z"
    )
    with tab(browser, live.base) as page:
        page.open(MONTH_VIEW, live.admin)
        shown = page.until_text("communities", "peak(s) shaded")
        assert (
            f"Storgatan: autarky (balance ≥ 0 W is autarkic), {len(peaks)} peak(s) shaded" in shown
        )
        assert page.points(f"community-{cid}") == TIMEFRAMES
        assert peaks, "the threshold is set for the seeded month to have peaks"
        no_console_errors(page)


@pytest.mark.parametrize(
    ("who", "where", "problem"),
    [
        ("refused", "shell-status", "401 Unauthorized\nthe API key is unknown, revoked or expired"),
        ("House 1", "problem", "403 Forbidden\nthe prosumer role may not GET /api/v1/grids/"),
    ],
    ids=["unknown-key", "prosumer-key"],
)
def test_a_key_that_may_not_see_the_grid_shows_the_problem(
    browser: WebDriver, live: Live, who: str, where: str, problem: str
) -> None:
    key = "mg_deadbeef_not-a-key" if who == "refused" else live.keys[who]
    with tab(browser, live.base) as page:
        page.open(f"?grid={live.grid['id']}", key)
        page.until_text(where, problem)
        assert page.points("energy-chart") is None and page.text("counts") == ""
        no_console_errors(page, ("/api/v1/", problem[:3]))


def test_the_market_lists_a_timeframes_trades_with_sums_and_nets(
    browser: WebDriver, live: Live
) -> None:
    gid, start = live.grid["id"], "2026-10-15T12:00:00Z"
    trades = live.call("GET", f"/grids/{gid}/transactions?from={start}&to=2026-10-15T15:00:00Z")
    with tab(browser, live.base) as page:
        page.open(f"market.html?start={start}", live.admin)
        page.until_text("mechanism", "mid_market")
        shown = page.until_text("trades", f"{len(trades['transactions'])} trades")
        sums = trades["page_sums"]
        energy = f"{sums['energy_wh']:,}"
        amount = (
            f"{sums['amount_minor'] / 100:.2f} EUR"  # display only: cents as written on the page
        )
        assert f"Sum {energy} {amount}" in shown, shown
        nets = page.text("nets")
        assert (
            all(name in nets for name in live.prosumers)
            and "Each prosumer's net (4 prosumers)" in nets
        )
        assert "Local price (buy / sell)\n0.20 / 0.20 EUR/kWh" in page.text("prices")
        page.find("next").click()
        page.until(lambda d: "2026-10-15 15:00" in page.text("prices"))
        no_console_errors(page)


def test_the_settlement_page_shows_the_month_its_transactions_and_lines(
    browser: WebDriver, live: Live
) -> None:
    run = live.call("GET", f"/grids/{live.grid['id']}/settlements/{MONTH}")
    with tab(browser, live.base) as page:
        page.open(f"settlement.html?rpc={live.rpc}", live.admin)
        assert MONTH in page.until_text("months", "settled")
        shown = page.until_text("run", "Statements (4)")
        assert run["root"] in shown and run["period_id"] in shown
        totals = run["totals"]
        assert f"{totals['credits_paid']} paid, {totals['credits_deferred']} deferred" in shown
        assert f"{totals['debits_due']} due" in shown
        rows = browser.find_elements(By.CSS_SELECTOR, "#run table:first-of-type tbody tr")
        assert len(rows) == len(run["transactions"])
        blocks = [row.find_elements(By.TAG_NAME, "td")[-1] for row in rows]
        page.until(lambda d: all(b.text.isdigit() for b in blocks))  # read from anvil with ethers
        assert "Start settling" not in shown  # a settled month is not started again
        no_console_errors(page)


def statement_page(page: Tab, live: Live, who: str) -> str:
    prosumer = live.prosumers[who]["id"]
    page.open(f"prosumer.html?prosumer={prosumer}&month={MONTH}&rpc={live.rpc}", live.keys[who])
    return page.until_text("statement", "Verify against the chain")


def test_a_good_statement_is_verified_against_the_chain(browser: WebDriver, live: Live) -> None:
    week = "from=2026-10-26T00:00:00Z&to=2026-11-02T00:00:00Z"  # the week of the last flows
    flows = live.call("GET", f"/prosumers/{live.prosumers['House 1']['id']}/flows?{week}")
    with tab(browser, live.base) as page:
        statement_page(page, live, "House 1")
        page.until(lambda d: page.points("flows-chart") == len(flows))
        page.find("verify").click()
        assert page.until_text("verdict", "verified").startswith("verified")
        no_console_errors(page, PROBE_403)


@pytest.mark.parametrize(
    "tamper", [scripts.TAMPER_PROOF, scripts.TAMPER_AMOUNT], ids=["proof", "amount"]
)
def test_an_altered_statement_is_a_mismatch(browser: WebDriver, live: Live, tamper: str) -> None:
    with tab(browser, live.base, scripts=(tamper,)) as page:
        statement_page(page, live, "House 1")
        page.find("verify").click()
        shown = page.until_text("verdict", "mismatch")
        assert shown.startswith("mismatch") and "another root than the one on chain" in shown
        no_console_errors(page, PROBE_403)


def test_a_due_debit_is_paid_from_an_injected_wallet(browser: WebDriver, live: Live) -> None:
    flat = live.prosumers["Flat"]
    wallet = scripts.wallet(live.rpc, flat["wallet"])
    with tab(browser, live.base, scripts=(wallet,)) as page:
        shown = statement_page(page, live, "Flat")
        assert "debit: the prosumer pays" in shown
        payment = live.call("GET", f"/prosumers/{flat['id']}/statements/{MONTH}/payment")
        shown = page.until_text("payment", "Pay from my wallet")
        assert payment["value"] in shown and payment["to"] in shown and payment["from"] in shown
        page.find("pay").click()
        page.until_text("payment-outcome", "Payment paid")
        no_console_errors(page, PROBE_403)
    paid = live.call("GET", f"/prosumers/{flat['id']}/statements/{MONTH}/payment")
    assert paid["status"] == "paid"


@pytest.fixture(scope="module")
def small(live: Live) -> dict[str, Any]:
    """A second grid, nothing closed: two prosumers with readings for 2026-11-01 00:00."""
    grid = live.call(
        "POST",
        "/grids",
        {
            **{
                k: live.grid[k]
                for k in (
                    "timezone",
                    "timeframe_minutes",
                    "currency",
                    "import_price",
                    "feed_in_price",
                )
            },
            "name": "Small",
        },
    )
    ids = [
        live.call(
            "POST",
            f"/grids/{grid['id']}/prosumers",
            {"name": f"P{n}", "address": "x", "kind": "household", "wallet": f"0x{n + 1:040x}"},
        )["id"]
        for n in range(2)
    ]
    readings = [
        {"prosumer_id": ids[0], "produced_wh": 3000, "consumed_wh": 500},
        {"prosumer_id": ids[1], "produced_wh": 0, "consumed_wh": 1800},
    ]
    live.call(
        "PUT",
        f"/grids/{grid['id']}/timeframes/2026-11-01T00:00:00Z/readings",
        {"readings": readings},
    )
    return grid


def test_the_overview_follows_the_event_feed(
    browser: WebDriver, live: Live, small: dict[str, Any]
) -> None:
    with tab(browser, live.base) as page:
        page.open(f"?grid={small['id']}&range=day&date=2026-11-01&every=500", live.admin)
        page.until_text("live", "following the event feed")
        page.until(lambda d: page.points("energy-chart") == 0 and page.text("open-count") == "8")
        live.call("POST", f"/grids/{small['id']}/timeframes/2026-11-01T00:00:00Z/close")
        page.until(lambda d: page.points("energy-chart") == 1)
        page.until(lambda d: page.text("open-count") == "7")
        no_console_errors(page)


def test_a_month_not_settled_offers_the_start_button_and_shows_a_refusal(
    browser: WebDriver, live: Live, small: dict[str, Any]
) -> None:
    with tab(browser, live.base) as page:
        page.open(f"settlement.html?grid={small['id']}&month=2026-11&rpc={live.rpc}", live.admin)
        page.until_text("months", "No month has been settled yet")
        page.until_text("run", "2026-11 is not settled yet")
        page.find("start").click()
        shown = page.until_text("start-outcome", "409")
        assert "are not closed" in shown, shown  # the detail names what is still open
        # the month asked for is not settled (404, told as such) and cannot be yet (409, shown)
        no_console_errors(page, ("/settlements/2026-11?", "404"), ("/settlements", "409"))


PRICE_JS = """
const [cases, done] = [arguments[0], arguments[arguments.length - 1]];
import('/dashboard/js/price.js').then((m) => done(cases.map(
  (c) => m.localPrice(c.mechanism, c.import_price, c.feed_in_price, c.surplus_wh, c.deficit_wh),
)));
"""


def test_the_price_series_is_the_price_the_api_answers_for_each_mechanism(
    browser: WebDriver, live: Live, small: dict[str, Any]
) -> None:
    """The overview draws prices from snapshots' S and D by /price's formulas: they agree."""
    gid, start = small["id"], "2026-11-02T00:00:00Z"
    prosumers = live.call("GET", f"/grids/{gid}/prosumers")
    readings = [
        {"prosumer_id": prosumers[0]["id"], "produced_wh": 2900, "consumed_wh": 400},
        {"prosumer_id": prosumers[1]["id"], "produced_wh": 100, "consumed_wh": 1900},
    ]
    live.call("PUT", f"/grids/{gid}/timeframes/{start}/readings", {"readings": readings})
    live.call("POST", f"/grids/{gid}/timeframes/{start}/close")
    totals = live.call("GET", f"/grids/{gid}/timeframes/{start}")["totals"]
    answers = []
    for mechanism in ("mid_market", "supply_demand", "bill_sharing", "auction"):
        live.call("PATCH", f"/grids/{gid}", {"mechanism": mechanism})
        answers.append(live.call("GET", f"/grids/{gid}/price?at={start}"))
    assert all(
        (a["surplus_wh"], a["deficit_wh"]) == (totals["surplus_wh"], totals["deficit_wh"])
        for a in answers
    )
    with tab(browser, live.base) as page:
        page.open("", None)
        computed = browser.execute_async_script(PRICE_JS, answers)
    for answer, local in zip(answers, computed, strict=True):
        assert local["buy"] == float(answer["price"]), (answer, local)
        assert local["sell"] == float(answer["sell_price"]), (answer, local)
    assert (
        len({round(c["buy"], 12) for c in computed}) == 3
    )  # supply_demand and bill_sharing differ
