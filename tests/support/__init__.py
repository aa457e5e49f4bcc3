"""Helpers behind the shared test fixtures: real services started for the tests."""
