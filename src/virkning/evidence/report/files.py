"""The evidence report's output folder, written through the one writer (`virkning.outputs.write_folder`:
all-or-nothing) with a manifest:

    out/report.html                 the self-contained page (Danish or English)
    out/figures/*.png|svg           forest plots and the search flow
    out/tables/*.csv                statements, contributions, appraisal, findings, search flow, syntheses
    out/evidence.json               the statements with their rule and parameters, the flow, the meta-analyses
    out/base/<file>.yaml            the evidence base as read (so the report can be rebuilt)
    out/manifest.json               command, base file hash, rule, language, versions, timings

Columns that count studies are called `records` or `studies`, not `n`: `n` is kept for numbers of persons (a
study's N), which is what the disclosure audit reads. The folder is audited (`virkning.disclosure.audit`) before it
is put in place, as the evaluation and monitoring folders are.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd

from virkning.defaults import DISCLOSURE_THRESHOLD
from virkning.evidence.base import load_base
from virkning.evidence.report.data import EvidenceReportData, analyse
from virkning.evidence.report.sections import EvidencePage
from virkning.evidence.report.strings import EVIDENCE_UI
from virkning.outputs import (MARKER, Files, _versions, audited, check_out, csv_bytes, json_bytes, sha256_file,
                              write_folder)
from virkning.report.render import check_language, render_document
from virkning.report.strings import ui


def _flow_frames(data: EvidenceReportData) -> tuple[pd.DataFrame, pd.DataFrame]:
    stages = data.flow.to_frame().rename(columns={"n": "records"})
    exclusions = data.flow.exclusions.rename(columns={"n": "records"})
    return stages, exclusions


def _syntheses(data: EvidenceReportData) -> tuple[pd.DataFrame, pd.DataFrame]:
    forests, summaries = [], []
    for p in data.panels:
        if p.synthesis is None:
            continue
        key = {"synthesis": p.declared or f"{p.outcome}/{p.metric}", "outcome": p.outcome}
        forests.append(p.synthesis.to_frame().assign(**key))
        summaries.append(p.synthesis.summary().assign(**key))
    cat = (lambda fs: pd.concat(fs, ignore_index=True) if fs else pd.DataFrame())
    return cat(forests), cat(summaries)


def _json(data: EvidenceReportData, language: str) -> dict[str, Any]:
    stages, exclusions = _flow_frames(data)
    _, summaries = _syntheses(data)

    def records(frame: pd.DataFrame) -> list[dict]:
        return [{k: (None if not isinstance(v, (list, tuple, dict)) and pd.isna(v) else v) for k, v in r.items()}
                for r in frame.to_dict(orient="records")]

    return {"base": data.base.info.model_dump(), "file": Path(data.base.source).name, "language": language,
            "rule": data.grading.rule, "rule_key": data.rule_key, "parameters": data.grading.parameters,
            "by": list(data.grading.by), "statements": [s.to_dict() for s in data.grading.statements],
            "search_flow": {"method": data.flow.method, "stages": records(stages), "exclusions": records(exclusions)},
            "syntheses": records(summaries), "studies": len(data.base.studies),
            "proposed_appraisals": [s.id for s in data.base.studies if s.method.status == "proposed"]}


def report_files(data: EvidenceReportData, language: str, base_bytes: bytes) -> Files:
    """Everything the folder holds except the manifest."""
    language = check_language(language)
    files = Files()
    page = EvidencePage(data, language)
    sections, figs = page.sections(base_bytes)
    t = ui(language, EVIDENCE_UI)
    n = len(data.base.studies)
    lead = t["ev_lead"].format(n, page.rule_name())
    title = data.base.info.title or data.base.info.id or Path(data.base.source).stem
    html = render_document(sections, title=title, kicker=t["ev_kind"], language=language,
                           synthetic=bool(data.synthetic), lead=lead)
    files.add("report.html", html.encode("utf-8"))
    for stem, fig in sorted(figs.items()):
        files.add(f"figures/{stem}.png", fig.png)
        files.add(f"figures/{stem}.svg", fig.svg)
    stages, exclusions = _flow_frames(data)
    forests, summaries = _syntheses(data)
    tables = {"statements": data.grading.to_frame(), "contributions": data.grading.contributions,
              "appraisal": data.base.to_frame(), "findings": data.base.findings_frame(),
              "search_flow": stages, "search_exclusions": exclusions,
              "search_characteristics": data.flow.characteristics()}
    if len(forests):
        tables["synthesis_forest"] = forests
        tables["synthesis_summary"] = summaries
    for name, frame in tables.items():
        files.add(f"tables/{name}.csv", csv_bytes(frame))
    files.add("evidence.json", json_bytes(_json(data, language)))
    files.add(f"base/{Path(data.base.source).name}", base_bytes)
    return files


def write_report(base_path: str | Path, out: str | Path, *, rule: str | None = None, language: str = "da",
                 command: str = "evidence report") -> dict[str, Path]:
    """Load and check the base at ``base_path``, grade it by ``rule`` (None: the file's), and write the report
    folder ``out`` (replacing an earlier virkning output there, never anything else). Returns the paths."""
    started = time.perf_counter()
    base_path, out = Path(base_path), Path(out)
    language = check_language(language)
    base = load_base(base_path)
    check_out(out)
    raw = base_path.read_bytes()
    data = analyse(base, rule)
    timings = {"analyse": time.perf_counter() - started}
    t = time.perf_counter()
    files = report_files(data, language, raw)
    timings["report"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - started
    manifest = {"kind": MARKER, "command": command, "base": {"file": base_path.name, "sha256": sha256_file(base_path)},
                "rule": data.grading.rule, "language": language, "versions": _versions(),
                "timings_seconds": {k: round(v, 3) for k, v in timings.items()}, "files": files.hashes()}
    files.add("manifest.json", json_bytes(manifest))
    write_folder(out, files, check=audited(DISCLOSURE_THRESHOLD))  # audited before it is put in place
    return {"report": out / "report.html", "manifest": out / "manifest.json", "statements": out / "tables" /
            "statements.csv", "json": out / "evidence.json"}
