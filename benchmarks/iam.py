"""IAM decisions per second, one thread: codeconn against cedarpy and principalmapper.

    .venv/bin/python benchmarks/iam.py [--workload PATH] [--json] [--repeat N] [--limit N]
                                       [--engines codeconn,cedarpy,principalmapper]

The workload (benchmarks/data/iam-workload.json by default) is a CodePipeline role's
identity policies and 10,000 requests with the decision AWS makes for each. Every
engine does its one-off work before the clock starts: policies parsed or translated
once, its own request objects built once (codeconn's `make_request`, cedarpy's request
dicts with the context already serialised, principalmapper's CaseInsensitiveDicts).
The clock then times one pass over all requests, one decision at a time; the best of
`--repeat` passes counts, the engines taking their passes in turns. As `timeit` does,
garbage collection is paused during a pass, for every engine alike.

For each engine the report gives decisions per second and how many decisions equal the
expected ones (`agree` of `total`); `ratios` is codeconn's rate over each other's.
cedarpy's `is_authorized_batch` is also measured and reported under `extras`, apart from
the headline per-request figure.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from engines import Prepared, cedar, codeconn_iam, pmapper
from engines.workload import Workload, WorkloadError, first_differences, load_workload

REPO = Path(__file__).resolve().parent.parent
DEFAULT_WORKLOAD = REPO / "benchmarks" / "data" / "iam-workload.json"
ENGINES: dict[str, Callable[[Workload], Prepared]] = {
    codeconn_iam.NAME: codeconn_iam.prepare,
    cedar.NAME: cedar.prepare,
    pmapper.NAME: pmapper.prepare,
}
GOAL = ("principalmapper", 10.0)  # codeconn should decide at least 10x as fast as this engine

EXIT_OK = 0
EXIT_BAD_INPUT = 2


@dataclass(frozen=True)
class Measurement:
    engine: str
    decisions_per_second: float
    agree: int
    total: int
    differences: list[dict[str, str]]

    def to_json(self) -> dict[str, object]:
        return {"engine": self.engine, "decisions_per_second": round(self.decisions_per_second, 1),
                "agree": self.agree, "total": self.total}


def timed_pass(prepared: Prepared) -> tuple[float, list[str]]:
    """One pass over every request: (seconds, decisions)."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        decisions = prepared.decide_all(prepared.requests)
        return time.perf_counter() - start, decisions
    finally:
        gc.enable()


def measure(engines: Sequence[Prepared], workload: Workload, repeat: int) -> list[Measurement]:
    """The best of `repeat` passes per engine, the passes taken in turns (engine by engine,
    round after round) so that a spell of load on the machine falls on every engine alike.
    Agreement is counted on the first pass; every later pass must decide the same."""
    best = {p.engine: float("inf") for p in engines}
    first: dict[str, list[str]] = {}
    for _ in range(repeat):
        for prepared in engines:
            elapsed, decisions = timed_pass(prepared)
            best[prepared.engine] = min(best[prepared.engine], elapsed)
            if first.setdefault(prepared.engine, decisions) != decisions:
                raise RuntimeError(f"{prepared.engine}: decisions changed between passes")
    out = []
    for prepared in engines:
        decisions = first[prepared.engine]
        agree = sum(got == want for got, want in zip(decisions, workload.expect))
        out.append(Measurement(prepared.engine, len(decisions) / best[prepared.engine], agree, len(decisions),
                               first_differences(workload, decisions)))
    return out


def run(workload: Workload, engines: Sequence[str], repeat: int) -> dict[str, object]:
    """Measure each engine; the JSON report (`results` is the contract)."""
    prepared = [ENGINES[name](workload) for name in engines]
    extra = [cedar.prepare_batch(workload)] if cedar.NAME in engines else []
    measured = measure(prepared + extra, workload, repeat)
    results, extras = measured[:len(prepared)], measured[len(prepared):]
    rate = {m.engine: m.decisions_per_second for m in results}
    ratios = {f"codeconn/{m.engine}": round(rate["codeconn"] / m.decisions_per_second, 2)
              for m in results if "codeconn" in rate and m.engine != "codeconn"}
    report: dict[str, object] = {
        "workload": str(workload.path),
        "cases": len(workload),
        "repeat": repeat,
        "python": sys.version.split()[0],
        "results": [m.to_json() for m in results],
        "ratios": ratios,
        "extras": [m.to_json() for m in extras],
        "disagreements": {m.engine: m.differences for m in measured if m.differences},
    }
    other, target = GOAL
    if f"codeconn/{other}" in ratios:
        report["goal"] = {"codeconn_over": other, "target": target,
                          "ratio": ratios[f"codeconn/{other}"], "met": ratios[f"codeconn/{other}"] >= target}
    return report


def print_table(report: dict[str, object]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"IAM decisions per second, one thread ({report['cases']:,} cases, best of {report['repeat']})",
                  caption=f"{report['workload']}  ·  Python {report['python']}")
    table.add_column("engine")
    table.add_column("decisions/s", justify="right")
    table.add_column("agree/total", justify="right")
    table.add_column("codeconn ×", justify="right")
    ratios: dict[str, float] = report["ratios"]  # type: ignore[assignment]
    for row in report["results"]:  # type: ignore[attr-defined]
        ratio = ratios.get(f"codeconn/{row['engine']}")
        table.add_row(row["engine"], f"{row['decisions_per_second']:,.0f}", f"{row['agree']:,}/{row['total']:,}",
                      "—" if ratio is None else f"{ratio:,.1f}×")
    for row in report["extras"]:  # type: ignore[attr-defined]
        table.add_row(f"[dim]{row['engine']}[/dim]", f"[dim]{row['decisions_per_second']:,.0f}[/dim]",
                      f"[dim]{row['agree']:,}/{row['total']:,}[/dim]", "[dim]not compared[/dim]")
    console = Console()
    console.print(table)
    goal = report.get("goal")
    if isinstance(goal, dict):
        verdict = "[green]met[/green]" if goal["met"] else "[red]not met[/red]"
        console.print(f"goal: codeconn ≥ {goal['target']:g}× {goal['codeconn_over']}: "
                      f"{goal['ratio']:,.1f}× — {verdict}")
    for engine, rows in report["disagreements"].items():  # type: ignore[attr-defined]
        shown = ", ".join(f"{r['case']} (expect {r['expect']}, got {r['decision']})" for r in rows)
        console.print(f"[yellow]{engine} disagrees[/yellow], first cases: {shown}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--workload", type=Path, default=DEFAULT_WORKLOAD, help="workload file (policy test format)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per engine; the best counts (default 3)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N cases")
    parser.add_argument("--engines", default=",".join(ENGINES), help=f"comma-separated, of {', '.join(ENGINES)}")
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = [e for e in args.engines if e not in ENGINES]
    if unknown or not args.engines:
        parser.error(f"--engines: unknown {', '.join(unknown) or '(none given)'}; choose from {', '.join(ENGINES)}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        workload = load_workload(args.workload.resolve(), args.limit)
    except WorkloadError as exc:
        print(f"benchmarks/iam.py: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    report = run(workload, args.engines, args.repeat)
    if args.json:
        print(json.dumps(report))
    else:
        print_table(report)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
