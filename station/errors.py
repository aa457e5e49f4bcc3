"""The exception tree of the `station` package.

Each class also subclasses the matching built-in, as gpiozero's ``exc.py`` does,
so callers may catch either the precise or the generic error.
"""

from __future__ import annotations


class StationError(Exception):
    """Base of every error raised on purpose by Station."""


class ConfigError(StationError, ValueError):
    """A configuration file is unreadable or invalid.

    ``problems`` holds one line per problem, each naming the file, the key path
    and what was expected.
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class DatabaseError(StationError, RuntimeError):
    """The site or central database cannot be used."""


class DatabaseUnreachable(DatabaseError, ConnectionError):
    """The database server cannot be reached: an outage, not a setup step."""


class NotFound(StationError, LookupError):
    """A member, badge, training or resource named by the user does not exist."""


class Conflict(StationError, ValueError):
    """An operation would break a uniqueness rule (e.g. a badge held by someone else)."""


class InvalidInput(StationError, ValueError):
    """A value given by a person (a name, an email, a commune) is not acceptable."""
