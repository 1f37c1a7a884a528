"""The `odop` command: serve, db, seed, worker, admin."""

from __future__ import annotations

import asyncio
import getpass
import os
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import PROJECT_ROOT, get_settings
from app.db import make_engine, make_session_factory
from app.errors import AppError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

app = typer.Typer(
    help="ODOP Bazaar: storefront for India's One District One Product programme.",
    no_args_is_help=True,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
seed_app = typer.Typer(help="Reference and demo data.", no_args_is_help=True)
admin_app = typer.Typer(help="Administration.", no_args_is_help=True)
accounts_app = typer.Typer(help="User accounts.", no_args_is_help=True)
rates_app = typer.Typer(help="Exchange rates for foreign-currency prices.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(seed_app, name="seed")
app.add_typer(admin_app, name="admin")
app.add_typer(accounts_app, name="accounts")
app.add_typer(rates_app, name="rates")
search_app = typer.Typer(help="Product search index and synonyms.", no_args_is_help=True)
synonyms_app = typer.Typer(
    help="Synonym groups (Banaras = Varanasi = बनारस).", no_args_is_help=True
)
search_app.add_typer(synonyms_app, name="synonyms")
app.add_typer(search_app, name="search")
console = Console()
T = TypeVar("T")


def alembic_config() -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    return AlembicConfig(str(PROJECT_ROOT / "alembic.ini"))


def run_alembic(command: str, *args: Any, **options: Any) -> None:
    """An Alembic command on this project's migrations. Alembic is imported here, not when the
    module loads, so `odop serve` workers do not hold it (6.5 MB each)."""
    from alembic import command as alembic_command

    getattr(alembic_command, command)(alembic_config(), *args, **options)


def run_in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction on the configured database, committing if it succeeds."""

    async def runner() -> T:
        engine = make_engine(get_settings().database_url)
        try:
            async with make_session_factory(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(runner())


def run_with_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` with a session that commits as it goes (``work`` calls ``commit``); what it
    has not committed when it fails is rolled back."""

    async def runner() -> T:
        engine = make_engine(get_settings().database_url)
        try:
            async with make_session_factory(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(runner())


def _progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(envvar="HOST")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT")] = 8000,
    workers: Annotated[int, typer.Option(help="Uvicorn worker processes.")] = 1,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development).")] = False,
) -> None:
    """Serve the storefront with uvicorn."""
    import uvicorn

    settings = get_settings()
    if settings.env == "development" and "base_url" not in settings.model_fields_set:
        # Links in pages and emails point at this server, wherever HOST and PORT put it.
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
        shown = f"[{shown}]" if ":" in shown else shown
        os.environ["ODOP_BASE_URL"] = f"http://{shown}:{port}"
        get_settings.cache_clear()

    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        access_log=False,
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: head)."""
    run_alembic("upgrade", revision)


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION ('base' for an empty database)."""
    run_alembic("downgrade", revision)


@db_app.command("current")
def db_current() -> None:
    """Show the revision the database is at."""
    run_alembic("current", verbose=False)


@db_app.command("check")
def db_check() -> None:
    """Fail if the models and the migrations differ."""
    run_alembic("check")


@seed_app.command("reference")
def seed_reference() -> None:
    """Load states, districts, ODOP products, GI tags and categories (idempotent upsert)."""
    from app.reference.loading import load_reference

    report = run_in_session(load_reference)
    table = Table("table", "inserted", "updated", "unchanged", title="Reference data")
    for name, counts in sorted(report.counts.items()):
        table.add_row(
            name, str(counts["inserted"]), str(counts["updated"]), str(counts["unchanged"])
        )
    console.print(table)


@seed_app.command("demo")
def seed_demo(
    listings: Annotated[
        int, typer.Option(help="Total demo listings wanted (at least one per ODOP product).")
    ] = 0,
) -> None:
    """Create clearly marked demo sellers and listings (adds only what is missing)."""
    from app.demo_data import seed_demo as run_seed
    from app.storage import LocalStorage

    storage = LocalStorage(get_settings().media_dir / "public")
    with _progress() as progress:
        task = progress.add_task("Demo listings", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        # Committed batch by batch: a million listings in one transaction would hold everything
        # until the end, and an interrupted run would keep nothing.
        report = run_with_session(
            lambda s: run_seed(s, storage, listings=listings, progress=advance, commit_batches=True)
        )
    console.print(
        f"Demo data: {report.sellers} sellers, {report.gi_claims} verified GI claims, "
        f"{report.listings} listings, {report.images} product images created."
    )
    _ensure_search_index()  # the demo listings are searchable at once


@rates_app.command("set")
def rates_set(
    currency: str,
    inr_per_unit: Annotated[str, typer.Argument(help="Rupees for one unit, e.g. 83.25")],
    effective: Annotated[
        str | None, typer.Option("--date", help="From this date on (YYYY-MM-DD); default today.")
    ] = None,
) -> None:
    """Set how many rupees one unit of CURRENCY costs, from a date on."""
    from app.rates.service import parse_rate, set_rate

    settings = get_settings()
    try:
        day = date.fromisoformat(effective) if effective else datetime.now(UTC).date()
        rate = run_in_session(
            lambda s: set_rate(
                s,
                currency,
                parse_rate(inr_per_unit),
                day,
                supported=settings.display_currencies,
                source="odop rates set",
            )
        )
    except (AppError, ValueError) as exc:
        console.print(f"[red]{getattr(exc, 'message', exc)}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"1 {rate.currency} = ₹{rate.inr_per_unit} from {rate.effective_date}.")


@rates_app.command("list")
def rates_list() -> None:
    """Show the rates in force today."""
    from app.rates.service import current_rates

    rates = run_in_session(lambda s: current_rates(s, datetime.now(UTC).date()))
    table = Table("currency", "rupees per unit", "since", title="Exchange rates")
    for code in sorted(rates):
        table.add_row(code, str(rates[code].inr_per_unit), str(rates[code].effective_date))
    console.print(table)


@app.command()
def worker(
    once: Annotated[bool, typer.Option(help="Run due jobs, then exit.")] = False,
) -> None:
    """Run background jobs (search sync, email, webhooks) in this process."""
    from app.job_handlers import register_all
    from app.jobs import JobRunner

    register_all()
    settings = get_settings()

    async def main() -> None:
        engine = make_engine(settings.database_url)
        runner = JobRunner(make_session_factory(engine), settings)
        try:
            if once:
                ran = await runner.run_until_idle()
                console.print(f"Ran {ran} jobs.")
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            console.print(f"Worker {runner.worker_id} started.")
            await runner.run_forever(stop)
        finally:
            await engine.dispose()

    asyncio.run(main())


@admin_app.command("create")
def admin_create(
    email: Annotated[str, typer.Option(prompt=True)],
    name: Annotated[str, typer.Option(prompt=True)] = "Administrator",
    password: Annotated[
        str | None, typer.Option(envvar="ODOP_ADMIN_PASSWORD", help="Prompted for when not given.")
    ] = None,
) -> None:
    """Create a platform administrator account."""
    from app.accounts.service import create_admin

    secret = password or getpass.getpass("Password: ")
    try:
        user = run_in_session(lambda s: create_admin(s, email, secret, name))
    except AppError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"Administrator {user.email} created.")


@accounts_app.command("purge")
def accounts_purge() -> None:
    """Delete expired sessions, spent or expired emailed links and old sign-in counters."""
    from app.accounts.service import purge

    counts = run_in_session(lambda s: purge(s, get_settings()))
    console.print(", ".join(f"{name}: {n} deleted" for name, n in counts.items()))


@search_app.command("setup")
def search_setup() -> None:
    """Create the search index if missing and apply its settings (Meilisearch: attributes,
    ranking rules, synonyms, typo tolerance)."""
    from app.catalog.search import service as search_service

    name = run_in_session(search_service.setup)
    console.print(f"Search index ready ({name}).")


def _ensure_search_index() -> None:
    from app.catalog.search import service as search_service

    async def main() -> int | None:
        engine = make_engine(get_settings().database_url)
        try:
            with _progress() as progress:
                task = progress.add_task("Indexing listings", total=None)

                def advance(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total)

                return await search_service.ensure(make_session_factory(engine), advance)
        finally:
            await engine.dispose()

    written = asyncio.run(main())
    if written is None:
        console.print("Search index is up to date.")
    else:
        console.print(f"Search index rebuilt: {written} listings.")


@search_app.command("ensure")
def search_ensure() -> None:
    """Set up the search index and rebuild it only if it is missing or out of date (what
    `make run` and the deployment's migrate step run on every start)."""
    _ensure_search_index()


@search_app.command("reindex")
def search_reindex() -> None:
    """Rebuild the search index from the database beside the live one, then swap it in."""
    import time

    from app.catalog.search import service as search_service

    async def main() -> int:
        engine = make_engine(get_settings().database_url)
        try:
            with _progress() as progress:
                task = progress.add_task("Indexing listings", total=None)

                def advance(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total)

                return await search_service.reindex(make_session_factory(engine), advance)
        finally:
            await engine.dispose()

    started = time.perf_counter()
    written = asyncio.run(main())
    console.print(f"Indexed {written} listings in {time.perf_counter() - started:.1f} s.")


@synonyms_app.command("list")
def synonyms_list() -> None:
    """Show the synonym groups."""
    from app.catalog.search import service as search_service

    groups = run_in_session(search_service.list_synonyms)
    table = Table("id", "words", "note", title="Search synonyms")
    for group in groups:
        table.add_row(str(group.id), ", ".join(group.terms), group.note)
    console.print(table)


@synonyms_app.command("add")
def synonyms_add(
    words: Annotated[list[str], typer.Argument(help="Two or more words that mean the same.")],
    note: Annotated[str, typer.Option(help="What the group is about.")] = "",
) -> None:
    """Add a group of words that mean the same thing."""
    from app.catalog.search import service as search_service

    try:
        group = run_in_session(lambda s: search_service.add_synonyms(s, words, note))
    except AppError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"Synonym group {group.id} added: {', '.join(group.terms)}.")


@synonyms_app.command("remove")
def synonyms_remove(group_id: int) -> None:
    """Remove a synonym group by its id (see `odop search synonyms list`)."""
    from app.catalog.search import service as search_service

    try:
        run_in_session(lambda s: search_service.remove_synonyms(s, group_id))
    except AppError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"Synonym group {group_id} removed.")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
