"""The reporting service: consolidated cross-ministry figures (see README.md)."""
