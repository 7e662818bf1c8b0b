"""Benchmarks against a floor, measured side by side in one run on this interpreter.

    python tests/benchmark.py [--runs 30] [--rows 200000] [--batch-runs 3] [--only startup|batch]

(a) `b12 labs --b12 180 --mma 0.5 --format json` vs a minimal Typer app printing one line (budget 1.15x)
(b) the same command as a table vs a minimal Typer app printing one Rich table (budget 1.15x)
(c) ROWS CSV rows to JSONL vs a plain csv.DictReader -> json.dumps passthrough: wall time and CPU time (user +
    system of the process); budget: CPU within 2.5x the passthrough's CPU. Peak memory (budget 100 MB) at
    ROWS/10 and at ROWS rows (flat).

Not part of the pytest run (its name does not start with test_). Prints one line per comparison and
exits 1 if a budget is missed.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

FLOOR_JSON = """
import typer
app = typer.Typer(add_completion=False)
@app.command()
def main(b12: str = "180", mma: str = "0.5", format: str = "json"):
    print('{"verdict": "deficiency_likely"}')
app()
"""

FLOOR_TABLE = """
import typer
from rich.console import Console
from rich.table import Table
app = typer.Typer(add_completion=False)
@app.command()
def main(b12: str = "180", mma: str = "0.5"):
    table = Table("Marker", "Value", "Status")
    table.add_row("b12", "180 pg/mL", "low")
    table.add_row("mma", "0.5 umol/L", "high")
    Console().print(table)
app()
"""

B12_ENTRY = "from b12cli.entry import main\nmain()\n"  # what the installed console script does
# Children may write .pyc files (as after a normal `pip install`), whatever this shell says.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

PASSTHROUGH = """
import csv, json, sys
with open(sys.argv[1], newline="", encoding="utf-8") as fh:
    out = sys.stdout
    for row in csv.DictReader(fh):
        out.write(json.dumps(row) + "\\n")
"""


def _pss_kb(pid: int) -> int:
    """Proportional set size of a process and its children (shared pages split fairly), in kB."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


class Run(NamedTuple):
    wall: float  # seconds
    rss: int  # MB, peak RSS of the largest process (wait4)
    pss: int  # MB, peak PSS of the whole tree (only when sampled)
    cpu: float  # seconds of user + system time, the process and every child it reaped (wait4)


def timed(argv: list[str], sample: bool = False, env: dict[str, str] | None = None) -> Run:
    """Wall seconds, peak RSS of any one process (MB, from wait4), CPU seconds of the process tree
    and, when sampled, the peak PSS of the whole process tree (MB, polled from /proc every 20 ms),
    output discarded."""
    import threading

    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**CHILD_ENV, **(env or {})})
    peak = [0]
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], _pss_kb(proc.pid))

    watcher = threading.Thread(target=poll, daemon=True)
    if sample:
        watcher.start()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    done.set()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 3, 4):
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(argv)}")
    # wait4's usage covers the child and the children it waited for (the batch joins its workers)
    return Run(elapsed, usage.ru_maxrss // 1024, peak[0] // 1024, usage.ru_utime + usage.ru_stime)


def compare(label: str, ours: list[str], floor: list[str], runs: int, budget: float) -> bool:
    timed(ours), timed(floor)  # warm caches (file system, compiled knowledge base, .pyc)
    a, b = [], []
    for _ in range(runs):  # interleaved, so drift in machine load hits both
        a.append(timed(ours)[0])
        b.append(timed(floor)[0])
    ratio = statistics.median(a) / statistics.median(b)
    ok = ratio <= budget
    print(f"{label}: b12 {statistics.median(a) * 1000:.0f} ms vs floor {statistics.median(b) * 1000:.0f} ms "
          f"(median of {runs}) -> {ratio:.2f}x, budget {budget}x {'OK' if ok else 'MISSED'}")
    return ok


def make_csv(path: Path, rows: int) -> None:
    rng = random.Random(12)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("id,b12,holotc,mma,hcy,age\n")
        for i in range(rows):
            fh.write(f"P{i:07d},{rng.uniform(80, 1200):.1f},{rng.uniform(10, 150):.1f},"
                     f"{rng.uniform(0.1, 1.5):.2f},{rng.uniform(5, 30):.1f},{rng.randint(18, 95)}\n")


def _spread(values: list[float]) -> str:
    return f"{min(values):.2f} s (median {statistics.median(values):.2f})"


def batch(py: str, entry: str, passthrough: str, rows: int, work: Path, runs: int = 3) -> bool:
    small, large = work / "small.csv", work / "large.csv"
    make_csv(small, rows // 10)
    make_csv(large, rows)
    ours = [py, entry, "labs", "--input", str(large), "--format", "jsonl"]
    floor = [py, passthrough, str(large)]
    timed(ours), timed(floor)
    a, b = [], []
    for _ in range(runs):  # interleaved, so drift in machine load hits both
        a.append(timed(ours))
        b.append(timed(floor))
    _, rss_large, pss_large, _ = timed(ours, sample=True)
    _, rss_small, pss_small, _ = timed([py, entry, "labs", "--input", str(small), "--format", "jsonl"], sample=True)
    wall = {k: min(r.wall for r in v) for k, v in (("b12", a), ("floor", b))}
    cpu = {k: min(r.cpu for r in v) for k, v in (("b12", a), ("floor", b))}
    ratio = cpu["b12"] / cpu["floor"]
    median = statistics.median(r.cpu for r in a) / statistics.median(r.cpu for r in b)
    flat = rss_large <= rss_small * 1.2 + 2 and pss_large <= pss_small * 1.2 + 4
    ok = pss_large < 100 and rss_large < 100 and flat
    print(f"(c) batch {rows:,} rows to JSONL (best of {runs}, median in brackets), passthrough {wall['floor']:.2f} s "
          f"wall, CPU {_spread([r.cpu for r in b])}:")
    print(f"    b12: {wall['b12']:.2f} s wall ({wall['b12'] / wall['floor']:.2f}x), "
          f"CPU {_spread([r.cpu for r in a])} ({ratio:.2f}x, medians {median:.2f}x); "
          f"budget CPU 2.5x {'OK' if ratio <= 2.5 else 'MISSED'}")
    print(f"    memory: {rss_small} MB at {rows // 10:,} rows, {rss_large} MB at {rows:,} rows (PSS {pss_small} MB "
          f"and {pss_large} MB); budget 100 MB and flat {'OK' if ok else 'MISSED'}")
    return ok and ratio <= 2.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch-runs", type=int, default=3, help="interleaved runs of each batch command")
    parser.add_argument("--only", choices=["startup", "batch"], help="run one part")
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        scripts = {}
        for name, text in (("floor_json", FLOOR_JSON), ("floor_table", FLOOR_TABLE), ("b12", B12_ENTRY),
                           ("passthrough", PASSTHROUGH)):
            scripts[name] = str(work / f"{name}.py")
            Path(scripts[name]).write_text(text, encoding="utf-8")
        print(f"python {sys.version.split()[0]} at {py}")
        labs = ["labs", "--b12", "180", "--mma", "0.5"]
        results = []
        if args.only in (None, "startup"):
            results.append(compare("(a) labs --format json", [py, scripts["b12"], *labs, "--format", "json"],
                                   [py, scripts["floor_json"]], args.runs, 1.15))
            results.append(compare("(b) labs table        ", [py, scripts["b12"], *labs],
                                   [py, scripts["floor_table"]], args.runs, 1.15))
        if args.only in (None, "batch"):
            results.append(batch(py, scripts["b12"], scripts["passthrough"], args.rows, work, args.batch_runs))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
