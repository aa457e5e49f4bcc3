"""What central knows of each site right now, for the console's live page: when the
site was last heard from, its agents' last statuses and alarms, and the check-outs
asked from the office. Written by the site's sync (`sync.live_up`), read by the
console; never replicated (a site reads and writes only its own rows at central).
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Enum, Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from station.db.models import Base
from station.ids import new_event_id
from station.protocol.vocabulary import GrantState


class SiteLink(Base):
    """One row per site: its last upload and a version of what the live page shows."""

    __tablename__ = "site_links"

    site_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    # The site's clock at its last upload (a round, or a status that changed).
    heard_at: Mapped[dt.datetime]
    # The site's poll interval: it uploads at least this often while it can.
    poll_s: Mapped[float] = mapped_column(Float, default=30.0)
    # The site's [site] timezone (empty: not heard yet): a time typed in the console for
    # this site (hold open until) is the site's local time, wherever the console runs.
    timezone: Mapped[str] = mapped_column(String(64), default="")
    # Bumped by every change the live page shows (an agent's status, a visit, a
    # check-out asked or done): the page's stream polls this one row.
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class SiteAgent(Base):
    """An agent of a site (from the site's configuration) with its last status."""

    __tablename__ = "site_agents"

    site_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[str] = mapped_column(String(20))  # an AgentKind
    resource: Mapped[str] = mapped_column(String(64))  # the resource's code
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # StatusField keys
    alarms: Mapped[list[str]] = mapped_column(JSON, default=list)  # station.site_live.Alarm
    grants_state: Mapped[str] = mapped_column(  # station.grant_state
        String(20), default=GrantState.UNKNOWN.value, server_default=GrantState.UNKNOWN.value
    )
    # When the site last received a status of this agent (None: never).
    seen_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class CheckoutState(enum.StrEnum):
    PENDING = "pending"  # written by the console
    DONE = "done"  # the site checked the visit out (or found it already out)
    REFUSED = "refused"  # the site holds no such visit
    EXPIRED = "expired"  # the site came back too late: nothing was done


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class CheckoutRequest(Base):
    """A check-out asked from the console: the site owns its open visits, so its sync
    carries the request out and says what came of it."""

    __tablename__ = "checkout_requests"
    __table_args__ = (Index("ix_checkout_requests_site_state", "site_id", "state"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_event_id)
    site_id: Mapped[str] = mapped_column(String(64))
    visit_id: Mapped[uuid.UUID] = mapped_column()
    author: Mapped[str] = mapped_column(String(254))  # the staff account's email
    requested_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    state: Mapped[CheckoutState] = mapped_column(
        _enum(CheckoutState), default=CheckoutState.PENDING
    )
    settled_at: Mapped[dt.datetime | None] = mapped_column(default=None)
