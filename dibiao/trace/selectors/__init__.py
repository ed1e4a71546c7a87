"""Reads of the trace app, one module per sub-domain (batches, codes, scans, certificates)."""
