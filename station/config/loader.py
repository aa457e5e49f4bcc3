"""Reading the configuration file once into a `StationConfig`."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from station.config.schema import StationConfig
from station.errors import ConfigError

DEFAULT_PATH = "config.toml"
ENV_PATH = "STATION_CONFIG"
RENAMED_SECRET = "STATION_SITE_SECRET"
# Secrets may come from the environment rather than the file.
ENV_OVERRIDES = {
    "STATION_BADGE_KEY": ("site", "badge_key"),
    "STATION_KEYS_DIR": ("keys", "dir"),
    "STATION_MQTT_PASSWORD": ("mqtt", "password"),
    "STATION_DATABASE_URL": ("database", "url"),
    "STATION_CENTRAL_URL": ("central", "url"),
    "STATION_MQTT_PORT": ("mqtt", "port"),
    # A device's own account and the site CA: what `station deploy agent|kiosk` writes.
    "STATION_MQTT_USERNAME": ("mqtt", "username"),
    "STATION_MQTT_TLS": ("mqtt", "tls"),
    "STATION_MQTT_CA_FILE": ("mqtt", "ca_file"),
}


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The file to read: ``--config``, else ``$STATION_CONFIG``, else ./config.toml."""
    return Path(explicit or os.environ.get(ENV_PATH) or DEFAULT_PATH)


def load_config(
    path: str | os.PathLike[str] | None = None, environ: dict[str, str] | None = None
) -> StationConfig:
    """Load and validate the configuration; raise `ConfigError` listing every problem."""
    source = config_path(path)
    env = os.environ if environ is None else environ
    try:
        raw = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            [
                f"{source}: file not found; expected a TOML configuration "
                f"(--config PATH or {ENV_PATH})"
            ]
        ) from None
    except OSError as exc:
        raise ConfigError([f"{source}: cannot be read ({exc.strerror})"]) from None
    except UnicodeDecodeError:
        raise ConfigError([f"{source}: not UTF-8 text; expected a TOML file"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{source}: invalid TOML: {exc}"]) from None
    return from_mapping(_apply_env(raw, env), source)


def from_mapping(raw: dict[str, Any], source: Path) -> StationConfig:
    try:
        return StationConfig.model_validate({**raw, "source": source.absolute()})
    except ValidationError as exc:
        raise ConfigError(_problems(exc, source)) from None


def _apply_env(raw: dict[str, Any], env: os._Environ[str] | dict[str, str]) -> dict[str, Any]:
    if env.get(RENAMED_SECRET):  # silently ignored, it would change every badge's hash
        raise ConfigError(
            [
                f"{RENAMED_SECRET} is no longer read: it was renamed STATION_BADGE_KEY "
                "(the badge-hash key; signatures use the Ed25519 keys of [keys])"
            ]
        )
    for variable, (section, key) in ENV_OVERRIDES.items():
        if env.get(variable):
            table = raw.setdefault(section, {})
            if isinstance(table, dict):
                table[key] = env[variable]
    return raw


def _problems(exc: ValidationError, source: Path) -> list[str]:
    lines: list[str] = []
    for error in exc.errors(include_url=False):
        message = str(error["msg"]).removeprefix("Value error, ")
        # A union's tag (``kind=door``) is no key of the file: keys are slugs, no '='.
        key = ".".join(str(part) for part in error["loc"] if "=" not in str(part))
        if not key:  # cross-field checks already name their keys, one per line
            lines.extend(f"{source}: {line}" for line in message.splitlines())
            continue
        lines.append(f"{source}: {key}: {_expected(error, message)}")
    return lines


def _expected(error: Any, message: str) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key; expected one of the keys documented in docs/configuration.md"
    if kind == "missing":
        return "missing required key"
    value = error.get("input")
    shown = repr(value) if not isinstance(value, dict) else "a table"
    return f"{message} (got {shown})"
