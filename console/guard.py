"""One gate for every page: the session, the role, the CSRF token, the database session.

`page(*roles)` makes a Starlette endpoint of a plain function `(Page) -> Response`:
it reads the session cookie, loads the account (a disabled account, a stale session
version or an expired cookie is no session), answers 303 to /login without one and
403 when the account's role is not among `roles` (an admin passes everywhere),
refuses any POST whose CSRF token does not match the session (403), and runs the
function in a worker thread with a database session committed on success, so that
argon2 and SQLAlchemy never block the event loop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from console.clock import Clock
from console.cookies import COOKIE, MAX_AGE, CookieCodec, SessionCookie
from console.i18n import LANGUAGE_COOKIE, Language, Translate, choose, translator
from console.labels import french
from station.config import StationConfig
from station.db.staff import Role, StaffAccount

# No frame of another site may hold a page (clickjacking), nothing but this site's own
# files load (no script at all today), and a page of people is never cached.
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

Handler = Callable[["Page"], Response]
MAX_UPLOAD = 10 * 1024 * 1024  # bytes read of an uploaded file; one more says "too large"
Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Console:
    """What every page needs, built once by `console.app.create_app`."""

    sessions: sessionmaker[Session]
    templates: Jinja2Templates
    codec: CookieCodec
    clock: Clock
    badge_key: bytes
    timezone: str
    # The configuration of the station serving the console: the names of spaces, purposes,
    # trainings and machines in the figures (None: codes shown as they are).
    config: StationConfig | None = None


@dataclass(frozen=True)
class Upload:
    """A file sent with a multipart form: its name as the browser gave it, its bytes."""

    filename: str
    data: bytes


@dataclass
class Page:
    request: Request
    console: Console
    db: Session
    cookie: SessionCookie
    account: StaffAccount | None
    now: dt.datetime
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)
    new_cookie: SessionCookie | None = None  # set by login and logout

    @property
    def language(self) -> Language:
        return choose(
            self.request.cookies.get(LANGUAGE_COOKIE),
            self.request.headers.get("accept-language", ""),
        )

    @property
    def t(self) -> Translate:
        """The page's translator: `here.t("Texte en français")`."""
        return translator(self.language)

    @property
    def address(self) -> str:
        # With --proxy-headers, uvicorn has put the proxy's X-Forwarded-For here.
        return self.request.client.host if self.request.client else ""

    def render(self, template: str, status_code: int = 200, **context: Any) -> Response:
        cookie = self.new_cookie or self.cookie
        t = self.t
        return self.console.templates.TemplateResponse(
            self.request,
            template,
            {
                "account": self.account,
                "csrf": self.console.codec.csrf_token(cookie),
                "t": t,
                "label": lambda value: t(french(value)),  # an enum's value, in words
                "lang": self.language.value,
                **context,
            },
            status_code=status_code,
        )


def page(*roles: Role, login: bool = True) -> Callable[[Handler], Endpoint]:
    """The endpoint of `handler`, open to `roles` (any role if none; anyone if not `login`)."""

    def decorate(handler: Handler) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            console: Console = request.app.state.console
            form: dict[str, str] = {}
            files: dict[str, Upload] = {}
            if request.method == "POST":
                raw = await request.form()
                form = {k: v for k, v in raw.items() if isinstance(v, str)}
                for name, value in raw.items():
                    if isinstance(value, UploadFile):
                        data = await value.read(MAX_UPLOAD + 1)
                        files[name] = Upload(value.filename or "", data)
            response = await run_in_threadpool(
                _run, console, request, form, handler, roles, login, files
            )
            return response

        endpoint.__name__ = handler.__name__
        return endpoint

    return decorate


def _run(
    console: Console,
    request: Request,
    form: dict[str, str],
    handler: Handler,
    roles: tuple[Role, ...],
    login: bool,
    files: dict[str, Upload],
) -> Response:
    now = console.clock()
    cookie = console.codec.loads(request.cookies.get(COOKIE))
    fresh = cookie is None or cookie.expired(now)
    if cookie is None or cookie.expired(now):
        cookie = SessionCookie.anonymous(now)
    with console.sessions() as db, db.begin():
        account = _account(db, cookie)
        here = Page(request, console, db, cookie, account, now, form, files)
        if request.method == "POST" and not console.codec.csrf_valid(cookie, form.get("csrf", "")):
            refused = here.t("Formulaire expiré ou venu d'ailleurs : rechargez la page.")
            response: Response = PlainTextResponse(refused, 403)
        elif login and account is None:
            target = quote(
                request.url.path + (f"?{request.url.query}" if request.url.query else "")
            )
            response = RedirectResponse(f"/login?next={target}", 303)
        elif account is not None and roles and not allowed(account, roles):
            response = here.render("forbidden.html", status_code=403)
        else:
            response = handler(here)
    _set_cookie(response, request, console.codec, here.new_cookie or (cookie if fresh else None))
    response.headers.update(HEADERS)
    return response


def allowed(account: StaffAccount, roles: tuple[Role, ...]) -> bool:
    return account.role is Role.ADMIN or account.role in roles


def _account(db: Session, cookie: SessionCookie) -> StaffAccount | None:
    if cookie.account_id is None:
        return None
    account = db.get(StaffAccount, cookie.account_id)
    if account is None or account.disabled_at is not None:
        return None
    return account if account.session_version == cookie.version else None


def _set_cookie(
    response: Response, request: Request, codec: CookieCodec, cookie: SessionCookie | None
) -> None:
    if cookie is None:
        return
    response.set_cookie(
        COOKIE,
        codec.dumps(cookie),
        max_age=int(MAX_AGE.total_seconds()),
        httponly=True,
        samesite="lax",
        # Behind a TLS proxy, uvicorn's --proxy-headers makes the scheme https here.
        secure=request.url.scheme == "https",
        path="/",
    )
