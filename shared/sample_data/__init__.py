"""Realistic sample data for the embedded default, drawn from the source pages."""
