"""The verifiable ledger's self-contained core: an RFC 9162 Merkle tree, C2SP signed checkpoints
and an offline verifier.

Nothing in this package may import Django: the verifier (`python -m dibiao.ledger.verify`) is
meant to be run by outsiders with only the standard library and `cryptography`.
"""
