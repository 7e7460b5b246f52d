"""Supply and demand pricing (the seed's market service): the local price follows the balance.

With surpluses s_i, deficits d_j, S = sum(s_i) and D = sum(d_j) over the timeframe's nets (as in
mid-market, before any order is matched), the local price of the timeframe is

    p_t = p_fit + (p_imp - p_fit) * D / (S + D) = (p_fit * S + p_imp * D) / (S + D)

and p_t = p_mid when S = D = 0. Only demand: p_imp; only supply: p_fit; balanced: p_mid.
Orders acceptable at p_t are matched first at p_t (as at p_mid under "mid_market"); the rest
is cleared by the mid-market rule with p_t in place of p_mid: V = min(S, D) is traded at p_t
(kind "local", split to the Wh by largest remainder), the residual with the plant at p_fit or
p_imp. p_t is a rational: every amount is energy_wh * p_t / 1000 * 10**scale computed from its
exact ratio and rounded half-even once per line; the unit_price shown on "local" and "order"
lines is p_t rounded half-even to 12 decimal places (the amount is authoritative).
"""

from __future__ import annotations

from collections.abc import Mapping

from models.domain.bill_sharing import PRICE_PLACES
from models.domain.money import RatioPrice, scaled_ratio
from models.domain.trades import Prices


def supply_and_demand(nets: Mapping[str, int]) -> tuple[int, int]:
    """(S, D): the sum of surpluses and the sum of deficits of `nets` (Wh)."""
    values = nets.values()
    return sum(n for n in values if n > 0), -sum(n for n in values if n < 0)


def local_price(supply: int, demand: int, prices: Prices) -> RatioPrice:
    """p_t = (p_fit * S + p_imp * D) / (S + D) exactly (p_mid when both are 0)."""
    if supply < 0 or demand < 0:
        raise ValueError("supply and demand must be non-negative Wh")
    if supply == demand == 0:
        supply = demand = 1
    f_num, f_den = prices.feed_in_price.as_integer_ratio()
    i_num, i_den = prices.import_price.as_integer_ratio()
    num = f_num * i_den * supply + i_num * f_den * demand
    den = f_den * i_den * (supply + demand)
    return RatioPrice(num, den, scaled_ratio(num, den, PRICE_PLACES))
