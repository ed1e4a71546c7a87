"""Test support shared by every app's tests (factories). It sits above all apps, so that the
apps' own packages keep their one-way dependencies; nothing in the product imports it."""
