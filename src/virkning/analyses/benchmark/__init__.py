"""Benchmarking of job centres (seed 004, tables 5.1-5.7): gross unemployment per unit and month in full-time
persons and as a rate, changes on the month and the year, comparisons with the whole country, the best units and a
declared comparison group, a scoreboard in thirds, caseloads per caseworker and expected against actual levels.

    spec      the design-file section `benchmark:`                                -> `BenchmarkSpec`, `compile_benchmark`
    compute   indicators -> disclosure rules -> tables on the shown cells         -> `run_benchmark`, `BenchmarkResult`
    expected  OLS of the level on unit covariates, prediction intervals          -> `expected_levels`
    publish   the tables through the gate, one output per target group           -> `publish`
    sections  the report sections (tables, small multiples) in Danish or English -> `benchmark_sections`

docs/benchmarking.md describes the section, the tables and the choices.
"""

from __future__ import annotations

from pathlib import Path

from virkning.analyses.base import Context, Kind
from virkning.analyses.benchmark.compute import BenchmarkResult, run_benchmark
from virkning.analyses.benchmark.expected import ExpectedFit, expected_levels
from virkning.analyses.benchmark.publish import publish
from virkning.analyses.benchmark.spec import HINTS, SECTION, BenchmarkDesign, BenchmarkSpec, compile_benchmark


def run(design, ctx: Context) -> BenchmarkResult:
    """The benchmark of a checked design (`virkning.design.Design`) on the context's registers; input files are
    read relative to the design file."""
    return run_benchmark(design.analyses["benchmark"], ctx.registers, threshold=ctx.threshold,
                         base=Path(design.source).parent, synthetic=(Path(ctx.data) / "truth.json").is_file(),
                         progress=ctx.progress)


def render(output, language: str, numbering=None):
    from virkning.analyses.benchmark.sections import benchmark_sections

    return benchmark_sections(output, language, numbering)


KIND = Kind(key="benchmark", title=("Benchmarking af jobcentre", "Benchmarking of job centres"), spec=BenchmarkSpec,
            section=SECTION, command="evaluate", compile=compile_benchmark, run=run, publish=publish, render=render)

__all__ = ["HINTS", "KIND", "SECTION", "BenchmarkDesign", "BenchmarkResult", "BenchmarkSpec", "ExpectedFit",
           "compile_benchmark", "expected_levels", "publish", "run", "run_benchmark"]
