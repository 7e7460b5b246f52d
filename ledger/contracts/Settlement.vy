# pragma version ~=0.4.3
"""
@title Minigrid monthly settlement
@notice One contract serves many grids. A period is sha256(grid_key || period_number).
        The owner posts a Merkle root of the period's statement, pays credits in batches,
        and prosumers pay their debits by proving their leaf against the root.
        Each (period, index) is settled once: a bitmap packs 256 indices per storage word.
@dev Gas (anvil 1.7.1, Prague; tests/bench/bench_gas.py): pay_credits of 500 items costs
     10,794 gas per prosumer whose wallet already exists and 35,776 per never-funded wallet
     (the +25,000 is the EVM's new-account charge). The bitmap word is cached in memory and
     written once per 256 indices, so a credit is mostly the value transfer (9,000 + 2,600
     cold access) plus ~100 bytes of calldata. All bits are stored before the first transfer.
     Each transfer forwards only the 2,300 stipend (like `send`) and may fail without
     reverting: a wallet that rejects ether or needs more gas to receive has the amount
     added to `owed` (CreditDeferred) and pulls it later with claim_owed (push with pull
     fallback), so one such wallet cannot stop a batch. CreditsPaid carries the batch's first
     index, size and total; which indices were paid is read from `settled`. A deferred
     credit costs ~46,700 gas more (first owed ever; two fresh slots and an event).
     pay_debit: ~56,600 gas with a 1-node proof, ~71,500 with 17 nodes (100,000 items).
     post_root: ~93,200 gas.
"""

event RootPosted:
    period_id: indexed(bytes32)
    root: bytes32
    count: uint256
    wei_per_minor: uint256

event CreditsPaid:
    period_id: indexed(bytes32)
    first_index: uint256
    count: uint256
    total: uint256

event DebitPaid:
    period_id: indexed(bytes32)
    index: uint256
    account: indexed(address)
    value: uint256

event CreditDeferred:
    period_id: indexed(bytes32)
    index: uint256
    account: indexed(address)
    amount: uint256

event OwedClaimed:
    account: indexed(address)
    to: indexed(address)
    amount: uint256

event Withdrawn:
    to: indexed(address)
    amount: uint256

MAX_BATCH: constant(uint256) = 500
MAX_DEPTH: constant(uint256) = 32

owner: public(address)
roots: public(HashMap[bytes32, bytes32])
counts: public(HashMap[bytes32, uint256])
# Non-zero exactly when the period's root is posted.
wei_per_minor: public(HashMap[bytes32, uint256])
# settled[period_id][index >> 8] bit (index & 255) is set once the item is paid.
settled: public(HashMap[bytes32, HashMap[uint256, uint256]])
# Wei held for accounts whose credit transfer failed; theirs to claim, never the owner's.
owed: public(HashMap[address, uint256])
total_owed: public(uint256)


@deploy
def __init__():
    self.owner = msg.sender


@external
def post_root(period_id: bytes32, root: bytes32, count: uint256, wei_per_minor: uint256):
    """@notice Fix a period's statement root, item count and price of one minor unit in wei."""
    assert msg.sender == self.owner, "only owner"
    assert self.wei_per_minor[period_id] == 0, "root already posted"
    assert wei_per_minor != 0, "wei_per_minor is zero"
    self.roots[period_id] = root
    self.counts[period_id] = count
    self.wei_per_minor[period_id] = wei_per_minor
    log RootPosted(period_id=period_id, root=root, count=count, wei_per_minor=wei_per_minor)


@internal
def _mark_all(period_id: bytes32, indices: DynArray[uint256, MAX_BATCH]):
    """@dev Set every index's bit, one storage write per touched word; reverts on a set bit."""
    count: uint256 = self.counts[period_id]
    key: uint256 = max_value(uint256)
    word: uint256 = 0
    for index: uint256 in indices:
        assert index < count, "index out of range"
        if index >> 8 != key:
            if key != max_value(uint256):
                self.settled[period_id][key] = word
            key = index >> 8
            word = self.settled[period_id][key]
        bit: uint256 = 1 << (index & 255)
        assert word & bit == 0, "already settled"
        word = word | bit
    if key != max_value(uint256):
        self.settled[period_id][key] = word


@internal
def _defer(period_id: bytes32, index: uint256, account: address, amount: uint256):
    """@dev Owe a credit whose transfer failed; the account claims it with claim_owed."""
    self.owed[account] += amount
    self.total_owed += amount
    log CreditDeferred(period_id=period_id, index=index, account=account, amount=amount)


@external
@payable
def pay_credits(
    period_id: bytes32,
    indices: DynArray[uint256, MAX_BATCH],
    accounts: DynArray[address, MAX_BATCH],
    amounts: DynArray[uint256, MAX_BATCH],
):
    """@notice Pay a batch of credits; every bit is stored before the first transfer."""
    assert msg.sender == self.owner, "only owner"
    assert self.wei_per_minor[period_id] != 0, "root not posted"
    n: uint256 = len(indices)
    assert n != 0, "empty batch"
    assert len(accounts) == n and len(amounts) == n, "length mismatch"
    self._mark_all(period_id, indices)
    total: uint256 = 0
    for amount: uint256 in amounts:
        total += amount
    assert msg.value == total, "value != sum of amounts"
    for i: uint256 in range(n, bound=MAX_BATCH):
        # gas=0 with a value: the callee gets only the EVM's 2,300 stipend, exactly like send.
        if not raw_call(accounts[i], b"", value=amounts[i], gas=0, revert_on_failure=False):
            self._defer(period_id, indices[i], accounts[i], amounts[i])
    log CreditsPaid(period_id=period_id, first_index=indices[0], count=n, total=total)


@internal
@pure
def _leaf(grid_key: bytes32, period_number: uint256, index: uint256, account: address,
          amount_minor: int256) -> bytes32:
    """@dev sha256(sha256(grid_key || period_number || index || account || amount_minor))."""
    data: Bytes[160] = concat(
        grid_key,
        convert(period_number, bytes32),
        convert(index, bytes32),
        convert(convert(account, uint256), bytes32),
        convert(amount_minor, bytes32),
    )
    return sha256(sha256(data))


@internal
@pure
def _root_of(leaf: bytes32, proof: DynArray[bytes32, MAX_DEPTH]) -> bytes32:
    """@dev Fold a proof of sorted-pair sha256 nodes onto a leaf."""
    node: bytes32 = leaf
    for sibling: bytes32 in proof:
        if convert(node, uint256) < convert(sibling, uint256):
            node = sha256(concat(node, sibling))
        else:
            node = sha256(concat(sibling, node))
    return node


@external
@payable
def pay_debit(
    grid_key: bytes32,
    period_number: uint256,
    index: uint256,
    amount_minor: int256,
    wei_per_minor: uint256,
    proof: DynArray[bytes32, MAX_DEPTH],
):
    """@notice The sender pays its own debit, proven against the period's root."""
    period_id: bytes32 = sha256(concat(grid_key, convert(period_number, bytes32)))
    posted: uint256 = self.wei_per_minor[period_id]
    assert posted != 0, "root not posted"
    assert wei_per_minor == posted, "wrong wei_per_minor"
    assert amount_minor < 0, "not a debit"
    value: uint256 = convert(-amount_minor, uint256) * wei_per_minor
    assert msg.value == value, "wrong value"
    assert index < self.counts[period_id], "index out of range"
    leaf: bytes32 = self._leaf(grid_key, period_number, index, msg.sender, amount_minor)
    assert self._root_of(leaf, proof) == self.roots[period_id], "invalid proof"
    key: uint256 = index >> 8
    bit: uint256 = 1 << (index & 255)
    word: uint256 = self.settled[period_id][key]
    assert word & bit == 0, "already settled"
    self.settled[period_id][key] = word | bit
    log DebitPaid(period_id=period_id, index=index, account=msg.sender, value=value)


@external
@nonreentrant
def claim_owed(to: address):
    """@notice Send the sender's deferred credits to `to`; zeroed before the transfer."""
    amount: uint256 = self.owed[msg.sender]
    assert amount != 0, "nothing owed"
    assert to != empty(address), "zero address"
    self.owed[msg.sender] = 0
    self.total_owed -= amount
    log OwedClaimed(account=msg.sender, to=to, amount=amount)
    raw_call(to, b"", value=amount)


@external
@nonreentrant
def withdraw(to: address, amount: uint256):
    """@notice Move collected debit payments out of the contract (never what is owed)."""
    assert msg.sender == self.owner, "only owner"
    assert amount <= self.balance - self.total_owed, "amount is owed to prosumers"
    log Withdrawn(to=to, amount=amount)
    raw_call(to, b"", value=amount)


@view
@external
def is_settled(period_id: bytes32, index: uint256) -> bool:
    """@notice Whether (period, index) has been paid."""
    return self.settled[period_id][index >> 8] & (1 << (index & 255)) != 0
