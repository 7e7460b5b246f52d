"""The chain adapter: the anvil node, the Settlement contract and a web3 client for it."""
