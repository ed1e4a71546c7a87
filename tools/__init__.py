"""Developer tools run by hand, not part of the product: see each module's docstring."""
