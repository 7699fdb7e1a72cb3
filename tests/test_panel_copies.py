"""The panel store's copies of persons' register rows (Store.include): each starts at the earliest week and month a
question reads, per register, and every answer equals that of a store holding every row, in any order of questions.
DuckDB only: the floors are the same Python on every engine."""

import numpy as np
import pandas as pd
import pytest

from test_panel import random_folder  # noqa: F401 - the random registers of test_panel, as a fixture
from virkning.registers import load


def test_copies_from_a_floor_hold_what_every_later_question_reads(random_folder):
    # Store.include copies a person's rows from the earliest week and month the caller reads (its `since`); a later
    # question that reaches further back copies the older rows of the persons already copied, once. Whatever order
    # the questions come in, every answer must be the answer of a store that copied every row from the start, and
    # no row may be copied twice. DuckDB only: the floors are the same Python on every engine.
    rng = np.random.default_rng(23)
    tables, folder, _ = random_folder
    pairs = pd.DataFrame({"person_id": rng.choice(tables["persons"]["person_id"], 300),
                          "index_week": rng.choice([201810 + w for w in range(20)], 300)})
    questions = [("covariates", ["weeks_ledig_12w", "employment_at_0"]),
                 ("covariates", ["weeks_sygdom_20w", "in_ledig_at_3"]),  # no employment: none of it copied here
                 ("covariates", ["spell_weeks"]),  # a spell reads every week: the weeks' floor falls to the start
                 ("outcomes", 6),
                 ("covariates", ["in_ledig_at_-40", "employment_24m", "weeks_sygdom_52w"]),
                 ("flags", (-3, 4)),
                 ("runs", [4, 30])]

    def answers(regs, order):
        panel, out = regs.panel(), {}
        for i in order:
            kind, arg = questions[i]
            if kind == "covariates":
                out[i] = panel.covariates(pairs, arg)
            elif kind == "outcomes":
                out[i] = panel.outcomes(pairs, arg)
            elif kind == "flags":
                out[i] = panel.month_flags(pairs, *arg, ("ledig", "beskæftiget", "selvforsørgende"))
            else:
                out[i] = panel.runs_at_least(pairs, "ledig", arg)
        return out

    full = load(folder, engine="duckdb")
    try:
        full.panel().include(tables["persons"]["person_id"])  # every row of everyone, no floor
        want = answers(full, range(len(questions)))
        rows = {t: int(full.engine.one(f"SELECT count(*) FROM {getattr(full.store.names, t)}")[0]) for t in ("pb", "pe")}
    finally:
        full.close()
    for order in ([0, 1, 2, 3, 4, 5, 6], [0, 3, 4, 5, 6, 2, 1], [3, 0, 6, 5, 4, 2, 1], [1, 3, 0, 5, 6, 4, 2]):
        regs = load(folder, engine="duckdb")
        try:
            store, got = regs.store, answers(regs, order[:1])
            names = store.names
            floor_wk = int(regs.panel()._normalise(pairs)["iwk"].min()) - 12
            if order[0] == 0:  # a floor: nothing before the first window's first week, and fewer rows than all
                assert store._floor[0] == floor_wk
                assert int(regs.engine.one(f"SELECT min(wk) FROM {names.pb}")[0]) >= floor_wk
                assert 0 < int(regs.engine.one(f"SELECT count(*) FROM {names.pb}")[0]) < rows["pb"] / 2
            if order[0] == 3:  # the outcomes' months: employment from the first month after an index week
                assert store._floor[1] == int(regs.panel()._normalise(pairs)["imo"].min()) + 1
            if order[0] == 1:  # covariates that read no employment copy none of it
                assert store._floor[1] == np.inf and not store._held[1].any() and store._held[0].any()
                assert int(regs.engine.one(f"SELECT count(*) FROM {names.pe}")[0]) == 0
            got.update(answers(regs, order[1:]))
            for i in order:
                if isinstance(want[i], pd.DataFrame):
                    pd.testing.assert_frame_equal(got[i], want[i], check_exact=True, obj=f"question {i}")
                elif isinstance(want[i], dict):
                    assert want[i].keys() == got[i].keys()
                    for k in want[i]:
                        np.testing.assert_array_equal(got[i][k], want[i][k], err_msg=f"question {i}: {k}")
                else:
                    np.testing.assert_array_equal(got[i], want[i], err_msg=f"question {i}")
            # the spell took the weeks' floor to the first week; each row once, the persons' rows and no others
            assert store._floor[0] == -np.inf
            for t, key in (("pb", "wk"), ("pe", "mo")):
                n_rows, n_keys = regs.engine.one(
                    f"SELECT count(*), count(DISTINCT (pk, {key})) FROM {getattr(names, t)}")
                assert n_rows == n_keys, (order, t)
        finally:
            regs.close()
    assert want[4]["weeks_sygdom_52w"].sum() > 50 and want[2]["spell_weeks"].max() > 12  # the data reach back


def test_history_is_how_far_back_covariates_read(random_folder):
    # Panel.history: the earliest week and month, relative to an index, that covariates read (+inf: none of that
    # register), which populations hand to the store's first copy (populations._since); a spell reads every week
    # (None), and so does a name that is no covariate (said later, where covariates are read).
    from virkning.populations import Exclusion, _since
    from virkning.registers import calendar

    _, folder, _ = random_folder
    regs = load(folder, engine="duckdb")
    try:
        panel = regs.panel()
        inf = float("inf")
        assert panel.history(["age", "sex", "weeks_ledig_52w", "employment_12m", "in_ledig_at_2",
                              "employment_at_-3"]) == (-52, -12)
        assert panel.history(["in_ledig_at_-60", "employment_at_1"]) == (-60, 0)
        assert panel.history(["in_ledig_at_3"]) == (0, inf)  # a window reaches back to its index at least
        assert panel.history(["age", "weeks_sygdom_26w"]) == (-26, inf) and panel.history([]) == (inf, inf)
        assert panel.history(["weeks_ledig_52w", "spell_weeks"]) is None
        assert panel.history(["no_such_covariate"]) is None
        weeks = np.array([2400, 2410])
        month = int(calendar.week_months(weeks[:1])[0])
        assert _since(weeks, (-52, -12), (), panel) == (2400 - 52, month - 12)
        assert _since(weeks, (-52, inf), (), panel) == (2400 - 52, inf)
        # outcomes read from the week before the index week at the earliest: a copy starts there at the latest
        assert _since(weeks, (0, -1), (), panel) == (2400 - 1, month - 1)
        assert _since(weeks, (inf, -3), (), panel) == (inf, month - 3)
        every = np.arange(2300, 2700)  # outcomes' first week (Panel._register, months from index + 1): iwk - 1 or later
        first = calendar.date_weeks(calendar.month_first_days(calendar.week_months(every) + 1)) - 1
        assert (first >= every - 1).all() and (first == every - 1).any()
        ex = (Exclusion("x", "employment_at_-20", ">", 0), Exclusion("y", "weeks_sygdom_104w", ">", 0))
        assert _since(weeks, (-52, inf), ex, panel) == (2400 - 104, month - 20)
        assert _since(weeks, None, (), panel) is None
        assert _since(weeks, (-52, -12), (Exclusion("z", "spell_weeks_sygdom", ">", 5),), panel) is None
    finally:
        regs.close()


def test_copies_of_two_pair_sets_hold_each_persons_rows_once(random_folder):
    # Each register is copied for the persons a question reads it for: persons copied for one register only (their
    # benefit weeks read, not their employment) must get their employment rows whole when a later question reads
    # them, also after the employment's floor has fallen for others. Answers as from a store holding every row.
    rng = np.random.default_rng(29)
    tables, folder, _ = random_folder
    ids = tables["persons"]["person_id"]
    wide = pd.DataFrame({"person_id": rng.choice(ids, 240), "index_week": rng.choice([201805 + w for w in range(30)], 240)})
    narrow = wide.iloc[:60].reset_index(drop=True)
    questions = [(narrow, ["employment_at_0"]), (wide, ["weeks_ledig_12w"]), (narrow, ["employment_12m"]),
                 (wide, ["employment_24m", "employment_at_0", "weeks_ledig_26w"]), (narrow, ["employment_36m"])]
    full = load(folder, engine="duckdb")
    try:
        full.panel().include(ids)
        want = [full.panel().covariates(p, names) for p, names in questions]
    finally:
        full.close()
    regs = load(folder, engine="duckdb")
    try:
        panel = regs.panel()
        got = []
        for i, (p, names) in enumerate(questions):
            got.append(panel.covariates(p, names))
            if i == 1:  # the wide set's persons are copied for their weeks, only the narrow set's for employment
                held = regs.store._held
                assert held[0].sum() > held[1].sum() > 0
        for i, (g, w) in enumerate(zip(got, want)):
            pd.testing.assert_frame_equal(g, w, check_exact=True, obj=f"question {i}")
        for t, key in (("pb", "wk"), ("pe", "mo")):
            n_rows, n_keys = regs.engine.one(
                f"SELECT count(*), count(DISTINCT (pk, {key})) FROM {getattr(regs.store.names, t)}")
            assert n_rows == n_keys, t
        assert want[3]["employment_24m"].sum() > 10
    finally:
        regs.close()


def test_copies_hold_the_edges_of_what_is_asked(random_folder):
    # Three edges of the copies' floors, each against a store holding every row: persons first copied after the
    # floor has fallen hold their rows from the floor, not from the later question's own week; months before the
    # index asked of a fresh store; and a run of weeks exactly as long as the longest length asked for.
    tables, folder, _ = random_folder
    ids = tables["persons"]["person_id"].to_numpy()
    early = pd.DataFrame({"person_id": ids[:40], "index_week": [201810] * 40})
    late = pd.DataFrame({"person_id": ids[40:80], "index_week": [201840] * 40})
    every = pd.DataFrame({"person_id": ids, "index_week": [201820] * len(ids)})
    full = load(folder, engine="duckdb")
    try:
        full.panel().include(ids)
        want_late = full.panel().covariates(late, ["weeks_ledig_52w"])
        want_months = full.panel().months(every, -12, -6)
        spell = full.panel().covariates(every, ["spell_weeks"])["spell_weeks"].to_numpy()
        longest = every.iloc[[int(np.argmax(spell))]].reset_index(drop=True)
        want_runs = full.panel().runs_at_least(longest, "ledig", [int(spell.max())])
    finally:
        full.close()
    assert spell.max() > 20 and want_runs.all() and want_late["weeks_ledig_52w"].sum() > 50
    regs = load(folder, engine="duckdb")
    try:
        panel = regs.panel()
        panel.covariates(early, ["weeks_ledig_52w"])  # the floor: 52 weeks before week 10 of 2018
        panel.covariates(late, ["weeks_ledig_4w"])  # new persons, asking from week 36 only
        pd.testing.assert_frame_equal(panel.covariates(late, ["weeks_ledig_52w"]), want_late, check_exact=True)
    finally:
        regs.close()
    for question, want in ((lambda p: p.months(every, -12, -6), want_months),
                           (lambda p: p.runs_at_least(longest, "ledig", [int(spell.max())]), want_runs)):
        regs = load(folder, engine="duckdb")
        try:
            got = question(regs.panel())
            if isinstance(want, pd.DataFrame):
                pd.testing.assert_frame_equal(got, want, check_exact=True)
            else:
                np.testing.assert_array_equal(got, want)
        finally:
            regs.close()


def test_a_copy_stopped_part_way_gives_up_the_store(random_folder, monkeypatch):
    # A copy that fails after some of its rows are in (here the employment's statement, after the benefits') would
    # leave rows a later question copies again: the store refuses further questions instead of answering wrongly.
    from virkning.registers.engine import EngineError

    tables, folder, _ = random_folder
    pairs = pd.DataFrame({"person_id": tables["persons"]["person_id"][:50], "index_week": [201820] * 50})
    # before the employment's statement; and just after the persons' rows are in, before they are marked copied
    for where, after in (("pe", False), ("px", True)):
        regs = load(folder, engine="duckdb")
        try:
            panel = regs.panel()
            append = regs.engine.append

            def failing(name, select, where=where, after=after):
                if name == getattr(regs.store.names, where):
                    if after:
                        append(name, select)
                    raise KeyboardInterrupt
                return append(name, select)

            monkeypatch.setattr(regs.engine, "append", failing)
            with pytest.raises(KeyboardInterrupt):
                panel.covariates(pairs, ["weeks_ledig_52w", "employment_12m", "birth_date"])
            monkeypatch.setattr(regs.engine, "append", append)
            with pytest.raises(EngineError, match="load the registers again"):
                panel.covariates(pairs, ["weeks_ledig_52w", "employment_12m", "birth_date"])
        finally:
            regs.close()
