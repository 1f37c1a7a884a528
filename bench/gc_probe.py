"""Run `odop` with the collector's pauses recorded: ``python -m bench.gc_probe serve ...``.

Every collection is timed through ``gc.callbacks``; a summary per generation (count, p50, p99,
max and total milliseconds) is written as JSON to ``$ODOP_GC_PROBE_FILE`` at most every
DUMP_SECONDS and at exit, so bench/soak.py can report the pauses of the server it loads without
the application knowing about it.
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import runpy
import sys
import time
from array import array
from pathlib import Path
from typing import Any

DUMP_SECONDS = 2.0


class GcProbe:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.pauses_ms = [array("d") for _ in range(3)]
        self._started = 0.0
        self._dumped = time.monotonic()

    def callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        self.pauses_ms[info["generation"]].append((time.perf_counter() - self._started) * 1000)
        if self.path is not None and time.monotonic() - self._dumped > DUMP_SECONDS:
            self.dump()

    def summary(self) -> dict[str, dict[str, float]]:
        return {str(gen): summarise(pauses) for gen, pauses in enumerate(self.pauses_ms)}

    def dump(self) -> None:
        self._dumped = time.monotonic()
        if self.path is not None:
            scratch = self.path.with_suffix(".tmp")
            scratch.write_text(json.dumps(self.summary()))
            scratch.replace(self.path)


def summarise(pauses: Any) -> dict[str, float]:
    ordered = sorted(pauses)
    if not ordered:
        return {"count": 0, "p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0, "total_ms": 0.0}
    return {
        "count": len(ordered),
        "p50_ms": ordered[len(ordered) // 2],
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "max_ms": ordered[-1],
        "total_ms": sum(ordered),
    }


def main() -> None:
    target = os.environ.get("ODOP_GC_PROBE_FILE")
    probe = GcProbe(Path(target) if target else None)
    gc.callbacks.append(probe.callback)
    atexit.register(probe.dump)
    sys.argv = ["odop", *sys.argv[1:]]
    runpy.run_module("app.cli", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
