"""Who may do what in the trace app, one module per sub-domain."""
