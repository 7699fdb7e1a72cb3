"""The register indicators' statements (virkning.indicators), by the rules of registers/queries.py: the contract's
views, the store's own tables (`Names`) and lookup tables, integer weeks and months, one portable subset of SQL."""

from __future__ import annotations

from virkning.registers.queries import PERSON_KEY, Names

# ---- register indicators (virkning.indicators) -------------------------------------------------------------------
# One scan of `benefits` (`indicator_weeks`) keeps the target group's and the destinations' weeks of the persons in
# the units; every other statement reads that table, the spells built from it, `employment` or `events`. Lookup
# tables put by the caller: units (municipality -> unit), codes (code -> flags), weeks (wk -> mo, p), months
# (mo -> p, the window), days (date -> wk, p) and grid (unit x period of the window).

def indicator_count(n: Names, table: str) -> str:
    return f"SELECT count(*) FROM {getattr(n, table)}"


def indicator_persons(n: Names, keyed: bool = False) -> str:
    """The persons of the units, with an integer key: over the registers' keyed copy (registers/keyed.py) the
    copy's key (rank among all persons), so the scans join integers; keys only group and join, so the sums agree."""
    ranked = f"(SELECT person_id, municipality, {PERSON_KEY} AS pk FROM persons)" if keyed else "persons"
    pk = "x.pk" if keyed else "CAST(row_number() OVER (ORDER BY x.person_id) AS INTEGER) AS pk"
    return f"SELECT x.person_id, {pk}, u.unit FROM {ranked} x JOIN {n.units} u ON u.municipality = x.municipality"


def indicator_weeks(n: Names, keyed: bool = False) -> str:
    """The one scan of the benefits table: weeks with a target or destination code of the units' persons."""
    rows, code, on = (("keyed_benefits b JOIN keyed_codes k ON k.c = b.c", "k.code", "x.pk = b.pk") if keyed
                      else ("benefits b", "b.code", "x.person_id = b.person_id"))
    return (f"SELECT x.pk, x.unit, b.wk, w.mo, w.p, c.tgt, c.act, c.vr, c.vo, c.su FROM {rows} "
            f"JOIN {n.codes} c ON c.code = {code} JOIN {n.weeks} w ON w.wk = b.wk JOIN {n.persons} x ON {on}")


def indicator_person_months(n: Names) -> str:
    """Target weeks per person and month, with the weeks with measures (read by the week sums and the employment
    rate instead of the weeks themselves)."""
    return (f"SELECT pk, unit, mo, p, count(*) AS weeks, sum(act) AS act, sum(vr) AS vr, sum(vo) AS vo FROM {n.w} "
            f"WHERE tgt = 1 GROUP BY pk, unit, mo, p")


def indicator_week_sums(n: Names) -> str:
    """Target weeks, weeks with measures and distinct persons per unit and period of the window."""
    return (f"SELECT m.unit, m.p, CAST(sum(m.weeks) AS BIGINT) AS target_weeks, CAST(sum(m.act) AS BIGINT) AS act_weeks, "
            f"CAST(sum(m.vr) AS BIGINT) AS vr_weeks, CAST(sum(m.vo) AS BIGINT) AS vo_weeks, "
            f"count(DISTINCT m.pk) AS persons_target FROM {n.pm} m WHERE m.p IN (SELECT p FROM {n.months}) "
            f"GROUP BY m.unit, m.p")


def indicator_target_persons(n: Names) -> str:
    """The persons with a target week (their employment is all the indicators read)."""
    return f"SELECT x.person_id, x.pk FROM {n.persons} x WHERE x.pk IN (SELECT pk FROM {n.pm})"


def indicator_employment(n: Names, keyed: bool = False) -> str:
    """Months with employment (rate > 0) of the persons with a target week: one scan of the employment table."""
    rows = (f"keyed_employment e JOIN {n.tp} x ON x.pk = e.pk" if keyed
            else f"employment e JOIN {n.tp} x ON x.person_id = e.person_id")
    return f"SELECT x.pk, e.mo FROM {rows} WHERE e.employment_rate > 0"


def indicator_employment_sums(n: Names, lag: int, last_mo: int) -> str:
    """Person-months m of persons with a target week in month m - lag, and those with employment in m."""
    return (f"SELECT m.unit, mm.p, count(*) AS emp_den, sum(CASE WHEN e.pk IS NULL THEN 0 ELSE 1 END) AS emp_num, "
            f"count(DISTINCT m.pk) AS persons_emp FROM (SELECT pk, unit, mo + {int(lag)} AS m FROM {n.pm}) m "
            f"JOIN {n.months} mm ON mm.mo = m.m LEFT JOIN {n.emp} e ON e.pk = m.pk AND e.mo = m.m "
            f"WHERE m.m <= {int(last_mo)} GROUP BY m.unit, mm.p")


def indicator_spells(n: Names, gap: int) -> str:
    """Spells: runs of target weeks, gaps of up to `gap` weeks inside; first and last week, their periods and the
    month of the week after the spell. Without gaps a run is an island (week minus its rank is constant in a run,
    one window); with gaps a run starts where the distance to the previous week exceeds gap + 1."""
    if int(gap) == 0:
        runs = (f"b AS (SELECT pk, unit, wk, wk - row_number() OVER (PARTITION BY pk ORDER BY wk) AS sid "
                f"FROM {n.w} WHERE tgt = 1), ")
    else:
        runs = (f"a AS (SELECT pk, unit, wk, CASE WHEN wk - lag(wk) OVER (PARTITION BY pk ORDER BY wk) <= "
                f"{int(gap) + 1} THEN 0 ELSE 1 END AS new FROM {n.w} WHERE tgt = 1), "
                f"b AS (SELECT pk, unit, wk, sum(new) OVER (PARTITION BY pk ORDER BY wk ROWS BETWEEN UNBOUNDED "
                f"PRECEDING AND CURRENT ROW) AS sid FROM a), ")
    return (
        f"WITH {runs}s AS (SELECT pk, unit, min(wk) AS s, max(wk) AS e FROM b GROUP BY pk, unit, sid) "
        f"SELECT s.pk, s.unit, s.s, s.e, ws.p AS ps, we.p AS pe, wa.mo AS mo_next FROM s "
        f"JOIN {n.weeks} ws ON ws.wk = s.s JOIN {n.weeks} we ON we.wk = s.e LEFT JOIN {n.weeks} wa ON wa.wk = s.e + 1"
    )


def indicator_new_spells(n: Names, first_wk: int) -> str:
    """Spells starting in a period of the window (a spell seen from the first data week may have begun before)."""
    return (f"SELECT s.unit, s.ps AS p, count(*) AS new_spells, count(DISTINCT s.pk) AS persons_new FROM {n.spells} s "
            f"WHERE s.s > {int(first_wk)} AND s.ps IN (SELECT p FROM {n.months}) GROUP BY s.unit, s.ps")


def indicator_ended_spells(n: Names, last_wk: int, job_months: int, su_weeks: int, first_wk: int) -> str:
    """Spells ending in a period of the window (not those that may go on after the data), and of these the ones
    followed by employment in the month of the week after the spell (or the next `job_months` months) and by an SU
    week within `su_weeks` weeks; of those whose start is seen (after `first_wk`), their number, persons and weeks
    from first to last week (a completed spell's length)."""
    known = f"s.s > {int(first_wk)}"
    return (
        f"SELECT s.unit, s.pe AS p, count(*) AS ended_spells, count(DISTINCT s.pk) AS persons_ended, "
        f"sum(CASE WHEN {known} THEN 1 ELSE 0 END) AS ended_known, "
        f"count(DISTINCT CASE WHEN {known} THEN s.pk END) AS persons_ended_known, "
        f"sum(CASE WHEN {known} THEN s.e - s.s + 1 ELSE 0 END) AS ended_weeks, "
        f"sum(CASE WHEN j.pk IS NULL THEN 0 ELSE 1 END) AS ended_job, "
        f"sum(CASE WHEN u.pk IS NULL THEN 0 ELSE 1 END) AS ended_su FROM {n.spells} s "
        f"LEFT JOIN (SELECT DISTINCT sp.pk, sp.e FROM {n.spells} sp JOIN {n.emp} e ON e.pk = sp.pk "
        f"AND e.mo BETWEEN sp.mo_next AND sp.mo_next + {int(job_months)}) j ON j.pk = s.pk AND j.e = s.e "
        f"LEFT JOIN (SELECT DISTINCT sp.pk, sp.e FROM {n.spells} sp JOIN {n.w} w ON w.pk = sp.pk AND w.su = 1 "
        f"AND w.wk BETWEEN sp.e + 1 AND sp.e + {int(su_weeks)}) u ON u.pk = s.pk AND u.e = s.e "
        f"WHERE s.e < {int(last_wk)} AND s.pe IN (SELECT p FROM {n.months}) GROUP BY s.unit, s.pe"
    )


def indicator_open_spells(n: Names, last_wk: int) -> str:
    """Spells running at the end of each period of the window: started by then (period of the first week <= p) and
    not ended by then (period of the last week > p, or still running at the end of the data). A person is in at most
    one such spell, so spells are persons."""
    return (
        f"WITH d AS (SELECT unit, ps AS p, count(*) AS n FROM {n.spells} GROUP BY unit, ps "
        f"UNION ALL SELECT unit, pe AS p, -count(*) AS n FROM {n.spells} WHERE e < {int(last_wk)} GROUP BY unit, pe) "
        f"SELECT g.unit, g.p, CAST(sum(d.n) AS BIGINT) AS open_spells FROM {n.grid} g JOIN d ON d.unit = g.unit "
        f"AND d.p <= g.p GROUP BY g.unit, g.p"
    )


def indicator_events(n: Names) -> str:
    """Events of one kind (parameter: event) of the units' persons, with the week and period of their date."""
    return (f"SELECT x.pk, x.unit, d.d, d.wk, d.p FROM events e JOIN {n.persons} x ON x.person_id = e.person_id "
            f"JOIN {n.days} d ON d.d = e.date WHERE e.event = ?")


def indicator_event_sums(n: Names) -> str:
    """Events in a target week of the person, per unit and period of the event's date."""
    return (f"SELECT v.unit, v.p, count(*) AS events FROM {n.ev} v WHERE v.p IN (SELECT p FROM {n.months}) "
            f"AND EXISTS (SELECT 1 FROM {n.w} w WHERE w.pk = v.pk AND w.wk = v.wk AND w.tgt = 1) GROUP BY v.unit, v.p")


def indicator_first_events(n: Names, first_wk: int) -> str:
    """Weeks from a spell's first week to its first event, by the period of that event's date, for spells that
    start after the first data week."""
    return (
        f"SELECT f.unit, d.p, count(*) AS first_count, sum(f.w - f.s) AS first_weeks, "
        f"count(DISTINCT f.pk) AS persons_first FROM (SELECT s.pk, s.unit, s.s, min(v.wk) AS w, min(v.d) AS fd "
        f"FROM {n.spells} s JOIN {n.ev} v ON v.pk = s.pk AND v.wk BETWEEN s.s AND s.e WHERE s.s > {int(first_wk)} "
        f"GROUP BY s.pk, s.unit, s.s) f JOIN {n.days} d ON d.d = f.fd WHERE d.p IN (SELECT p FROM {n.months}) "
        f"GROUP BY f.unit, d.p"
    )
