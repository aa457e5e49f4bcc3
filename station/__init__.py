"""Station: badge check-in and access control for a tiers-lieu."""

__version__ = "0.1.0"
