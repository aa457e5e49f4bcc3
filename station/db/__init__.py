"""The data model and database access, shared by the site and the central registry."""

from station.db.engine import (
    current_revision,
    make_engine,
    open_database,
    session_factory,
    upgrade,
)
from station.db.models import (
    AccessEvent,
    AgentStatus,
    Badge,
    BadgeStatus,
    Base,
    MachineSession,
    Member,
    MemberKind,
    Membership,
    MemberTraining,
    OpeningException,
    OpeningHours,
    Resource,
    ResourceKind,
    RevisionCounter,
    SyncCursor,
    SyncRejection,
    Training,
    Visit,
)
from station.db.types import utcnow

__all__ = [
    "AccessEvent", "AgentStatus", "Badge", "BadgeStatus", "Base", "MachineSession", "Member",
    "MemberKind", "MemberTraining", "Membership", "OpeningException", "OpeningHours",
    "Resource", "ResourceKind", "RevisionCounter", "SyncCursor", "SyncRejection", "Training",
    "Visit", "current_revision", "make_engine", "open_database", "session_factory", "upgrade",
    "utcnow",
]
