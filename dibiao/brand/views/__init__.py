"""Pages of the brand app: one module per record type, each listing its own routes."""
