"""Monthly statements of what the grid owes each prosumer, and their EVM-friendly leaves.

amount_minor = received_minor - paid_minor over the period (positive: the grid owes the
prosumer). Statements are sorted by prosumer_id; `index` is the position in that list.

leaf_bytes (5 words, 160 bytes, abi.encode style):
    grid_key     bytes32  uuid bytes (16) left-padded with zeros to 32
    period       uint256  YYYYMM, e.g. 202610 (an adjustments-only period YYYY-MM.N: YYYYMM*1000+N)
    index        uint256
    account      uint256  the 20-byte address left-padded to 32
    amount_minor int256   two's complement
leaf_hash = sha256(sha256(leaf_bytes)) (double hash against second-preimage attacks).
period_id = sha256(grid_key || period as uint256): how the contract names a (grid, month).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from models.domain.adjustments import split_period
from models.domain.timeframes import parse_month
from models.domain.trades import RESERVED_PARTIES

_ADDRESS_RE = re.compile(r"^0x[0-9a-fA-F]{40}$")
WORD = 32
INT256_MIN, INT256_MAX = -(2**255), 2**255 - 1


@dataclass(frozen=True)
class Statement:
    """One prosumer's settlement item for a period."""

    grid_id: str
    period: str
    index: int
    prosumer_id: str
    account: str
    amount_minor: int


def grid_key(grid_id: str) -> bytes:
    """The grid's uuid as 32 bytes (16 uuid bytes left-padded with zeros)."""
    try:
        raw = uuid.UUID(grid_id).bytes
    except (ValueError, AttributeError, TypeError) as exc:
        raise ValueError(f"grid_id must be a uuid, got {grid_id!r}") from exc
    return raw.rjust(WORD, b"\x00")


def period_number(period: str) -> int:
    """`YYYY-MM` as the integer YYYYMM (e.g. 202610); an adjustments-only period `YYYY-MM.N`
    as YYYYMM * 1000 + N (e.g. 202611001: nine digits, never a month's six)."""
    month, sequence = split_period(period)
    year, mon = parse_month(month)
    return (year * 100 + mon) * 1000 + sequence if sequence else year * 100 + mon


def period_id(key: bytes, number: int) -> bytes:
    """The contract's period id: sha256(grid_key || period_number as uint256)."""
    if len(key) != WORD:
        raise ValueError("grid key must be 32 bytes")
    return hashlib.sha256(key + number.to_bytes(WORD, "big")).digest()


def check_account(account: str) -> str:
    """Return `account` if it is 0x plus 40 hex digits; ValueError otherwise."""
    if not isinstance(account, str) or not _ADDRESS_RE.match(account):
        raise ValueError(f"not an EVM address: {account!r}")
    return account


def build_statements(
    grid_id: str,
    period: str,
    sums: Mapping[str, Mapping[str, int]],
    wallets: Mapping[str, str],
) -> list[Statement]:
    """Statements for every prosumer in `sums` (grid, plant, rounding skipped), sorted by id."""
    grid_key(grid_id)
    period_number(period)
    ids = sorted(pid for pid in sums if pid not in RESERVED_PARTIES)
    missing = [pid for pid in ids if pid not in wallets]
    if missing:
        raise ValueError(f"prosumers without a wallet: {missing[:5]}")
    statements: list[Statement] = []
    for index, pid in enumerate(ids):
        amount = sums[pid]["received_minor"] - sums[pid]["paid_minor"]
        account = check_account(wallets[pid])
        statements.append(Statement(grid_id, period, index, pid, account, amount))
    return statements


def party_position(sums: Mapping[str, Mapping[str, int]], party: str) -> int:
    """received_minor - paid_minor of one party (0 if it did not trade)."""
    row = sums.get(party)
    return 0 if row is None else row["received_minor"] - row["paid_minor"]


def grid_position(sums: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """Money positions of the non-prosumer parties: grid, plant and rounding."""
    return {party: party_position(sums, party) for party in sorted(RESERVED_PARTIES)}


def settlement_balance(
    statements: Iterable[Statement], sums: Mapping[str, Mapping[str, int]]
) -> int:
    """sum(statement amounts) + grid + plant + rounding: zero when the books balance."""
    return sum(st.amount_minor for st in statements) + sum(grid_position(sums).values())


def leaf_bytes(st: Statement) -> bytes:
    """The canonical 160-byte encoding of a statement."""
    if not INT256_MIN <= st.amount_minor <= INT256_MAX:
        raise ValueError("amount_minor does not fit int256")
    return b"".join(
        (
            grid_key(st.grid_id),
            period_number(st.period).to_bytes(WORD, "big"),
            st.index.to_bytes(WORD, "big"),
            int(check_account(st.account), 16).to_bytes(WORD, "big"),
            st.amount_minor.to_bytes(WORD, "big", signed=True),
        )
    )


def leaf_hash(st: Statement) -> bytes:
    """sha256(sha256(leaf_bytes(st)))."""
    return hashlib.sha256(hashlib.sha256(leaf_bytes(st)).digest()).digest()


def statement_leaves(statements: Iterable[Statement]) -> list[bytes]:
    """Leaf hashes in statement order."""
    return [leaf_hash(st) for st in statements]
