"""The staff console (`station web`): a web application on the central registry.

It talks to the sites only through central's registry, as the rest of central does:
what it writes reaches them with the next revision (sync.central), and it imports no
agent, kiosk or hardware code (the import-linter contracts in pyproject.toml).
"""
