"""The FastAPI application of the geomatch web service.

:func:`create_app` wires settings, database, jobs, the API, the maps and the pages. On
start it migrates the database to the newest schema, loads the embedded dataset into an
empty database, marks runs left behind by a dead worker ``interrupted``, and starts the
watchdog of the workers; on stop it ends this server's workers.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, status
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker

from geomatch import __version__
from geomatch.errors import DatasetMissingError
from geomatch.service.cache import ServiceCaches
from geomatch.service.config import ServiceSettings, get_settings
from geomatch.service.db import make_engine, migrate, session_scope
from geomatch.service.deps import LoginRequiredError
from geomatch.service.jobs import JobManager, recover_runs

__all__ = ["create_app", "prepare_database"]

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent


def prepare_database(settings: ServiceSettings) -> sessionmaker[Session]:
    """Migrate the database and load the dataset into it if it is empty.

    Returns
    -------
    sessionmaker
        The session factory of the database.
    """
    from geomatch.service.dataload import load_dataset_into

    engine = make_engine(settings.database_url)
    migrate(engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    if settings.load_dataset:
        try:
            with session_scope(factory) as session:
                counts = load_dataset_into(session, settings.data_dir)
            if counts:
                log.info("dataset loaded: %s", counts)
        except DatasetMissingError as exc:
            log.warning("no dataset loaded (%s); coverage pages will be empty", exc)
    return factory


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """Build the application.

    Parameters
    ----------
    settings
        Defaults to :func:`~geomatch.service.config.get_settings` (the environment).
    """
    from geomatch.service import api, pages

    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        factory = prepare_database(settings)
        app.state.session_factory = factory
        recover_runs(factory)
        jobs = JobManager(settings, factory)
        jobs.start_watchdog()
        jobs.dispatch()  # runs left in the queue by a previous server
        app.state.jobs = jobs
        try:
            yield
        finally:
            jobs.shutdown()
            factory.kw["bind"].dispose()

    app = FastAPI(
        title="geomatch",
        version=__version__,
        description=(
            "科技助力精准扶贫: pair eastern helpers with western needs, schedule science "
            "caravans and mobile museum tours, read coverage and export the results. "
            "Every /api call needs `Authorization: Bearer <token>` "
            "(`geomatch users add NAME --role …`)."
        ),
        lifespan=lifespan,
        # The interactive docs pages load their scripts from a CDN; the service stays
        # offline and serves the schema only (/openapi.json).
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.caches = ServiceCaches(auth_ttl_s=settings.auth_cache_s)

    @app.exception_handler(LoginRequiredError)
    async def _login(request: Request, exc: LoginRequiredError) -> HTMLResponse:
        return pages.templates.TemplateResponse(
            request, "login.html", {"error": ""}, status_code=status.HTTP_401_UNAUTHORIZED
        )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__})

    app.include_router(api.router)
    app.include_router(api.maps_router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    return app
