"""The site's own sections: who it is, its spaces, the purposes of a visit, its
trainings, its kiosks and how long it keeps personal data."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from station.config.base import Section, Slug, doc
from station.config.reader import ReaderConfig


class SiteConfig(Section):
    id: Slug = doc(
        "Identifier of the site, unique in the registry; used in MQTT topics.", "saint-omer-gare"
    )
    name: str = doc("Name shown on the kiosk and in reports.", "La Station")
    timezone: str = doc(
        "IANA time zone of the site: opening hours and tallies use it.",
        "Europe/Paris",
        default="Europe/Paris",
    )
    badge_key: str = doc(
        "The registry's badge-hash key (at least 16 characters): hashes badge UIDs, the "
        "same at central and at every site so that a badge is recognised everywhere. It "
        "signs nothing (signatures are the Ed25519 keys of [keys]). Override in "
        "production with the STATION_BADGE_KEY environment variable; never commit a real one.",
        "change-me-this-is-the-demo-key",
        min_length=16,
    )
    secret: None = Field(default=None, exclude=True)  # renamed: see _renamed_secret

    @field_validator("secret", mode="before")
    @classmethod
    def _renamed_secret(cls, value: object) -> None:
        raise ValueError(
            "renamed badge_key (it only hashes badge UIDs; signatures use the keys of "
            "[keys]); expected site.badge_key or STATION_BADGE_KEY"
        )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"an IANA time zone such as Europe/Paris, got {value!r}") from exc
        return value


class KeysConfig(Section):
    dir: str = doc(
        "Where this machine keeps its keys: on the site server the site's signing keys "
        "and the trust list (`station keys`), on a kiosk its issuer key "
        "(kiosk-<id>.key), on an agent the site's public keys (site.pub). Relative to "
        "this file. STATION_KEYS_DIR overrides it.",
        "var/keys",
        default="var/keys",
    )


class PurposeConfig(Section):
    id: Slug = doc("Purpose code, stored with each visit.", "coworking")
    fr: str = doc("Label in French.", "Coworking")
    en: str = doc("Label in English.", "Coworking")
    space: Slug = doc("Space this purpose counts towards.", "coworking")
    digital_help: bool = doc(
        "Check-ins for this purpose are digital-help accompaniments: `station report "
        "skills` counts them and the distinct people helped.",
        True,
        default=False,
    )


class SpaceConfig(Section):
    fr: str = doc("Label in French.", "Espace de coworking")
    en: str = doc("Label in English.", "Coworking space")
    capacity: int = doc("Seats or places, 0 if not counted.", 40, default=0, ge=0)
    schedule: Slug = doc(
        "The schedule the space follows (plans name it to give access).",
        "opening_hours",
        default="opening_hours",
    )


class TrainingConfig(Section):
    fr: str = doc("Label in French.", "Découpeuse laser")
    en: str = doc("Label in English.", "Laser cutter")
    valid_days: int = doc(
        "Validity of the training once granted, 0 for no expiry.", 365, default=0, ge=0
    )


class SkillConfig(Section):
    fr: str = doc("Label in French.", "Démarches en ligne")
    en: str = doc("Label in English.", "Online procedures")


class KioskConfig(Section):
    reader: ReaderConfig = doc("The kiosk's badge reader.", {"path": "sim:kiosk"})
    idle_timeout_s: float = doc(
        "Return to the idle screen after this many seconds without a touch.",
        20.0,
        default=20.0,
        gt=0,
    )
    staff_timeout_s: float = doc(
        "Close staff mode after this many idle seconds.", 60.0, default=60.0, gt=0
    )
    schedule: Slug = doc(
        "The site's schedule: everyone still checked in is checked out "
        "at that day's closing time (exceptions and holidays included).",
        "opening_hours",
        default="opening_hours",
    )
    language: Literal["fr", "en"] = doc("Language of the idle screen.", "fr", default="fr")
    calendar_url: str = doc("iCalendar feed of today's events, empty if none.", "", default="")
    hide_cursor: bool = doc("Hide the mouse cursor (touch screens).", False, default=False)
    staff_requires_secure: bool = doc(
        "Staff mode opens only for a secure badge (DESFire): a staff member's plain "
        "UID, easy to copy, is refused (secure_required) before the PIN is asked.",
        True,
        default=True,
    )


class SignupConfig(Section):
    ask_birth_year: bool = doc(
        "The kiosk's sign-up form offers an optional birth year (never required, never "
        "a full date): the entry figures then count people by age band "
        "(`station report entries --by age`).",
        True,
        default=False,
        strict=True,  # "yes" or 1 is a typing mistake here, not a choice
    )


class RetentionConfig(Section):
    movement_days: int = doc(
        "Visits, access events and sessions are purged after this "
        "many days (CNIL: 3 months); tallies keep aggregates.",
        90,
        default=90,
        ge=1,
    )
    visitor_days: int = doc(
        "A visitor never seen again is erased after this many days.", 365, default=365, ge=1
    )
