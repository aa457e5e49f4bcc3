"""`station badge issue MEMBER --reader ID` and `station badge format --reader ID`:
personalise a blank DESFire card as a member's secure badge, or return one to blank.

Run where the site's DESFire key file is (the site server's keys directory, written by
`station deploy`) with a PC/SC reader of the configuration (a kiosk's or an agent's
reader section names it). Issuing is all or nothing: the member is found before the
card is touched, and a card whose enrolment fails is formatted back to blank (or the
command says how to). Formatting revokes the badge the card held, if it is one of the
site's, before the card forgets it.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from typing import TYPE_CHECKING, NoReturn

from station import desfire_keys, registry
from station.cli.context import Context
from station.config import ReaderConfig
from station.credential import Credential, CredentialKind
from station.db import Badge, BadgeStatus
from station.errors import StationError

if TYPE_CHECKING:
    from hardware.desfire import SiteKeys, Transport

CREDENTIAL_BYTES = 16
DEFAULT_TIMEOUT_S = 30.0


class CardNotIssued(StationError, RuntimeError):
    """Issuing or formatting a card failed (the message says what state it is left in)."""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    issue = commands.add_parser(
        "issue", help="personalise a blank DESFire card as a member's secure badge"
    )
    issue.add_argument("member", help="member id, email or full name")
    _card_options(issue)
    issue.set_defaults(handler=run_issue)
    blank = commands.add_parser(
        "format", help="return a DESFire card of the site to blank (revokes its badge)"
    )
    _card_options(blank)
    blank.set_defaults(handler=run_format)


def _card_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reader", metavar="ID", required=True, help="kiosk or agent id whose PC/SC reader to use"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        metavar="S",
        help=f"seconds to wait for the card (default {DEFAULT_TIMEOUT_S:g})",
    )


def run_issue(args: argparse.Namespace, ctx: Context) -> int:
    from hardware.desfire import CardGone, IssueError, issue
    from hardware.readers.pcsc_transport import wait_for_card

    pattern = _pcsc_pattern(ctx, args.reader)
    keys = _site_keys(ctx)
    with ctx.session() as session:  # refused before the card is touched
        member_id = registry.find_member(session, args.member).id
    _ask_for_card(args.reader, "a blank DESFire card")
    value = secrets.token_bytes(CREDENTIAL_BYTES)
    with wait_for_card(pattern, args.timeout) as card:
        try:
            uid = issue(card.transport, keys, value)
        except (IssueError, CardGone) as exc:
            raise CardNotIssued(
                f"the card was not issued ({exc}); if it is not blank, or half written, "
                f"run `station badge format --reader {args.reader}` and try again"
            ) from None
        # Not the UID: labels travel to central, and a UID never leaves the site in clear.
        label = "DESFire"
        try:
            with ctx.session() as session:
                member = registry.find_member(session, str(member_id))
                badge = registry.enroll_badge(
                    session,
                    member,
                    Credential(CredentialKind.SECURE, value),
                    ctx.config.badge_key,
                    label=label,
                    origin_site=ctx.config.site.id,
                )
                record = _row(badge, uid)
        except BaseException as exc:  # Ctrl+C too: never a card enrolled for nobody
            _undo_issue(card.transport, keys, args.reader, exc)
    if ctx.json_output:
        ctx.output_one(record)
    else:
        ctx.console.print(
            f"Secure badge {record['id'][:8]} ({label}) issued to {record['member']}."
        )
    return 0


def run_format(args: argparse.Namespace, ctx: Context) -> int:
    from hardware.desfire import CardError, CardGone, IssueError, format_card, read_secure
    from hardware.readers.pcsc_transport import wait_for_card

    pattern = _pcsc_pattern(ctx, args.reader)
    keys = _site_keys(ctx)
    _ask_for_card(args.reader, "the DESFire card to format")
    revoked: dict[str, str] | None = None
    with wait_for_card(pattern, args.timeout) as card:
        try:
            credential = read_secure(card.transport, keys.read_keys()).credential
        except (CardError, CardGone):
            credential = None  # blank, half written, or not the site's: nothing to revoke
        if credential is not None:
            revoked = _revoke(ctx, credential)
        try:
            format_card(card.transport, keys)
        except (IssueError, CardGone) as exc:
            raise CardNotIssued(f"the card was not formatted ({exc})") from None
    record = {"formatted": True, "revoked_badge": revoked["id"] if revoked else None}
    if ctx.json_output:
        ctx.output_one(record)
    elif revoked:
        ctx.console.print(
            f"Card formatted; badge {revoked['id'][:8]} of {revoked['member']} revoked."
        )
    else:
        ctx.console.print("Card formatted (it held no badge of this site).")
    return 0


def _revoke(ctx: Context, credential: Credential) -> dict[str, str] | None:
    """Revoke the live badge `credential` is, before its card forgets it."""
    with ctx.session() as session:
        badge = registry.badge_by_hash(session, credential.keyed_hash(ctx.config.badge_key))
        if badge is None:
            return None
        if badge.status is BadgeStatus.ACTIVE:
            registry.revoke_badge(session, badge, origin_site=ctx.config.site.id)
        return {"id": str(badge.id), "member": badge.member.display_name}


def _undo_issue(
    transport: Transport, keys: SiteKeys, reader: str, cause: BaseException
) -> NoReturn:
    """The enrolment failed: take the card back to blank, or say how to."""
    from hardware.desfire import CardError, CardGone, format_card

    try:
        format_card(transport, keys)
    except (CardError, CardGone) as exc:
        raise CardNotIssued(
            f"the card was personalised but not enrolled ({cause}), and formatting it "
            f"back failed ({exc}): run `station badge format --reader {reader}`"
        ) from None
    raise CardNotIssued(
        f"the card was not enrolled ({cause}); it was formatted back to blank"
    ) from None


def _pcsc_pattern(ctx: Context, reader_id: str) -> str:
    from station.cli.reader import configured_readers

    readers: dict[str, ReaderConfig] = configured_readers(ctx.config)
    if reader_id not in readers:
        listed = ", ".join(sorted(readers)) or "none"
        raise StationError(f"no reader {reader_id!r}; expected a kiosk or agent id: {listed}")
    scheme, _, pattern = readers[reader_id].path.partition(":")
    if scheme != "pcsc":
        raise StationError(
            f"reader {reader_id!r} is {readers[reader_id].path!r}; issuing and formatting "
            "DESFire cards needs a PC/SC reader ('pcsc:NAME-PATTERN')"
        )
    return pattern


def _site_keys(ctx: Context) -> SiteKeys:
    from hardware.desfire import SiteKeys

    loaded = desfire_keys.load_site_keys(ctx.config.keys_dir / desfire_keys.SITE_FILE)
    return SiteKeys(
        issue_master=loaded.issue_master,
        read_master=loaded.read_master,
        aid=loaded.aid_wire,
        system_id=loaded.system_id_bytes,
    )


def _ask_for_card(reader: str, what: str) -> None:
    print(f"station: put {what} on reader {reader} and leave it there", file=sys.stderr)


def _row(badge: Badge, uid: bytes) -> dict[str, str]:
    return {
        "id": str(badge.id),
        "member": badge.member.display_name,
        "member_id": str(badge.member_id),
        "kind": badge.kind,
        "label": badge.label,
        "card_uid": uid.hex().upper(),
    }
