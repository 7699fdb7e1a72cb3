"""Disclosure control: no published number may rest on fewer persons than the threshold (default 5).

`protect(bundle, threshold)` is the one function every published table passes through (results CSV and JSON, the
report, its figures). It suppresses, never rounds:

- a count of persons from 1 to threshold - 1 (0 may be shown);
- a share whose numerator or complement is such a count (a share of n persons reveals n x share persons), and any
  estimate computed from it (difference, confidence interval, SMD);
- an effect, subgroup or robustness row whose group has fewer than threshold persons, and a curve point with
  fewer than threshold persons at risk in either group (the point is not drawn);
- secondary suppression: where a suppressed count could be recovered from a total (units summing to all
  participants, matched + unmatched = all), the next smallest cell is suppressed too; in the flow table a step is
  suppressed when the number it removed from the last shown step is a small count.

`scan(folder, threshold)` re-reads every output file and lists violations; the test suite runs it on a whole
evaluation.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pandas as pd
from virkning.defaults import DISCLOSURE_THRESHOLD as DEFAULT_THRESHOLD

COUNT_KEYS = ("participants", "pool_persons", "pool_pairs", "n_treated", "n_control", "at_risk_treated",
              "at_risk_control", "persons", "n", "rows", "weeks")


def small(n, threshold: int) -> bool:
    """A count that may not be shown: 1 .. threshold-1 (None and 0 are fine)."""
    if n is None:
        return False
    n = float(n)
    return n == n and 0 < round(n) < threshold  # NaN (a suppressed cell read back from CSV) is not a count


def _share_small(share, n, threshold: int) -> bool:
    if share is None or n is None:
        return False
    k = float(share) * float(n)
    return small(k, threshold) or small(float(n) - k, threshold)


class Protector:
    def __init__(self, threshold: int):
        if threshold < 1:
            raise ValueError("the disclosure threshold must be a positive number of persons")
        self.t = threshold
        self.log: list[str] = []

    def blank(self, row: dict, keys, why: str, where: str) -> None:
        hit = [k for k in keys if row.get(k) is not None]
        for k in hit:
            row[k] = None
        if hit:
            self.log.append(f"{where}: {', '.join(hit)} ({why})")

    # ---- tables ------------------------------------------------------------------------------------------
    def flow(self, rows: list[dict]) -> None:
        for col in ("participants", "pool_persons", "pool_pairs"):
            last = None
            for i, r in enumerate(rows):
                v = r.get(col)
                if v is None:
                    continue
                if small(v, self.t) or (last is not None and small(last - v, self.t)):
                    self.blank(r, [col], "small count, or removes a small count from the step before", f"flow row {i + 1}")
                    continue
                last = v

    def total_table(self, rows: list[dict], col: str, where: str) -> None:
        """Cells that sum to a published total: primary and (if exactly one is hidden) secondary suppression."""
        hidden = [i for i, r in enumerate(rows) if small(r.get(col), self.t)]
        for i in hidden:
            self.blank(rows[i], [col], "small count", f"{where} row {i + 1}")
        if len(hidden) == 1:
            shown = sorted((r[col], i) for i, r in enumerate(rows) if r.get(col) is not None and i not in hidden)
            if shown:
                self.blank(rows[shown[0][1]], [col], "secondary suppression (total is published)", f"{where} row {shown[0][1] + 1}")

    def means(self, rows: list[dict], n_treated, n_control, cols: tuple[str, str], where: str) -> None:
        """Shares of binary levels (treated column, control column); statistics built on them are blanked by
        the caller."""
        for i, r in enumerate(rows):
            if r.get("type") != "binary":
                continue
            for col, n in ((cols[0], n_treated), (cols[1], n_control)):
                if _share_small(r.get(col), n, self.t):
                    self.blank(r, [col], "share of fewer persons than the threshold", f"{where} row {i + 1}")

    def effects(self, rows: list[dict], where: str) -> None:
        estimate = ["att", "se", "ci_low", "ci_high"]
        for i, r in enumerate(rows):
            nt, nc = r.get("n_treated"), r.get("n_control")
            if small(nt, self.t) or small(nc, self.t):
                self.blank(r, [*estimate, "treated_mean", "control_mean", "n_treated", "n_control", "at_risk_treated",
                               "at_risk_control"], "group smaller than the threshold", f"{where} row {i + 1}")
                continue
            at_t, at_c = r.get("at_risk_treated", nt), r.get("at_risk_control", nc)
            if small(at_t, self.t) or small(at_c, self.t):
                self.blank(r, [*estimate, "treated_mean", "control_mean", "at_risk_treated", "at_risk_control"],
                           "fewer persons at risk than the threshold", f"{where} row {i + 1}")
                continue
            if _share_small(r.get("treated_mean"), nt, self.t):
                self.blank(r, ["treated_mean", *estimate], "share of fewer persons than the threshold", f"{where} row {i + 1}")
            if _share_small(r.get("control_mean"), nc, self.t):
                self.blank(r, ["control_mean", *estimate], "share of fewer persons than the threshold", f"{where} row {i + 1}")

    def sample_sizes(self, sizes: dict) -> None:
        for row, cells in sizes.items():
            for col, v in list(cells.items()):
                if small(v, self.t):
                    cells[col] = None
                    self.log.append(f"sample_sizes {row}/{col} (small count)")
        # All = Matched + Unmatched: one hidden cell of the three would be recoverable.
        for col in ("Control", "Treated"):
            trio = [sizes.get(k, {}).get(col) for k in ("All", "Matched", "Unmatched")]
            if trio.count(None) == 1 and all(k in sizes for k in ("All", "Matched", "Unmatched")):
                for k in ("Matched", "Unmatched"):
                    if sizes[k].get(col) is not None:
                        sizes[k][col] = None
                        self.log.append(f"sample_sizes {k}/{col} (secondary suppression)")
                        break


def protect(bundle: dict, threshold: int = DEFAULT_THRESHOLD) -> tuple[dict, list[str]]:
    """A copy of the results bundle in which nothing rests on fewer than `threshold` persons, and a log of what
    was suppressed."""
    b = copy.deepcopy(bundle)
    p = Protector(threshold)
    p.flow(b.get("flow", []))
    p.total_table(b.get("participants_by_unit", []), "participants", "participants_by_unit")
    sizes = b.get("sample_sizes", {})
    n_t = (sizes.get("All") or {}).get("Treated")
    n_c = (sizes.get("All") or {}).get("Control")
    m_t = (sizes.get("Matched") or {}).get("Treated")
    m_c = (sizes.get("Matched") or {}).get("Control")
    p.means(b.get("population_comparison", []), n_t, n_c, ("mean_participants", "mean_eligible_pool"), "population_comparison")
    for r in b.get("population_comparison", []):
        if r.get("mean_participants") is None or r.get("mean_eligible_pool") is None:
            r["smd"] = None
    p.means(b.get("balance", []), n_t, n_c, ("mean_treated_before", "mean_control_before"), "balance (before)")
    p.means(b.get("balance", []), m_t, m_c, ("mean_treated_after", "mean_control_after"), "balance (after)")
    for r in b.get("balance", []):
        for when in ("before", "after"):
            if r.get(f"mean_treated_{when}") is None or r.get(f"mean_control_{when}") is None:
                for k in (f"smd_{when}", f"var_ratio_{when}", f"ecdf_mean_{when}", f"ecdf_max_{when}"):
                    r[k] = None
    p.effects(b.get("effects", []), "effects")
    p.effects(b.get("subgroups", []), "subgroups")
    p.effects(b.get("robustness", []), "robustness")
    p.sample_sizes(sizes)
    data = b.get("data", {})
    for r in data.get("unknown_codes", []) or []:
        if small(r.get("persons"), threshold) or small(r.get("weeks"), threshold):
            p.blank(r, ["persons", "weeks"], "small count", "unknown codes")
    for name, o in (data.get("orphans") or {}).items():
        if small(o.get("persons"), threshold) or small(o.get("rows"), threshold):
            p.blank(o, ["persons", "rows"], "small count", f"orphans in {name}")
    b.setdefault("design", {})["disclosure_threshold"] = threshold
    b["disclosure"] = {"threshold": threshold, "suppressed": len(p.log)}
    return b, p.log


# ---- scanning outputs ----------------------------------------------------------------------------------------

_COUNT_SPAN = re.compile(r'class="[^"]*\bcount\b[^"]*"[^>]*>\s*([0-9][0-9.,\s]*)\s*<')


def _scan_records(rows, where: str, threshold: int, out: list[str]) -> None:
    for i, r in enumerate(rows):
        if not isinstance(r, dict):
            continue
        for k, v in r.items():
            if k in COUNT_KEYS and isinstance(v, (int, float)) and small(v, threshold):
                out.append(f"{where} row {i + 1}, {k} = {v}")
        n_t, n_c = r.get("n_treated"), r.get("n_control")
        for share, n in (("treated_mean", n_t), ("control_mean", n_c)):
            if isinstance(r.get(share), (int, float)) and isinstance(n, (int, float)) and _share_small(r[share], n, threshold):
                out.append(f"{where} row {i + 1}, {share} = {r[share]:.4g} of {n} persons")


def scan(folder: Path, threshold: int = DEFAULT_THRESHOLD) -> list[str]:
    """Violations in every CSV, JSON and HTML file below `folder`: small counts in count columns, shares of small
    counts, and HTML elements of class `count` showing a small number."""
    out: list[str] = []
    for path in sorted(Path(folder).rglob("*")):
        if path.suffix == ".csv" and path.stat().st_size:
            try:
                frame = pd.read_csv(path)
            except pd.errors.EmptyDataError:
                continue
            _scan_records(frame.to_dict(orient="records"), str(path), threshold, out)
        elif path.suffix == ".json":
            doc = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(doc, dict):
                for key, value in doc.items():
                    if isinstance(value, list):
                        _scan_records(value, f"{path}:{key}", threshold, out)
                    elif isinstance(value, dict):
                        for sub, v in value.items():
                            if isinstance(v, list):
                                _scan_records(v, f"{path}:{key}.{sub}", threshold, out)
                            elif isinstance(v, dict):
                                _scan_records([v], f"{path}:{key}.{sub}", threshold, out)
        elif path.suffix in (".html", ".htm"):
            text = path.read_text(encoding="utf-8")
            for m in _COUNT_SPAN.finditer(text):
                digits = re.sub(r"[.,\s]", "", m.group(1))
                if digits and small(int(digits), threshold):
                    out.append(f"{path}: count {m.group(1).strip()}")
    return out
