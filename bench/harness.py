"""What both benchmarks (bench/run.py and bench/search.py) need: servers on free loopback ports,
the `odop` command, a PostgreSQL database, and wrk with bench/report.lua's exact percentiles."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from app.config import PROJECT_ROOT

REPORT_SCRIPT = Path(__file__).resolve().parent / "report.lua"
WRK_TIMEOUT_S = 10  # a response slower than this counts as a timeout
START_TIMEOUT_S = 180.0  # a loaded machine can take minutes to start the app (--start-timeout)
DEFAULT_POSTGRES_URL = os.environ.get(
    "ODOP_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432"
)


@dataclass
class WrkResult:
    requests: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[int, int]
    socket_errors: dict[str, int]

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def non_2xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)


def parse_wrk_output(stdout: str) -> WrkResult:
    """Read the JSON line that bench/report.lua's `done` hook prints."""
    for line in stdout.splitlines():
        if line.startswith("WRK_JSON "):
            data = json.loads(line.removeprefix("WRK_JSON "))
            return WrkResult(
                requests=data["requests"],
                duration_s=data["duration_us"] / 1e6,
                p50_ms=data["p50_us"] / 1000,
                p99_ms=data["p99_us"] / 1000,
                max_ms=data["max_us"] / 1000,
                statuses={int(status): n for status, n in data["statuses"].items()},
                socket_errors=data["errors"],
            )
    raise ValueError(f"wrk printed no WRK_JSON line (is bench/report.lua in use?):\n{stdout}")


def rotation_script(paths: Sequence[str]) -> str:
    """bench/report.lua preceded by a `request` hook that cycles through ``paths``."""
    if not paths:
        raise ValueError("no paths to rotate over")
    for path in paths:
        if not (path.startswith("/") and path.isascii() and path.isprintable()):
            raise ValueError(f"not a percent-encoded path: {path!r}")
    quoted = ", ".join('"' + p.replace("\\", "\\\\").replace('"', '\\"') + '"' for p in paths)
    rotation = (
        f"local paths = {{{quoted}}}\n"
        "local next_path = nil\n"
        "function request()\n"
        "  -- each thread starts elsewhere in the rotation, so threads do not ask in step\n"
        "  next_path = (next_path or (thread_number or 0) * 7919) % #paths + 1\n"
        '  return wrk.format("GET", paths[next_path])\n'
        "end\n\n"
    )
    return rotation + REPORT_SCRIPT.read_text()


def run_wrk(
    url: str,
    *,
    duration: float,
    connections: int,
    threads: int,
    paths: Sequence[str] | None = None,
    warmup: float = 0,
    wrk: str = "wrk",
    before_measured: Callable[[], object] | None = None,
) -> WrkResult:
    """Load ``url`` (or, with ``paths``, its host over those paths in turn) for ``duration``
    seconds, after ``warmup`` seconds of the same load that are not measured.

    wrk abandons the requests in flight when it stops, and the server still answers them; so
    after the warm-up this waits as long as its slowest response took (the whole timeout when
    none finished), lest that leftover work land in the measured run. ``before_measured`` is
    called just before the measured run starts (to sample a server's CPU time, say)."""
    with tempfile.TemporaryDirectory() as scratch:
        script = REPORT_SCRIPT
        if paths is not None:
            script = Path(scratch) / "rotate.lua"
            script.write_text(rotation_script(paths))
        if warmup > 0:
            warm = parse_wrk_output(
                _wrk(wrk, url, script, duration=warmup, connections=connections, threads=threads)
            )
            time.sleep(warm.max_ms / 1000 if warm.requests else WRK_TIMEOUT_S)
        if before_measured is not None:
            before_measured()
        stdout = _wrk(wrk, url, script, duration=duration, connections=connections, threads=threads)
    return parse_wrk_output(stdout)


def wrk_command(
    wrk: str, url: str, script: Path, *, duration: float, connections: int, threads: int
) -> list[str]:
    return [
        wrk,
        f"--threads={min(threads, connections)}",
        f"--connections={connections}",
        f"--duration={max(1, round(duration))}s",
        f"--timeout={WRK_TIMEOUT_S}s",
        f"--script={script}",
        url,
    ]


def _wrk(
    wrk: str, url: str, script: Path, *, duration: float, connections: int, threads: int
) -> str:
    command = wrk_command(
        wrk, url, script, duration=duration, connections=connections, threads=threads
    )
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + 60, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return done.stdout


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def uvicorn_command(app: str, *, workers: int = 1) -> list[str]:
    """Serve an ASGI ``module:attribute`` on ``{port}`` with the storefront's quiet settings."""
    return [
        *(sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", "{port}"),
        *(f"--workers={workers}", "--log-level", "warning", "--no-access-log"),
    ]


def odop_serve_command(*, workers: int = 1) -> list[str]:
    return [
        *(sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", "{port}"),
        f"--workers={workers}",
    ]


@dataclass
class Server:
    base: str  # http://127.0.0.1:<port>
    process: subprocess.Popen[bytes]
    log_path: Path


@contextlib.contextmanager
def serve(command: list[str], env: dict[str, str], log_path: Path) -> Iterator[str]:
    """Start a server process on a free port (``{port}`` in ``command``), wait until its
    /healthz answers 200 and yield its base URL; its output goes to ``log_path``."""
    with start_server(command, env, log_path) as server:
        yield server.base


@contextlib.contextmanager
def start_server(command: list[str], env: dict[str, str], log_path: Path) -> Iterator[Server]:
    """``serve``, yielding the process too (to watch it); stopped on exit if still running."""
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [part.format(port=port) for part in command],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_healthy(process, base, log_path)
            yield Server(base, process, log_path)
        finally:
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_healthy(process: subprocess.Popen[bytes], base: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}; see {log_path}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(
        f"server at {base} did not become healthy in {START_TIMEOUT_S:g} s; see {log_path}"
    )


def odop(env: dict[str, str], *args: str, quiet: bool = False) -> None:
    """Run an `odop` command; with ``quiet`` its output is shown only when it fails."""
    command = [sys.executable, "-m", "app.cli", *args]
    done = subprocess.run(command, env=env, cwd=PROJECT_ROOT, capture_output=quiet, check=False)
    if done.returncode != 0:
        if quiet:
            print(done.stdout.decode(), done.stderr.decode(), file=sys.stderr)
        raise RuntimeError(f"odop {' '.join(args)} failed with {done.returncode}")


def ensure_pg_database(server_url: str, name: str, *, recreate: bool = False) -> str:
    """Create the database ``name`` on the server of ``server_url`` (any database in that URL is
    only used to connect) unless it exists; return the app's URL for it."""
    server = make_url(server_url).set(drivername="postgresql")
    asyncio.run(_ensure_pg_database(server.render_as_string(hide_password=False), name, recreate))
    app_url = server.set(drivername="postgresql+asyncpg", database=name)
    return app_url.render_as_string(hide_password=False)


async def _ensure_pg_database(admin_url: str, name: str, recreate: bool) -> None:
    admin = await asyncpg.connect(admin_url)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists and recreate:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = False
        if not exists:
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
