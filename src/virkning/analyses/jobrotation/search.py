"""Substitute search: candidates ranked against a firm's request with declared weights, and the reasons shown.

Seed 003 (1597-1615, 1901-1915): the consultant and the firm agree a profile (hours, tasks, personal, professional
and work competences, other wishes such as living nearby); the job-centre consultant searches the own job centre's
unemployed first, then other job centres and Jobnet; one activity gives priority to the longest unemployed and
moves to shorter spells only when the firm finds no match; the firm chooses among the CVs sent. Seed 004 (162,
1128, 1225) describes candidate banks where candidates are tagged by competence profile and matched to job orders.

Score (0-1) = the weighted mean of five parts, each 0-1:

- competences: the share of the requested competences the candidate has (compared without case);
- job_goal: 1 when one of the candidate's job goals contains the request's goal (or the reverse), else 0;
- hours: 1 when the candidate can work the requested hours, else the share of them;
- location: 1 when the candidate lives in one of the accepted places, else 0 (1 when the request names none);
- unemployment: the candidate's weeks of unemployment over the longest among the candidates.

Order: own job centre first (when asked), then, with `priority: longest_unemployed`, the suitable candidates
(score at least `min_score`) by weeks of unemployment, longest first, and the others after them by score; with
`priority: score`, by score. Ties: score, then the candidate id. Every candidate gets a line of reasons. The ranking
names candidates, so it is written only to the output's internal/ folder.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from virkning.analyses.jobrotation.spec import Search
from virkning.analyses.monitoring.registration import parse_date
from virkning.errors import VirkningError

RANK_COLUMNS = ["rank", "candidate", "jobcentre", "score", "suitable", "unemployed_weeks", "competences", "job_goal",
                "hours", "location", "unemployment", "reasons"]
CANDIDATE_COLUMNS = ("candidate", "competences", "job_goals", "hours")


def _list(v) -> list[str]:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return []
    return [x.strip() for x in str(v).replace(",", ";").split(";") if x.strip()]


def read_candidates(folder: str | Path, name: str) -> pd.DataFrame:
    path = Path(folder) / name
    if not path.is_file():
        raise VirkningError(f"{path}: the candidate profiles are not in the data folder; give a CSV with "
                            f"{', '.join(CANDIDATE_COLUMNS)} (and location, jobcentre, unemployed_since)")
    f = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    absent = [c for c in CANDIDATE_COLUMNS if c not in f.columns]
    if absent:
        raise VirkningError(f"{path}: missing column(s) {', '.join(absent)}")
    bad = [i + 2 for i, v in enumerate(f["hours"]) if not _is_number(v)]
    if bad:
        raise VirkningError(f"{path}: column 'hours' is not a number in row(s) {', '.join(map(str, bad[:10]))}")
    return f


def _is_number(v) -> bool:
    try:
        float(str(v).replace(",", "."))
        return True
    except ValueError:
        return False


def unemployed_weeks(candidates: pd.DataFrame, on: dt.date, registers_weeks: dict[str, float] | None = None
                     ) -> np.ndarray:
    """Weeks since `unemployed_since` (the profile's), or the registers' current spell when the profile has none."""
    out = np.full(len(candidates), np.nan)
    if "unemployed_since" in candidates.columns:
        for i, v in enumerate(candidates["unemployed_since"]):
            d = parse_date(v) if str(v).strip() else None
            if d is not None:
                out[i] = max(0, (on - d).days) / 7
    if registers_weeks:
        for i, c in enumerate(candidates["candidate"]):
            if np.isnan(out[i]) and c in registers_weeks:
                out[i] = registers_weeks[c]
    return out


def rank(candidates: pd.DataFrame, search: Search, weeks: np.ndarray, language: str = "da") -> pd.DataFrame:
    """The ranked candidates (RANK_COLUMNS) with their part scores and reasons."""
    req, w = search.request, search.weights
    wanted = [c.lower() for c in req.competences]
    places = {p.lower() for p in req.locations}
    longest = np.nanmax(weeks) if np.isfinite(weeks).any() else 0.0
    da = language != "en"
    rows = []
    for i, r in enumerate(candidates.to_dict("records")):
        have = {c.lower() for c in _list(r["competences"])}
        matched = [c for c in req.competences if c.lower() in have]
        comp = len(matched) / len(wanted) if wanted else 1.0
        goals = [g.lower() for g in _list(r["job_goals"])]
        goal = 1.0 if req.job_goal is None else float(any(req.job_goal.lower() in g or g in req.job_goal.lower()
                                                          for g in goals))
        hours_have = float(str(r["hours"]).replace(",", "."))
        hours = 1.0 if req.hours is None else min(1.0, hours_have / req.hours)
        place = str(r.get("location", "")).strip()
        loc = 1.0 if not places else float(place.lower() in places)
        wk = weeks[i]
        unemp = 0.0 if not np.isfinite(wk) or longest <= 0 else wk / longest
        parts = {"competences": comp, "job_goal": goal, "hours": hours, "location": loc, "unemployment": unemp}
        total = sum(getattr(w, k) for k in parts)
        score = sum(getattr(w, k) * v for k, v in parts.items()) / total
        reasons = [
            (f"{len(matched)} af {len(wanted)} kompetencer" if da else f"{len(matched)} of {len(wanted)} competences")
            + (f" ({', '.join(matched)})" if matched else ""),
            (("jobmål passer" if goal else "intet jobmål passer") if da else ("job goal fits" if goal else
                                                                              "no job goal fits"))
            if req.job_goal else "",
            (f"{hours_have:g} t/uge af {req.hours:g}" if da else f"{hours_have:g} h/week of {req.hours:g}")
            if req.hours else "",
            ((f"bor i {place}" if da else f"lives in {place}") + ("" if loc else (" (uden for ønsket område)" if da
                                                                                  else " (outside the area)")))
            if places else "",
            (f"ledig {wk:.0f} uger" if da else f"unemployed {wk:.0f} weeks") if np.isfinite(wk) else
            ("ledighed ukendt" if da else "unemployment unknown"),
        ]
        rows.append({"candidate": str(r["candidate"]), "jobcentre": str(r.get("jobcentre", "")), "score": score,
                     "suitable": score >= search.min_score, "unemployed_weeks": wk, **parts,
                     "reasons": "; ".join(x for x in reasons if x)})
    frame = pd.DataFrame(rows, columns=[c for c in RANK_COLUMNS if c != "rank"])
    frame["_own"] = 0 if not (search.own_jobcentre_first and req.jobcentre) else \
        (frame["jobcentre"] != req.jobcentre).astype(int)
    frame["_wk"] = -frame["unemployed_weeks"].fillna(-1)
    if search.priority == "longest_unemployed":
        frame["_tier"] = (~frame["suitable"]).astype(int)
        frame["_k1"] = np.where(frame["suitable"], frame["_wk"], -frame["score"])
        keys = ["_own", "_tier", "_k1", "score", "candidate"]
        asc = [True, True, True, False, True]
    else:
        keys, asc = ["_own", "score", "candidate"], [True, False, True]
    frame = frame.sort_values(keys, ascending=asc, kind="stable").reset_index(drop=True)
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    return frame[RANK_COLUMNS]
