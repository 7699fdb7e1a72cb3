"""Read an effect evaluation's results bundle (the content of results.json) for the report.

The report computes no new statistics: every number it shows is a value of the bundle. This module only looks
values up and sorts them; outcomes carry their words (label, phrase, definition) in the bundle's design.
"""

from __future__ import annotations

from typing import cast

from virkning.errors import VirkningError
from virkning.outcomes import Outcome, definition, label, phrase
from virkning.report.formatting import missing
from virkning.defaults import DISCLOSURE_THRESHOLD, SMD_THRESHOLD

MANY_LEVELS = 12  # categorical variables with more levels are summarised in the main tables


class ReportData:
    """A results bundle with the look-ups the report needs."""

    def __init__(self, bundle: dict, language: str = "da"):
        if not isinstance(bundle, dict):
            raise TypeError("render_report expects the results bundle as a dict (the content of results.json)")
        self.b = bundle
        self.lang = language
        self.design: dict = bundle.get("design") or {}
        self.data: dict = bundle.get("data") or {}

    # ---- settings --------------------------------------------------------------------------------------------
    @property
    def threshold(self) -> int:
        t = self.design.get("disclosure_threshold")
        if t is None:
            t = (self.b.get("disclosure") or {}).get("threshold")
        return int(t) if t is not None else DISCLOSURE_THRESHOLD

    @property
    def smd_threshold(self) -> float:
        return float((self.b.get("balance_summary") or {}).get("threshold") or SMD_THRESHOLD)

    @property
    def synthetic(self) -> bool:
        if self.data.get("synthetic") or self.design.get("synthetic"):
            return True
        name = str(self.design.get("name") or "").lower()
        return "syntetisk" in name or "synthetic" in name

    @property
    def name(self) -> str:
        return str(self.design.get("name") or "")

    # ---- outcomes ----------------------------------------------------------------------------------------------
    def outcomes(self) -> list[dict]:
        """Design outcomes that have effects rows, in design order, then any other outcome found in the effects."""
        effects = self.b.get("effects") or []
        seen = list(dict.fromkeys(r.get("outcome") for r in effects))
        out = []
        for o in self.design.get("outcomes") or []:
            if o.get("name") in seen:
                out.append(dict(o))
        known = {o["name"] for o in out}
        for name in seen:
            if name not in known:
                rows = self.effects(name)
                means = [r.get(k) for r in rows for k in ("treated_mean", "control_mean") if not missing(r.get(k))]
                share = all(0 <= float(cast(float, v)) <= 1 for v in means)  # missing() dropped None
                out.append({"name": name, "kind": "status_share" if share else "benefit_weeks", "status": name,
                            "horizon": max(int(r["month"]) for r in rows)})
        return [self._words(o) for o in out]

    def _words(self, o: dict) -> dict:
        """The outcome with its words: from the bundle, or from the outcomes module for an older bundle."""
        # the bundle's words are in the design's language; a report in the other language writes them anew
        if "label" in o and self.lang == (self.design.get("language") or "da"):
            return {**o, "title": o["label"]}
        try:
            oc = Outcome(o["name"], o.get("kind", "first_exit"), o.get("status"), int(o.get("horizon") or 1))
        except (VirkningError, TypeError, ValueError):
            if "label" in o:
                return {**o, "title": o["label"]}
            return {**o, "title": str(o.get("name", "")), "label": str(o.get("name", "")), "phrase": "",
                    "definition": "", "share": o.get("kind", "first_exit") != "benefit_weeks"}
        known = bool(o.get("status")) or oc.kind != "first_exit"
        words = {"label": label(oc, self.lang), "phrase": phrase(oc, self.lang),
                 "definition": definition(oc, self.lang), "share": oc.is_share}
        return {**o, **words, "title": words["label"] if known else str(o["name"])}

    def effects(self, outcome: str) -> list[dict]:
        rows = [r for r in self.b.get("effects") or [] if r.get("outcome") == outcome]
        return sorted(rows, key=lambda r: int(r["month"]))

    def final(self, outcome: str) -> dict | None:
        """The effects row at the outcome's horizon (the last month with a row)."""
        rows = self.effects(outcome)
        return rows[-1] if rows else None

    def subgroup_keys(self, o: dict) -> list[str]:
        """Names an outcome carries in the subgroup tables: its name (older bundles: the column at the horizon)."""
        keys = [o["name"]]
        try:
            oc = Outcome(o["name"], o.get("kind", "first_exit"), o.get("status"), int(o.get("horizon") or 1))
            keys.append(oc.column(oc.horizon))
        except (VirkningError, TypeError, ValueError):
            pass
        return keys

    def subgroup_outcomes(self) -> list[tuple[dict, str]]:
        """(outcome, key used in the subgroup rows) for outcomes that have subgroup rows."""
        present = {r.get("outcome") for r in self.b.get("subgroups") or []}
        out = []
        for o in self.outcomes():
            key = next((k for k in self.subgroup_keys(o) if k in present), None)
            if key:
                out.append((o, key))
        claimed = {k for _, k in out}
        for key in sorted(k for k in present if k not in claimed and k is not None):
            out.append((self._words({"name": key, "kind": "first_exit", "status": None, "horizon": None}), key))
        return out

    # ---- counts --------------------------------------------------------------------------------------------------
    def flow(self) -> list[dict]:
        return list(self.b.get("flow") or [])

    def flow_step(self, prefix: str) -> dict | None:
        for r in self.flow():
            if str(r.get("step", "")).startswith(prefix):
                return r
        return None

    def size(self, row: str, col: str):
        return ((self.b.get("sample_sizes") or {}).get(row) or {}).get(col)

    def matched(self) -> tuple:
        """(participants, controls as person-weeks, distinct control persons) after matching."""
        r = self.flow_step("matched") or {}
        n_t = self.size("Matched", "Treated")
        n_c = self.size("Matched", "Control")
        return (n_t if n_t is not None else r.get("participants"),
                n_c if n_c is not None else r.get("pool_pairs"),
                r.get("pool_persons"))

    # ---- balance -------------------------------------------------------------------------------------------------
    def level_counts(self, rows: list[dict]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in rows:
            if r.get("level") is not None:
                counts[r["variable"]] = counts.get(r["variable"], 0) + 1
        return counts

    def many_levels(self, rows: list[dict]) -> set[str]:
        return {v for v, n in self.level_counts(rows).items() if n > MANY_LEVELS}
