// The local price of a closed timeframe from its snapshot's surplus S and deficit D, by the
// formulas `GET /grids/{id}/price` documents (README "The price of a timeframe"), worked out
// exactly on integers and turned into a number only for the chart.

/** A decimal string as an exact ratio [numerator, denominator] of BigInts. */
export function ratio(text) {
  const [whole, frac = ''] = String(text).split('.');
  return [BigInt(whole + frac), 10n ** BigInt(frac.length)];
}

const SCALE = 10n ** 12n;

/** A non-negative ratio rounded half-even to 12 decimals, as the API writes prices. */
function toNumber([n, d]) {
  const q = (n * SCALE) / d;
  const twice = 2n * ((n * SCALE) % d);
  const up = twice > d || (twice === d && q % 2n === 1n);
  return Number(up ? q + 1n : q) / 1e12;
}

/** {buy, sell}: the price per kWh buyers and sellers see locally in a timeframe. */
export function localPrice(mechanism, importPrice, feedInPrice, surplus, deficit) {
  const [pi, di] = ratio(importPrice);
  const [pf, df] = ratio(feedInPrice);
  const S = BigInt(surplus);
  const D = BigInt(deficit);
  const mid = [pi * df + pf * di, 2n * di * df];
  if (mechanism === 'bill_sharing') {
    const buy = D > S ? [pi * (D - S), di * D] : [0n, 1n];
    const sell = S > D ? [pf * (S - D), df * S] : [0n, 1n];
    return { buy: toNumber(buy), sell: toNumber(sell) };
  }
  if (mechanism === 'supply_demand' && S + D > 0n) {
    // fit + (imp - fit) * D / (S + D)
    const n = pf * di * (S + D) + (pi * df - pf * di) * D;
    const price = toNumber([n, di * df * (S + D)]);
    return { buy: price, sell: price };
  }
  const price = toNumber(mid);
  return { buy: price, sell: price };
}
