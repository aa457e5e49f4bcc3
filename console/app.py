"""The console's ASGI application: `create_app(...)`, served by uvicorn (`station web`)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from console import commands, imports, login, merge, pages, people, refusals, sites
from console import reports as figures
from console.clock import Clock, system_clock
from console.cookies import CookieCodec
from console.guard import Console
from console.signing import cookie_secret
from station.config import StationConfig

HERE = Path(__file__).parent


def create_app(
    sessions: sessionmaker[Session],
    *,
    badge_key: bytes,
    timezone: str,
    clock: Clock = system_clock,
    config: StationConfig | None = None,
) -> Starlette:
    """The console on central's registry; `sessions` are central's writing sessions
    (sync.central.sessions), so that what the console writes gets revisions."""
    templates = Jinja2Templates(
        env=Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
    )
    templates.env.globals.update(people.TEMPLATE_GLOBALS)
    console = Console(
        sessions=sessions,
        templates=templates,
        codec=CookieCodec(cookie_secret(sessions, clock())),
        clock=clock,
        badge_key=badge_key,
        timezone=timezone,
        config=config,
    )
    # Each area of the console lists its own routes (ROUTES in its module).
    routes = [
        *login.ROUTES,
        *people.ROUTES,  # before pages: /members/new is no person's id
        *pages.ROUTES,
        *figures.ROUTES,
        *imports.ROUTES,
        *refusals.ROUTES,
        *merge.ROUTES,
        *sites.ROUTES,
        *commands.ROUTES,
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=_settled_heap)
    app.state.console = console
    return app


# A page's table makes tens of thousands of objects that live as long as the request:
# with Python's default (700 allocations) the collector ran dozens of young passes per
# page, each promoting them towards the old generation that a full pass then walks. At
# 50,000 a young pass walked as many objects and held its request 20-80 ms (the yearly
# summary's p95 113-158 ms); at 10,000 a pass is 1-5 ms (docs/benchmarks.md).
_THRESHOLDS = (10_000, 10, 10)


@asynccontextmanager
async def _settled_heap(app: Starlette) -> AsyncIterator[None]:
    """What start-up made (modules, templates, the application) is set apart from the
    collector's full passes: without this, every few pages a pass over all of it held a
    request for 60 ms (a live site's p95 at 130 ms, its p50 25)."""
    settle_heap()
    yield


def settle_heap() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*_THRESHOLDS)
