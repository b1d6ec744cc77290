"""``geomatch serve``, ``geomatch users …`` and ``geomatch bench service``.

The service reads its settings from the environment (``GEOMATCH_DATABASE_URL`` …, see
:mod:`geomatch.service.config`); these commands use the same settings, so
``geomatch users add`` writes into the database ``geomatch serve`` reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]

users_app = typer.Typer(
    help="Accounts of the web service (tokens are shown once).", no_args_is_help=True
)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="national | planner | analyst")],
    province: Annotated[
        str | None, typer.Option(help="Province code of a planner, e.g. 620000 (甘肃省).")
    ] = None,
    expires_days: Annotated[
        float | None, typer.Option(help="Days the token works (default: no expiry).")
    ] = None,
) -> None:
    """Create a user; the API token is printed as the last line (only its hash is stored)."""
    from geomatch.errors import InputError
    from geomatch.service.app import prepare_database
    from geomatch.service.auth import ROLES, add_user
    from geomatch.service.config import get_settings
    from geomatch.service.db import session_scope

    if role not in ROLES:  # checked before the database is opened (and perhaps created)
        raise InputError(
            f"unknown role {role!r}; expected one of {', '.join(ROLES)}", column="--role"
        )
    factory = prepare_database(get_settings())
    with session_scope(factory) as session:
        token = add_user(session, name, role, province, expires_days=expires_days)
    typer.echo(
        f"user {name} ({role}{', ' + province if province else ''}) created; "
        "keep this token, it is not shown again:"
    )
    typer.echo(token)


@users_app.command("token")
def users_token(
    name: Annotated[str, typer.Argument(help="Login name.")],
    expires_days: Annotated[
        float | None, typer.Option(help="Days the new token works (default: no expiry).")
    ] = None,
) -> None:
    """Issue a new token for an existing user (the old one stops working)."""
    import sqlalchemy as sa

    from geomatch.errors import InputError
    from geomatch.service.app import prepare_database
    from geomatch.service.auth import add_user
    from geomatch.service.config import get_settings
    from geomatch.service.db import session_scope
    from geomatch.service.models import User

    factory = prepare_database(get_settings())
    with session_scope(factory) as session:
        user = session.execute(sa.select(User).where(User.name == name)).scalar_one_or_none()
        if user is None:
            raise InputError(
                f"no user {name!r}; create it with `geomatch users add`", column="NAME"
            )
        token = add_user(
            session,
            name,
            user.role,
            user.province_adcode,
            rotate=True,
            expires_days=expires_days,
        )
    typer.echo(f"new token for {name}; the old one no longer works:")
    typer.echo(token)


@users_app.command("list")
def users_list() -> None:
    """List the users (names, roles, provinces; never tokens)."""
    import sqlalchemy as sa

    from geomatch.service.app import prepare_database
    from geomatch.service.config import get_settings
    from geomatch.service.db import session_scope
    from geomatch.service.models import User

    factory = prepare_database(get_settings())
    with session_scope(factory) as session:
        for u in session.execute(sa.select(User).order_by(User.name)).scalars():
            expires = u.token_expires_at.isoformat() if u.token_expires_at else "-"
            typer.echo(
                f"{u.name}\t{u.role}\t{u.province_adcode or '-'}\t"
                f"{'active' if u.active else 'disabled'}\t{expires}"
            )


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Disable a user: the token and every browser session stop working at once."""
    from geomatch.errors import InputError
    from geomatch.service.app import prepare_database
    from geomatch.service.auth import disable_user
    from geomatch.service.config import get_settings
    from geomatch.service.db import session_scope

    factory = prepare_database(get_settings())
    with session_scope(factory) as session:
        if not disable_user(session, name):
            raise InputError(f"no user {name!r}", column="NAME")
    typer.echo(f"user {name} disabled; `geomatch users token {name}` enables it again")


def register(app: typer.Typer) -> None:
    """Add ``serve``, the ``users`` group and ``bench service`` to the ``geomatch`` app."""

    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    ) -> None:
        """Start the web service (API, maps, pages); settings from GEOMATCH_* variables."""
        import uvicorn

        from geomatch.service import create_app, get_settings

        scenarios = get_settings().scenario_folder()
        if not scenarios.is_dir():
            typer.echo(
                f"warning: no scenario folder {scenarios}; copy the scenario TOML files to "
                "<GEOMATCH_SERVICE_HOME>/scenarios or set GEOMATCH_SCENARIO_DIR",
                err=True,
            )
        typer.echo(f"geomatch service on http://{host}:{port}/ (Ctrl-C stops it)", err=True)
        uvicorn.run(
            create_app(), host=host, port=port, log_level="info", timeout_graceful_shutdown=10
        )

    app.add_typer(users_app, name="users")

    from geomatch.cli.bench_cmd import bench_app

    @bench_app.command("service")
    def bench_service(
        clients: Annotated[int, typer.Option(min=1, max=2000, help="Concurrent clients.")] = 200,
        duration: Annotated[float, typer.Option(min=1, max=600, help="Seconds of load.")] = 20.0,
        think: Annotated[
            float, typer.Option(min=0, max=10, help="Mean pause of a client between requests, s.")
        ] = 1.0,
        database_url: Annotated[
            str | None, typer.Option(help="Database (default: a fresh SQLite file).")
        ] = None,
        scenario: Annotated[str, typer.Option(help="Scenario run before the load.")] = "national",
        workdir: Annotated[Path | None, typer.Option(help="Service home (default: temp).")] = None,
        run_dir: Annotated[
            Path | None,
            typer.Option("--run", help="Import this run folder instead of running a scenario."),
        ] = None,
        maps_dir: Annotated[
            Path | None, typer.Option("--maps", help="Maps folder of the imported run.")
        ] = None,
    ) -> None:
        """Load test on loopback: concurrent clients reading coverage and province maps."""
        from geomatch.service.loadtest import format_report, run_service_benchmark

        report = run_service_benchmark(
            clients=clients,
            duration_s=duration,
            think_s=think,
            database_url=database_url,
            scenario=scenario,
            workdir=workdir,
            run_dir=run_dir,
            maps_dir=maps_dir,
        )
        typer.echo(format_report(report))
