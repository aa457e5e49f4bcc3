"""/login and /logout: argon2 check, throttle, audit, a new session cookie."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from console import audit, throttle
from console.accounts import authenticate, end_sessions, normal_email
from console.guard import Page, page
from console.i18n import LANGUAGE_COOKIE, Language
from station.db.staff import AuditAction

LANGUAGE_MAX_AGE = 365 * 24 * 3600


@page(login=False)
def login(here: Page) -> Response:
    target = _safe_next(here.request.query_params.get("next", "/"))
    if here.request.method != "POST":
        if here.account is not None:
            return RedirectResponse(target, 303)
        return here.render("login.html", next=target)
    email = normal_email(here.form.get("email", ""))[:254]
    password = here.form.get("password", "")
    if throttle.throttled(here.db, email, here.address, here.now):
        audit.record(
            here.db,
            here.now,
            email,
            AuditAction.LOGIN_THROTTLED,
            target=email,
            address=here.address,
        )
        message = here.t("Trop d'essais : réessayez dans quelques minutes.")
        return here.render("login.html", status_code=429, next=target, error=message, email=email)
    account = authenticate(here.db, email, password)
    if account is None:
        audit.record(
            here.db, here.now, email, AuditAction.LOGIN_FAILED, target=email, address=here.address
        )
        message = here.t("Adresse ou mot de passe incorrect.")
        return here.render("login.html", status_code=401, next=target, error=message, email=email)
    audit.record(
        here.db,
        here.now,
        account.email,
        AuditAction.LOGIN,
        target=account.email,
        address=here.address,
        detail={"role": account.role.value},
    )
    here.new_cookie = here.cookie.logged_in(account.id, account.session_version, here.now)
    return RedirectResponse(target, 303)


@page()
def logout(here: Page) -> Response:
    """POST only (a link could be followed by another site's page): ends every session
    of the account, on every instance, by moving its session version."""
    assert here.account is not None  # page() sent anyone else to /login
    end_sessions(here.db, here.account)
    audit.record(here.db, here.now, here.account.email, AuditAction.LOGOUT, address=here.address)
    here.new_cookie = type(here.cookie).anonymous(here.now)
    return RedirectResponse("/login", 303)


@page(login=False)
def language(here: Page) -> Response:
    """/language/<code>?next=/path: the language of every page from now on."""
    code = here.request.path_params["code"]
    response = RedirectResponse(_safe_next(here.request.query_params.get("next", "/")), 303)
    if code in Language._value2member_map_:
        response.set_cookie(
            LANGUAGE_COOKIE, code, max_age=LANGUAGE_MAX_AGE, httponly=True, samesite="lax"
        )
    return response


def _safe_next(target: str) -> str:
    """A path of this site only: never an open redirect to another one."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


ROUTES = [
    Route("/login", login, methods=["GET", "POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/language/{code}", language),
]
