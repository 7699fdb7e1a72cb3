"""Panel covariates, month status and outcomes: hand-computed cases and an independent pandas computation."""

import numpy as np
import pandas as pd
import pytest

from conftest import write_folder
from reference import panel_pandas
from virkning.errors import CovariateNameError
from virkning.panel.grammar import parse_covariate
from virkning.registers import load
from virkning.registers.catalogue import STATES, load_catalogue

# Every test here runs on DuckDB and on Spark (the `engine` fixture; the Spark runs carry the marker `spark`).
pytestmark = pytest.mark.usefixtures("engine")

COVS = ["age", "sex", "extra_cov", "weeks_ledig_52w", "weeks_sygdom_52w", "in_ledig_at_-1", "in_ledig_at_0",
        "spell_weeks", "employment_12m", "employment_at_0", "employment_at_1", "weeks_passiv_ledig_52w"]


@pytest.fixture
def regs(engine, small_registers):
    """`small_tables` loaded once per engine for the session (these tests only read them)."""
    return small_registers(engine)


def test_covariates_of_no_pairs(regs):
    """No pairs gives no rows, with the columns and types one pair gets (it raised an internal error before)."""
    none = pd.DataFrame({"person_id": pd.Series(dtype=object), "index_week": pd.Series(dtype=object)})
    got = regs.panel().covariates(none, COVS)
    one = regs.panel().covariates(pd.DataFrame({"person_id": ["A"], "index_week": ["2018-W10"]}), COVS)
    assert len(got) == 0 and list(got.columns) == list(one.columns)
    numeric = [c for c in COVS if c != "sex"]  # a text column of no rows is `object`, not `str`, in pandas
    assert {c: str(got[c].dtype) for c in numeric} == {c: str(one[c].dtype) for c in numeric}
    # month flags and runs of no pairs: arrays of no rows (they raised numpy's ValueError before)
    flags = regs.panel().month_flags(none, -1, 2, ("ledig", "beskæftiget"))
    assert {k: v.shape for k, v in flags.items()} == {"observed": (0, 4), "ledig": (0, 4), "beskæftiget": (0, 4)}
    assert regs.panel().runs_at_least(none, "ledig", [4, 8]).shape == (0, 2)


def test_person_keys_ids_and_persons(regs):
    """Keys are ranks in person_id order, held in the engine: keys() and ids_of() invert each other, ids not in
    persons (or not text) get -1, and persons() holds each person's birth date and municipality in key order."""
    store = regs.panel().store
    direct = regs.engine.frame("SELECT person_id, birth_date, municipality FROM persons ORDER BY person_id")
    assert store.n_persons == len(direct) >= 3
    ids = direct["person_id"].to_numpy(dtype=object)
    assert list(store.keys(ids[::-1])) == list(range(len(ids)))[::-1]
    assert list(store.keys(np.array(["no such person", None, 3, ids[1]], dtype=object))) == [-1, -1, -1, 1]
    assert list(store.keys(np.array([], dtype=object))) == []
    pk = np.array([2, 0, 2, len(ids) - 1])
    assert list(store.ids_of(pk)) == [ids[2], ids[0], ids[2], ids[-1]]
    assert len(store.ids_of(np.array([], dtype=np.int64))) == 0
    with pytest.raises(IndexError):
        store.ids_of(np.array([len(ids)]))
    column = store.ids_column(pk)  # the same ids as a frame's text column, made without a string per row
    pd.testing.assert_series_equal(pd.Series(column), pd.Series(store.ids_of(pk)))
    assert len(store.ids_column(np.array([], dtype=np.int64))) == 0
    persons = store.persons()
    assert persons["municipality"].dtype == "category"  # a code per person, each name once
    pd.testing.assert_frame_equal(persons.astype({"municipality": object}), direct[["birth_date", "municipality"]],
                                  check_dtype=False)
    assert list(persons["municipality"].to_numpy()) == list(direct["municipality"])


def test_covariates_by_hand(regs):
    pairs = pd.DataFrame({"person_id": ["A", "B", "C", "A"], "index_week": ["2018-W10", "2018-W05", "2018-W05", "2018-W01"]})
    got = regs.panel().covariates(pairs, COVS).set_index(["person_id", "index_week"])
    a10 = got.loc[("A", "2018-W10")]
    assert a10["age"] == 57  # born 15 March 1960, index Monday 5 March 2018
    assert (a10["weeks_ledig_52w"], a10["weeks_sygdom_52w"], a10["weeks_passiv_ledig_52w"]) == (8, 1, 8)
    assert (a10["in_ledig_at_-1"], a10["in_ledig_at_0"], a10["spell_weeks"]) == (1, 1, 6)  # run W05-W12
    assert a10["employment_12m"] == pytest.approx(0.5)  # Dec 2017
    assert (a10["employment_at_0"], a10["employment_at_1"]) == (0.0, 0.25)
    b5 = got.loc[("B", "2018-W05")]
    assert (b5["age"], b5["spell_weeks"], b5["weeks_ledig_52w"], b5["extra_cov"]) == (60, 8, 7, 0)  # run from 2017-W50
    c5 = got.loc[("C", "2018-W05")]
    assert (c5["age"], c5["spell_weeks"], c5["weeks_ledig_52w"], c5["in_ledig_at_0"]) == (28, 0, 0, 0)
    a1 = got.loc[("A", "2018-W01")]
    assert (a1["spell_weeks"], a1["weeks_ledig_52w"], a1["employment_12m"]) == (1, 0, 0.5)
    assert list(got.columns) == COVS


def test_origin_group_joins_immigrants_and_descendants(regs):
    # seed 000's tables and exact matching use origin as dansk / ikke-dansk; by hand from small_tables_data
    pairs = pd.DataFrame({"person_id": ["A", "B", "C"], "index_week": ["2018-W10", "2018-W05", "2018-W05"]})
    got = regs.panel().covariates(pairs, ["origin", "origin_group", "age"]).set_index("person_id")
    assert got["origin"].tolist() == ["dansk", "indvandrer", "dansk"]
    assert got["origin_group"].tolist() == ["dansk", "ikke-dansk", "dansk"]
    assert got["age"].tolist() == [57, 60, 28]


def test_month_status_and_outcomes_by_hand(regs):
    panel = regs.panel(end_month="2018-05")
    pairs = pd.DataFrame({"person_id": ["A", "A", "B", "C", "C"],
                          "index_week": ["2018-W10", "2018-W01", "2018-W05", "2018-W01", "2017-W50"]})
    out = panel.outcomes(pairs, horizon=3)
    cols = out[["status_1", "status_2", "status_3"]].astype(object)
    status = cols.where(cols.notna(), None).values.tolist()
    assert status == [
        ["vikar", "beskæftiget", None],                # Apr temp job 0.25, May job; June after end of data
        ["ledig", "ledig", "vikar"],                   # Feb 111 x4; Mar 111 x2 + 213 x2 + empty week
        ["død", "selvforsørgende", "selvforsørgende"],  # Mar 999 x5
        ["beskæftiget", "selvforsørgende", "selvforsørgende"],  # Feb job beats unknown code 555
        ["kontanthjælp", "beskæftiget", "selvforsørgende"],     # Jan 130 x3
    ]
    assert out["followup"].tolist() == [2, 3, 3, 3, 3]
    assert out["first_beskæftiget"].tolist() == [1, 3, pd.NA, 1, 2]
    assert out["first_vikar"].tolist() == [1, 3, pd.NA, pd.NA, pd.NA]
    assert out["first_tilbagetrukket"].tolist() == [pd.NA, pd.NA, 1, pd.NA, pd.NA]
    assert out["exit_beskæftiget_2"].tolist() == [1, 0, 0, 1, 1]
    # an exit already seen stays known after the end of data; a month not observed is NaN
    assert out.loc[0, "exit_beskæftiget_3"] == 1 and np.isnan(out.loc[0, "benefit_weeks_3"])
    assert np.isnan(out.loc[0, "exit_tilbagetrukket_3"])
    assert out["benefit_weeks_1"].tolist() == [0, 4, 0, 0, 3]
    assert out["benefit_weeks_2"].tolist() == [0, 4, 0, 0, 0]


def test_index_month_from_date_overrides_thursday_rule(regs):
    # Index date Monday 30 April 2018: its week's Thursday is 3 May, but the calendar month is April.
    pairs = pd.DataFrame({"person_id": ["A"], "index_week": ["2018-W18"], "index_date": ["2018-04-30"]})
    m = regs.panel(end_month="2018-06").months(pairs, 0, 1)
    assert m["mo"].tolist() == [2018 * 12 + 3, 2018 * 12 + 4] and m["status"].tolist() == ["vikar", "beskæftiget"]


def test_bad_covariate_names(regs):
    panel = regs.panel()
    pairs = pd.DataFrame({"person_id": ["A"], "index_week": ["2018-W10"]})
    with pytest.raises(CovariateNameError, match="'arbejdsløs' is not a state"):
        panel.covariates(pairs, ["weeks_arbejdsløs_52w"])
    with pytest.raises(CovariateNameError, match="'height' is not a covariate name; expected age, sex"):
        panel.covariates(pairs, ["height"])
    with pytest.raises(CovariateNameError, match="repeat"):
        panel.covariates(pairs, ["age", "age"])
    assert panel.covariates(pairs, ["weeks_foertidspension_52w"]).iloc[0, 2] == 0  # ASCII spelling accepted


# ---- agreement with an independent pandas computation on random registers ---------------------------------

def _random_registers(rng, n=250):
    weeks = [y * 100 + w for y in (2016, 2017, 2018) for w in range(1, 53)]
    codes = ["111", "213", "130", "890", "651", "555", "999", "621", "783"]
    p_code = [0.35, 0.1, 0.15, 0.1, 0.08, 0.04, 0.03, 0.1, 0.05]
    b_rows, e_rows = [], []
    for i in range(n):
        pid = f"P{i:04d}"
        pos = 0
        while pos < len(weeks):  # alternating spells of a code and of no code
            length = int(rng.integers(1, 30))
            if rng.random() < 0.55:
                code = rng.choice(codes, p=p_code)
                b_rows += [(pid, weeks[j], code) for j in range(pos, min(pos + length, len(weeks)))]
            pos += length
        for y in (2016, 2017, 2018):
            for m in range(1, 13):
                if rng.random() < 0.3:
                    e_rows.append((pid, f"{y}-{m:02d}", round(float(rng.uniform(0, 1.2)), 3), bool(rng.random() < 0.2)))
    persons = pd.DataFrame({
        "person_id": [f"P{i:04d}" for i in range(n)],
        "birth_date": [f"{rng.integers(1950, 1995)}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}" for _ in range(n)],
        "sex": rng.choice(["M", "K"], n), "municipality": rng.choice(["101", "851", "461"], n),
    })
    benefits = pd.DataFrame(b_rows, columns=["person_id", "week", "code"])
    employment = pd.DataFrame(e_rows, columns=["person_id", "month", "employment_rate", "temp_agency"])
    return {"persons": persons, "benefits": benefits, "employment": employment}


@pytest.fixture(scope="module")
def random_folder(tmp_path_factory):
    """Random registers (seed 7) as Parquet, and `get(engine)`: them loaded once per engine for the module."""
    tables = _random_registers(np.random.default_rng(7))
    folder = write_folder(tmp_path_factory.mktemp("random") / "r", tables, fmt="parquet")
    opened = {}

    def get(engine):
        if engine not in opened:
            opened[engine] = load(folder)  # the engine the `engine` fixture chose
        return opened[engine]

    yield tables, folder, get
    for regs in opened.values():
        regs.close()


def test_agrees_with_independent_pandas(random_folder, engine):
    rng = np.random.default_rng(7)
    _random_registers(rng)  # the fixture's draws: the pairs below are drawn from the same state as before
    tables, _, loaded = random_folder
    regs = loaded(engine)
    panel = regs.panel()
    pids = rng.choice(tables["persons"]["person_id"], 300)
    iwks = rng.choice([y * 100 + w for y in (2017, 2018) for w in range(1, 41)], 300)
    pairs = pd.DataFrame({"person_id": pids, "index_week": iwks})
    names = ["age", "weeks_ledig_52w", "weeks_sygdom_52w", "weeks_tilbagetrukket_52w", "in_ledig_at_-1",
             "in_ledig_at_0", "spell_weeks", "employment_12m", "employment_at_0"]
    got = panel.covariates(pairs, names)
    cat = load_catalogue().table[["code", "state", "retirement"]]
    bens, emps = panel_pandas.prepare(tables["benefits"], tables["employment"], cat)
    ref_pairs = pd.DataFrame({"person_id": pids, "iwk": [panel_pandas.wk_of(int(w)) for w in iwks]})
    want = panel_pandas.covariates(tables["persons"], bens, emps, ref_pairs)
    for name in names:
        np.testing.assert_allclose(got[name].to_numpy(dtype=float), want[name].to_numpy(dtype=float), err_msg=name)
    assert got["spell_weeks"].max() > 10 and got["weeks_ledig_52w"].mean() > 3  # the data exercise the rules

    out = panel.outcomes(pairs, horizon=6)
    ref = panel_pandas.month_status(bens, emps, ref_pairs, 6, list(STATES))
    end_mo = panel.end_month()
    imo = np.array([panel_pandas.month_of_wk(w) for w in ref_pairs["iwk"]])
    for m in range(1, 7):
        observed = imo + m <= end_mo
        want_m = [r[m - 1] if o else None for r, o in zip(ref, observed)]
        col = out[f"status_{m}"].astype(object)
        assert col.where(col.notna(), None).tolist() == want_m, m
    statuses = set(out[[f"status_{m}" for m in range(1, 7)]].stack())
    assert {"ledig", "beskæftiget", "vikar", "selvforsørgende", "ukendt", "død"} <= statuses


@pytest.mark.parametrize("states", [{-1: "ledig", 0: "ledig"}, {-4: "sygdom", 0: "ledig"},
                                    {-1: "ledig", 0: "ledig", 2: "sygdom"}], ids=["ledig-ledig", "sygdom-4", "three"])
def test_state_pairs_agree_with_pandas(random_folder, engine, states):
    # The risk set of a state rule: the (person, index week) pairs where the person is in state states[k] in week
    # index + k. Over 140 index weeks (three blocks of the query's 60-week bit masks, and offsets across their edges).
    tables, _, loaded = random_folder
    regs = loaded(engine)
    panel = regs.panel()
    weeks = np.arange(panel_pandas.wk_of(201605), panel_pandas.wk_of(201840) + 1)
    got = panel.state_pairs(weeks, states)
    cat = load_catalogue().table[["code", "state", "retirement"]]
    b = tables["benefits"].merge(cat, on="code", how="left")
    state_of = {(p, panel_pandas.wk_of(int(w))): s for p, w, s in zip(b["person_id"], b["week"], b["state"])}
    ids = tables["persons"]["person_id"].tolist()
    keys = panel.keys(np.array(ids, dtype=object))
    want = [(int(k), int(w)) for p, k in sorted(zip(ids, keys), key=lambda x: x[1]) for w in weeks
            if all(state_of.get((p, int(w) + o)) == s for o, s in states.items())]
    assert len(want) > 50  # the rule picks someone (over 2,000 pairs for ledig-ledig)
    assert list(zip(got["pk"].tolist(), got["iwk"].tolist())) == want
    assert got["pk"].dtype == np.int64 and got["iwk"].dtype == np.int64


def test_memoised_covariates_equal_a_fresh_computation(random_folder, engine):
    # A second call with overlapping pairs reads the memo for the pairs it has seen and computes the rest; the
    # values must be those a fresh load computes, in the caller's order, whatever mix of seen and new pairs.
    rng = np.random.default_rng(11)
    tables, folder, loaded = random_folder
    names = ["age", "sex", "weeks_ledig_52w", "spell_weeks", "employment_12m", "employment_at_0"]
    ids = tables["persons"]["person_id"]
    first = pd.DataFrame({"person_id": rng.choice(ids, 200), "index_week": rng.choice(range(201710, 201740), 200)})
    second = pd.concat([first.sample(80, random_state=1),
                        pd.DataFrame({"person_id": rng.choice(ids, 120),
                                      "index_week": rng.choice(range(201801, 201830), 120)})], ignore_index=True)
    second = second.sample(frac=1.0, random_state=2).reset_index(drop=True)
    regs = loaded(engine)  # memos of the other test's pairs may be there too: a mix the memo must also get right
    panel = regs.panel()
    panel.covariates(first, names[:4])
    got = panel.covariates(second, names)
    assert len(regs.store.memo["weeks_ledig_52w"][0]) > len(first.drop_duplicates()) - 1  # the memo is shared
    assert "age" not in regs.store.memo and "sex" not in regs.store.memo  # read per person (Panel._by_person)
    again = panel.covariates(second, names[::-1])  # all memoised now
    fresh = load(folder, engine="duckdb")  # on Spark also a check against the other engine, without a second load
    want = fresh.panel().covariates(second, names)
    fresh.close()
    for name in names:
        assert got[name].tolist() == want[name].tolist(), name
        assert again[name].tolist() == want[name].tolist(), name
        assert got[name].dtype == again[name].dtype == want[name].dtype, name  # text from the memo stays text
    assert got["person_id"].tolist() == second["person_id"].tolist()


def test_person_covariates_equal_the_join_per_pair(tmp_path):
    # Age and the persons' text columns come from columns read once per person (Panel._by_person_values); they must
    # be what the join of each pair with its person's row gives (Panel._memoised): values, missing values (an id
    # not in persons, a missing text) and the array's type, also for a column without any value among the pairs.
    tables = _random_registers(np.random.default_rng(5))
    persons = tables["persons"]
    n = len(persons)
    persons["origin"] = np.array(["dansk", "indvandrer", "efterkommer", None], dtype=object)[np.arange(n) % 4]
    persons["region"] = np.where(np.arange(n) % 2 == 0, "Region Syddanmark", None)
    persons["a_kasse"] = pd.Series([None] * n, dtype=object)
    regs = load(write_folder(tmp_path / "r", tables, fmt="parquet"))
    try:
        panel = regs.panel()
        ids = [*persons["person_id"], "P9999"]  # the last is in no register
        pairs = pd.DataFrame({"person_id": ids * 2, "index_week": [201720] * len(ids) + [201851] * len(ids)})
        names = ["age", "sex", "origin", "origin_group", "region", "a_kasse"]
        specs = [parse_covariate(name, panel.person_columns) for name in names]
        assert all(panel._by_person(s) for s in specs)
        p = panel._normalise(pairs)
        got, want = panel._by_person_values(p, specs), panel._memoised(p, specs)
        coded = panel.text_codes(p["pk"], names)  # the same values as codes into levels (the exact cells)
        odd = panel._normalise(pairs[pairs["person_id"].isin(persons["person_id"][1::2])])  # no region among these
        regs.store.memo.clear()  # the join's values for these pairs alone
        odd, want_odd = panel._by_person_values(odd, specs[-2:]), panel._memoised(odd, specs[-2:])
    finally:
        regs.close()
    for name in names:
        assert type(got[name]) is type(want[name]) and got[name].dtype == want[name].dtype, name
        assert pd.Series(got[name]).tolist() == pd.Series(want[name]).tolist() or \
            pd.Series(got[name]).equals(pd.Series(want[name])), name
    assert sorted(coded) == ["a_kasse", "origin", "origin_group", "region", "sex"]  # age is a number
    for name, (codes, levels) in coded.items():
        assert len(set(levels)) == len(levels) and None not in levels, name  # one code per value
        as_values = [levels[c] if c >= 0 else None for c in codes]
        assert as_values == [None if pd.isna(v) else v for v in got[name]], name
    assert coded["origin_group"][1] == ["dansk", "ikke-dansk"]  # indvandrer and efterkommer share a code
    assert np.isnan(got["age"][n]) and got["age"].dtype == np.float64 and 20 < got["age"][0] < 70
    assert pd.isna(got["sex"][n]) and pd.isna(got["origin_group"][3]) and got["origin_group"][1] == "ikke-dansk"
    assert got["a_kasse"].dtype == object and all(v is None for v in got["a_kasse"])
    for name in ("region", "a_kasse"):
        assert odd[name].dtype == want_odd[name].dtype == object and all(v is None for v in odd[name]), name


def test_covariates_in_slices_equal_one_slice(random_folder, monkeypatch):
    # A large pool's pairs are computed in slices ordered by person key (Panel._compute); the frame must be the
    # one-slice frame, column types included, in the caller's order. The slicing is the same Python on every
    # engine, so DuckDB only (eleven slices cost Spark minutes).
    import virkning.panel as panel_module

    rng = np.random.default_rng(13)
    tables, folder, _ = random_folder
    names = ["age", "sex", "municipality", "origin_group", "weeks_ledig_52w", "in_ledig_at_-1", "spell_weeks",
             "employment_12m", "employment_at_1"]
    pairs = pd.DataFrame({"person_id": rng.choice(tables["persons"]["person_id"], 400),
                          "index_week": rng.choice([y * 100 + w for y in (2017, 2018) for w in range(1, 53)], 400)})
    calls = []
    compute = panel_module.Panel._compute_slice
    monkeypatch.setattr(panel_module.Panel, "_compute_slice",
                        lambda self, p, rows, specs: (calls.append(len(rows)), compute(self, p, rows, specs))[1])
    sliced, whole = [], []
    for size, out in ((37, sliced), (10**9, whole)):
        monkeypatch.setattr(panel_module, "PAIR_SLICE", size)
        regs = load(folder, engine="duckdb")  # a fresh store each time: nothing memoised
        try:
            out.append(regs.panel().covariates(pairs, names))
        finally:
            regs.close()
    assert calls == [37] * 10 + [30, 400]
    assert whole[0]["weeks_ledig_52w"].sum() > 100 and whole[0]["sex"].nunique() == 2
    pd.testing.assert_frame_equal(sliced[0], whole[0], check_exact=True)


@pytest.mark.parametrize("keyed", [True, False], ids=["keyed-copy", "text-keyed"])
@pytest.mark.parametrize("fmt", ["csv", "parquet", "padded-csv", "numeric-ids"])
def test_rows_narrowed_to_persons_equal_the_views_rows(tmp_path, monkeypatch, engine, fmt, keyed):
    """A run's rows are copied from the keyed copy (registers/keyed.py) or, without one, from the raw rows of its
    persons narrowed before the staging's conversions (Registers.rows_of): the same rows as the views give, whatever
    form the ids and weeks are written in."""
    from virkning.registers import queries

    if not keyed:
        monkeypatch.setenv("VIRKNING_CACHE_DIR", "off")
    tables = _random_registers(np.random.default_rng(11), n=60)
    if fmt == "padded-csv":  # text ids padded with blanks, weeks as YYYY-Www text
        for t in tables.values():
            t["person_id"] = "  " + t["person_id"] + " "
        tables["benefits"]["week"] = [f"{w // 100}-W{w % 100:02d}" for w in tables["benefits"]["week"]]
    if fmt == "numeric-ids":  # ids stored as numbers (SAS has no integer type: floating point)
        for t in tables.values():
            t["person_id"] = t["person_id"].str[1:].astype(float) + 1000
    folder = write_folder(tmp_path / "r", tables, fmt="parquet" if fmt in ("parquet", "numeric-ids") else "csv")
    regs = load(folder)
    try:
        pk = np.arange(0, regs.store.n_persons, 3, dtype=np.int32)
        assert regs.store.keyed_now() == regs.keyed == (keyed and engine == "duckdb")
        chosen = pd.DataFrame({"pk": pk, "person_id": regs.store.ids_of(pk)})
        regs.engine.put("_chosen", chosen, "CAST(pk AS INTEGER) AS pk, CAST(person_id AS VARCHAR) AS person_id")
        for table, order in (("benefits", ["pk", "wk"]), ("employment", ["pk", "mo"])):
            codes = regs.store.names.codes
            narrowed = regs.engine.frame(regs.rows_of(table, "_chosen", codes)).sort_values(order, ignore_index=True)
            viewed = regs.engine.frame(queries.register_rows(table, f"{table} x", "_chosen", codes)).sort_values(
                order, ignore_index=True)
            assert len(narrowed) > 100 and narrowed.equals(viewed), table
            assert set(narrowed["pk"]) <= set(chosen["pk"])
    finally:
        regs.close()


def test_memo_merge_is_the_sort_of_both():
    # The memo's keys are merged by binary searches (panel/memo.py: _find, _merge_order): the same as np.isin
    # and a stable argsort of the concatenation, for any sorted keys without repeats, empty ones included.
    from virkning.panel.memo import _find, _merge_order

    rng = np.random.default_rng(0)
    for _ in range(300):
        a = np.unique(rng.integers(0, 500, rng.integers(0, 60)))
        b = np.unique(rng.integers(0, 500, rng.integers(0, 60)))
        pos, there = _find(a, b)
        assert (there == np.isin(b, a)).all() and (a[pos[there]] == b[there]).all()
        b = b[~np.isin(b, a)]
        assert (_merge_order(a, b) == np.argsort(np.concatenate([a, b]), kind="stable")).all()


def test_unique_keys_is_numpys_unique_with_the_inverse():
    # Store._look_up numbers a pool's person keys through a table of marks (store.unique_keys) when there are many,
    # by np.unique when few: both must give np.unique's distinct keys and each key's position among them.
    from virkning.panel.store import unique_keys

    rng = np.random.default_rng(17)
    for pk, n in [(rng.integers(0, 1_000, 50_000), 1_000), (rng.integers(0, 100_000, 30), 100_000),
                  (np.zeros(0, dtype=np.int64), 10), (np.array([4, 4, 0, 9]), 10), (np.array([7]), 8)]:
        uniq, back = unique_keys(pk, n)
        want_uniq, want_back = np.unique(pk, return_inverse=True)
        np.testing.assert_array_equal(uniq, want_uniq)
        np.testing.assert_array_equal(back, want_back.reshape(-1))
        assert (uniq[back] == pk).all()


def test_employment_covariates_of_keys_are_computed_per_person_and_month(random_folder):
    # Panel.covariate_values computes employment covariates once per (person, index month), each for a pair made
    # of them (Panel._per_person_month): the values must be those of every pair computed as it is, for pairs that
    # share a person and month across weeks and index dates, a key -1 (no person), and again from the memo.
    rng = np.random.default_rng(19)
    tables, folder, _ = random_folder
    regs = load(folder, engine="duckdb")
    try:
        panel = regs.panel()
        n = 600
        pairs = pd.DataFrame({"person_id": rng.choice([*tables["persons"]["person_id"], "P9999"], n),
                              "index_week": rng.choice([y * 100 + w for y in (2017, 2018) for w in range(1, 53)], n)})
        p = panel._normalise(pairs)
        p["idate"] = p["idate"] + rng.integers(0, 7, n).astype("timedelta64[D]")  # participants' own dates
        names = ["employment_12m", "employment_at_0", "employment_at_-2"]
        specs = [parse_covariate(name) for name in names]
        got = panel.covariate_values(p, names)
        again = panel.covariate_values(p, names)
        regs.store.memo.clear()
        want = panel._values_of(p, specs)  # pair by pair
    finally:
        regs.close()
    assert (p["pk"] == -1).any() and len(set(zip(p["pk"], p["imo"]))) < n  # shared months and a missing person
    for name in names:
        np.testing.assert_array_equal(got[name], want[name])
        np.testing.assert_array_equal(again[name], want[name])
    assert (want["employment_12m"] > 0).sum() > 100 and (want["employment_at_0"] > 0).sum() > 50
