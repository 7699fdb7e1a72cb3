"""`virkning evaluate`: run a design file on a data folder and write everything an evaluation publishes.

    out/report.html          self-contained report (virkning.report)
    out/results/*.csv        flow, population comparison, balance, effects, subgroups, heterogeneity, robustness
    out/results/results.json every published number (the report's only input)
    out/figures/*.png|svg    the report's figures
    out/manifest.json        input file hashes, versions, seed, timings (the one file that changes between runs)

Everything published passes `virkning.disclosure.protect` first; the same inputs and seed give identical
results files.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from importlib import metadata
from pathlib import Path
from typing import Callable

from virkning import __version__
from virkning.disclosure.legacy import protect
from virkning.evaluation import evaluate, robustness
from virkning.errors import VirkningError
from virkning.registers import load
from virkning.results import bundle, write_results

DEPENDENCIES = ("numpy", "pandas", "pyarrow", "duckdb", "scipy", "statsmodels", "pydantic", "pyyaml", "typer", "rich",
                "jinja2", "matplotlib", "pyreadstat", "openpyxl")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _versions() -> dict[str, str]:
    out = {"virkning": __version__, "python": platform.python_version()}
    for dep in DEPENDENCIES:
        try:
            out[dep] = metadata.version(dep)
        except metadata.PackageNotFoundError:
            out[dep] = "not installed"
    return out


def run_evaluation(design_path: str | Path, out: str | Path, *, data: str | Path | None = None,
                   progress: Callable[[str], None] | None = None, regs=None) -> dict[str, Path]:
    """Validate the design and data, evaluate, protect, write results, figures, report and manifest.

    `regs`: registers the caller has already loaded (and validated) from the data folder with the design's load
    options, e.g. to monitor from the same load afterwards; the caller closes them."""
    from virkning.design import load_design
    from virkning.report import render_report

    say = progress or (lambda msg: None)
    started = time.perf_counter()
    design_path = Path(design_path)
    design = load_design(design_path)
    folder = Path(data) if data is not None else Path(design.data_folder)
    own = regs is None
    if own:
        say("validating data")
        regs = load(folder, design.load_options())
    elif Path(regs.folder).resolve() != folder.resolve() or regs.options != design.load_options():
        raise VirkningError(f"the registers given were loaded from {regs.folder} with other options than the design "
                            f"asks for ({folder}); load them with design.load_options()")
    timings = {"load_and_validate": regs.load_seconds}
    try:
        effect_design = design.effect_design()
        variants = design.robustness_variants()
        if variants:
            say("main design and robustness variants")
            t = time.perf_counter()
            rob = robustness(regs, effect_design, variants, progress=lambda s: say(s), keep_main=True)
            ev, rob = rob
            timings["robustness_variants"] = time.perf_counter() - t - ev.timings["total"]
        else:
            ev, rob = evaluate(regs, effect_design, progress=lambda s: say(s)), None
        t = time.perf_counter()
        b = bundle(ev, design=design.to_dict(), regs=regs, robustness=rob)
    finally:
        if own:
            regs.close()
    timings.update({f"evaluate_{k}": v for k, v in ev.timings.items()})
    published, suppressed = protect(b, design.disclosure_threshold)
    out = Path(out)
    paths = write_results(published, out / "results")
    timings["results"] = time.perf_counter() - t
    say("report")
    t = time.perf_counter()
    paths["report"] = render_report(published, out, language=design.language)
    timings["report"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - started
    inputs = {str(p.relative_to(folder)): _sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}
    manifest = {
        "design": {"path": str(design_path), "sha256": _sha256(design_path)},
        "data": {"folder": str(folder), "files": inputs},
        "seed": effect_design.seed,
        "disclosure": {"threshold": design.disclosure_threshold, "cells_suppressed": len(suppressed),
                       "log": suppressed},
        "versions": _versions(),
        "timings_seconds": {k: round(v, 3) for k, v in timings.items()},
    }
    paths["manifest"] = out / "manifest.json"
    paths["manifest"].write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return paths
