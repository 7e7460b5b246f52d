# pragma version ~=0.4.3
"""
@title A wallet that refuses ether (no payable default) but can claim what it is owed
@notice Test only: stands in for a multisig or contract wallet that cannot receive a push.
"""

interface Settlement:
    def claim_owed(to: address): nonpayable


@external
def claim(settlement: address, to: address):
    """@notice Ask `settlement` to send this contract's owed balance to `to`."""
    extcall Settlement(settlement).claim_owed(to)
