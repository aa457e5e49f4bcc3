"""What every configuration section shares: strict frozen models, documented fields."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

_SLUG = r"^[a-z0-9][a-z0-9_-]{0,62}$"  # also safe as an MQTT topic level and client id

Slug = Annotated[str, Field(pattern=_SLUG)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def doc(description: str, example: Any, **kwargs: Any) -> Any:
    """A field with its documentation and an example, both required by the docs generator."""
    return Field(description=description, examples=[example], **kwargs)
