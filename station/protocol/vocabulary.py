"""The words of the bus protocol, each defined once as a `StrEnum`.

Their values are what travels and what is stored (events, commands, statuses,
command results): never rename a value. A misspelt member is a type error (mypy)
and an `AttributeError` at import, not a refusal recorded at a site. Refusal
reasons of the access rule are `station.rules.Reason`; the ones here are the
protocol's own (a message refused, a command refused, a session ended).
"""

from __future__ import annotations

import enum
from typing import Final


class EventType(enum.StrEnum):
    """What an agent reports; sync stores each as an access event of this type."""

    GRANTED = "granted"
    DENIED = "denied"
    DOOR_OPENED = "door_opened"
    DOOR_CLOSED = "door_closed"
    DOOR_FORCED = "door_forced"
    DOOR_HELD_OPEN = "door_held_open"
    DOOR_PRE_ALARM = "door_pre_alarm"
    EXIT_REQUEST = "exit_request"
    LOCKDOWN = "lockdown"
    HOLD_OPEN = "hold_open"
    RELEASED = "released"
    SESSION_STARTED = "session_started"
    SESSION_WARNING = "session_warning"
    SESSION_ENDED = "session_ended"
    MACHINE_STATE = "machine_state"
    READER_FAULT = "reader_fault"
    READER_OK = "reader_ok"
    BAD_READ = "bad_read"
    AGENT_STARTED = "agent_started"
    AGENT_STOPPED = "agent_stopped"
    OUTBOX_ALARM = "outbox_alarm"
    GRANTS_APPLIED = "grants_applied"
    GRANTS_REFUSED = "grants_refused"
    COMMAND_REFUSED = "command_refused"
    COMMAND_APPLIED = "command_applied"
    FREE_ACCESS_STARTED = "free_access_started"
    FREE_ACCESS_ENDED = "free_access_ended"
    CLOCK_UNSYNCED = "clock_unsynced"
    CLOCK_SYNCED = "clock_synced"
    # Recorded by a kiosk (agent_id and resource name it): five wrong staff PINs in a row.
    STAFF_PIN_LOCKED = "staff_pin_locked"


class Command(enum.StrEnum):
    """What the site (the kiosk's staff mode, the command line) may ask an agent."""

    UNLOCK_ONCE = "unlock_once"
    LOCK = "lock"
    HOLD_OPEN = "hold_open"
    LOCKDOWN = "lockdown"
    RELEASE = "release"
    END_SESSION = "end_session"
    POWER_OFF = "power_off"
    REFRESH_STATUS = "refresh_status"
    BLOCK = "block"
    UNBLOCK = "unblock"
    CLEAR_CHECK = "clear_check"


class Refusal(enum.StrEnum):
    """Why a message or a command was refused (`ProtocolError.reason`, command results,
    ``grants_refused`` and ``command_refused`` events)."""

    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"
    WRONG_AGENT = "wrong_agent"
    UNKNOWN_COMMAND = "unknown_command"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REPLAYED = "replayed"
    STALE = "stale"  # an older grant snapshot than the one in force
    GAP = "gap"  # a grants delta for a version other than the one in force
    DIGEST_MISMATCH = "digest_mismatch"  # a delta applied does not give its digest
    STORAGE_ERROR = "storage_error"  # the agent could not store a good snapshot
    NOT_APPLICABLE = "not_applicable"  # a door command sent to a machine, or the reverse
    BAD_ARGUMENT = "bad_argument"
    LOCKDOWN = "lockdown"  # hold-open asked of a door in lockdown
    UNKNOWN_KEY = "unknown_key"  # signed by a key the agent does not (or no longer) trust
    WRONG_ISSUER = "wrong_issuer"  # a command whose author's device is not its key's holder


APPLIED: Final = "applied"  # the reason of a command result that is not a refusal


class AgentDenial(enum.StrEnum):
    """Why an agent denies a badge the access rule grants (a ``denied`` event's reason);
    the access rule's own reasons are `station.rules.Reason`."""

    MACHINE_IN_USE = "machine_in_use"  # someone else's session is running


class AgentStop(enum.StrEnum):
    """Why an agent stopped (``agent_stopped``'s reason)."""

    STOPPED = "stopped"  # asked to (a signal, a request)
    INTERNAL_ERROR = "internal_error"  # an exception escaped the loop


class EndReason(enum.StrEnum):
    """Why a machine session ended (``session_ended``'s reason and ``end_reason``)."""

    BADGE_TAP = "badge_tap"
    BADGE_REMOVED = "badge_removed"
    STAFF = "staff"
    STAFF_TAKEOVER = "staff_takeover"
    POWER_OFF = "power_off"
    MAX_SESSION = "max_session"
    IDLE_TIMEOUT = "idle_timeout"
    CLOSING_TIME = "closing_time"
    AGENT_STOPPED = "agent_stopped"
    AGENT_RESTARTED = "agent_restarted"  # cut by a crash, ended at the next start


class DoorMode(enum.StrEnum):
    """A door's mode (status ``mode``; a lockdown survives a restart)."""

    NORMAL = "normal"
    LOCKDOWN = "lockdown"  # only staff pass; the strike stays locked
    HOLD_OPEN = "hold_open"  # event mode: the strike stays released until a time


class MachineState(enum.StrEnum):
    """A machine's state (status ``mode``, ``machine_state`` events)."""

    FREE = "free"
    IN_USE = "in_use"
    BLOCKED = "blocked"
    TO_CHECK = "to_check"


class DoorState(enum.StrEnum):
    """A door as its contact senses it (status ``door``)."""

    OPEN = "open"
    CLOSED = "closed"
    UNKNOWN = "unknown"  # not read yet, or no contact wired


class ReaderHealth(enum.StrEnum):
    """An agent's badge reader (status ``reader``)."""

    OK = "ok"
    FAULT = "fault"
    UNKNOWN = "unknown"  # no word from the reader yet


class ClockState(enum.StrEnum):
    """Whether an agent trusts its clock for hour-dependent decisions (status ``clock``)."""

    SYNCED = "synced"
    UNSYNCED = "unsynced"


class ClockProblem(enum.StrEnum):
    """Why an agent does not trust its clock (``clock_unsynced``'s reason, the status's
    ``clock_problem``)."""

    KERNEL = "kernel_unsynchronised"
    BEHIND = "behind_signed_time"
    SKEW = "skew_from_site"


class AgentKind(enum.StrEnum):
    DOOR = "door"
    MACHINE = "machine"


class StatusField(enum.StrEnum):
    """The keys of an agent's retained status message."""

    AGENT = "agent"
    ONLINE = "online"
    VERSION = "version"
    KIND = "kind"
    RESOURCE = "resource"
    MODE = "mode"
    RELAY = "relay"
    DOOR = "door"
    FREE_ACCESS = "free_access"
    BUSY = "busy"
    SESSION_MEMBER = "session_member"
    ALARMS = "alarms"
    READER = "reader"
    CLOCK = "clock"
    CLOCK_PROBLEM = "clock_problem"
    GRANTS_VERSION = "grants_version"
    GRANTS_DIGEST = "grants_digest"  # of the grants in force (station.protocol.grant_digest)
    OUTBOX_DEPTH = "outbox_depth"
    OUTBOX_ALARM = "outbox_alarm"
    AT = "at"


class GrantState(enum.StrEnum):
    """An agent's grants as the site sees them (`sync.grant_state`), for staff."""

    IN_STEP = "in_step"  # the version sync last compiled, to the digest
    BEHIND = "behind"  # an older version: the newer one is on its way (or refused)
    DIVERGED = "diverged"  # the same version with other grants, or a version sync never gave
    UNKNOWN = "unknown"  # nothing compiled yet, or an agent that reports no digest


class MachineStateChange(enum.StrEnum):
    """Why a machine's state changed (``machine_state``'s reason)."""

    SESSION = "session"
    CHECKED_BY_STAFF = "checked_by_staff"
    BLOCKED_BY_STAFF = "blocked_by_staff"
    UNBLOCKED_BY_STAFF = "unblocked_by_staff"
    AGENT_RESTARTED = "agent_restarted"
