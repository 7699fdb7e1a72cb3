"""The gate on hand-made models: primary suppression, each differencing attack of the safety issue, series."""

import pandas as pd

from virkning.disclosure import Model, Place, SeriesPoint, protect


def _units(values: dict[str, int], total: int | None = None):
    frame = pd.DataFrame({"unit": [*values, "I alt"], "n": [*values.values(), total or sum(values.values())]})
    m = Model()
    keys = [m.count(Place("t", i, "n"), ("n", u), v) for i, (u, v) in enumerate(values.items())]
    m.count(Place("t", len(values), "n"), ("n", "all"), frame["n"].iloc[-1])
    m.total(("n", "all"), keys)
    return {"t": frame}, m


def shown(frame, col="n"):
    return [None if pd.isna(v) else v for v in frame[col]]


def test_a_small_unit_hides_a_second_unit_so_the_total_does_not_give_it_away():
    tables, m = _units({"A": 40, "B": 3, "C": 12, "D": 9})
    out, res = protect(tables, m, 5)
    assert shown(out["t"]) == [40, None, 12, None, 64]  # B small, D the smallest other: 64 - 40 - 12 = 12 = B + D
    assert tables["t"]["n"].tolist() == [40, 3, 12, 9, 64]  # the input is not changed


def test_two_hidden_parts_that_sum_to_a_small_group_are_not_enough():
    tables, m = _units({"A": 40, "B": 1, "C": 2, "D": 30})  # B + C = 3 would be derivable from the total
    out, _ = protect(tables, m, 5)
    assert shown(out["t"]) == [40, None, None, None, 73]


def test_flow_steps_removing_few_persons_are_hidden():
    steps = [100, 97, 90, 90, 3]
    frame = pd.DataFrame({"step": list("abcde"), "n": steps})
    m = Model()
    keys = [m.count(Place("flow", i, "n"), ("flow", i), v) for i, v in enumerate(steps)]
    for i in range(len(keys) - 1):
        m.difference(keys[i], keys[i + 1], ("removed", i))
    out, _ = protect({"flow": frame}, m, 5)
    # 97 (removes 3) hidden; then 100 - 90 = 10 removed by b and c together is fine; 3 is small
    assert shown(out["flow"]) == [100, None, 90, 90, None]


def test_a_share_of_a_known_group_reveals_its_numerator_and_its_complement():
    frame = pd.DataFrame({"level": ["x", "y", "z"], "share": [0.02, 0.58, 0.40], "n": [None, None, 150]})
    m = Model()
    m.count(Place("t", 2, "n"), "n", 150)
    ks = {lv: m.latent_count(("k", lv), round(s * 150)) for lv, s in zip(frame["level"], frame["share"])}
    m.total("n", ks.values())
    for i, lv in enumerate(frame["level"]):
        m.share(Place("t", i, "share"), ks[lv], "n")
    out, _ = protect({"t": frame}, m, 5)
    s = shown(out["t"], "share")
    assert s[0] is None  # 3 persons
    assert s.count(None) == 2  # and one more level, or 1 - the others would give it back


def test_a_hidden_month_is_not_the_difference_of_two_cumulative_counts():
    # last month's report printed 20; this month 23 cumulative and 3 in the month: the month is hidden, and so is
    # the cumulative count, because 23 - 20 = 3
    frame = pd.DataFrame({"period": ["cumulative", "month"], "n": [23, 3]})
    m = Model()
    m.published_before("prev", 20, shown=True)
    cum = m.count(Place("t", 0, "n"), "cum", 23)
    month = m.count(Place("t", 1, "n"), "month", 3)
    m.total(cum, ["prev", month])
    out, _ = protect({"t": frame}, m, 5)
    assert shown(out["t"]) == [None, None]


def test_curve_points_wait_until_enough_events_or_censorings_happened():
    frame = pd.DataFrame({"month": [1, 2, 3, 4], "f": [0.0, 0.02, 0.05, 0.2], "at_risk": [100, 100, 98, 95]})
    m = Model()
    pts = [SeriesPoint((Place("c", i, "f"), Place("c", i, "at_risk")), inc)
           for i, inc in enumerate([{"events": 0, "censored": 0}, {"events": 2, "censored": 0},
                                    {"events": 3, "censored": 0}, {"events": 15, "censored": 1}])]
    m.add_series("curve", pts)
    out, _ = protect({"c": frame}, m, 5)
    assert shown(out["c"], "f") == [0.0, None, 0.05, None]  # 2 events wait, 2+3 shown; 1 censoring waits


def test_dependents_follow_what_they_are_computed_from():
    frame = pd.DataFrame({"n": [3, 50], "mean": [0.5, 0.4], "diff": [0.1, 0.2]})
    m = Model()
    k0 = m.count(Place("t", 0, "n"), "a", 3)
    m.count(Place("t", 1, "n"), "b", 50)
    m.depends([Place("t", 0, "mean"), Place("t", 0, "diff")], [k0])
    out, res = protect({"t": frame}, m, 5)
    assert out["t"]["mean"].isna().tolist() == [True, False] and out["t"]["diff"].isna().tolist() == [True, False]
    assert any("computed from a hidden number" in line for line in res.log)


def test_a_two_dimensional_table_is_protected_against_row_and_column_totals():
    # rows units, columns steps; both margins printed
    cells = {("A", 1): 20, ("A", 2): 2, ("B", 1): 30, ("B", 2): 18, ("C", 1): 25, ("C", 2): 15}
    m = Model()
    rows = []
    for i, ((u, s), v) in enumerate(cells.items()):
        m.count(Place("t", i, "n"), (u, s), v)
        rows.append({"unit": u, "step": s, "n": v})
    for j, u in enumerate("ABC"):
        rows.append({"unit": u, "step": "all", "n": cells[(u, 1)] + cells[(u, 2)]})
        m.count(Place("t", len(rows) - 1, "n"), (u, "all"), rows[-1]["n"])
        m.total((u, "all"), [(u, 1), (u, 2)])
    for s in (1, 2):
        rows.append({"unit": "all", "step": s, "n": sum(v for (u, t), v in cells.items() if t == s)})
        m.count(Place("t", len(rows) - 1, "n"), ("all", s), rows[-1]["n"])
        m.total(("all", s), [(u, s) for u in "ABC"])
    out, res = protect({"t": pd.DataFrame(rows)}, m, 5)
    from virkning.disclosure.gate import Gate
    hidden = {(r["unit"], r["step"]) for r, v in zip(rows, out["t"]["n"]) if pd.isna(v)}
    assert ("A", 2) in hidden and len(hidden) >= 3  # a hidden rectangle at least


# ---- costs of withholding: a small difference of two published counts withholds the cheaper one ------------------

def _discard_model(costs: bool):
    """A flow (registered 281, after exclusions 203, common support 202, matched 202), sample sizes (All = Matched +
    Unmatched + Discarded with 1 discarded) and three effect rows whose group size is the matched count and whose
    mean is a share of it."""
    flow = pd.DataFrame({"step": ["registered", "excluded", "common support", "matched"], "n": [281, 203, 202, 202]})
    sizes = pd.DataFrame({"sample": ["All", "Matched", "Unmatched", "Discarded"], "n": [203, 202, 0, 1]})
    effects = pd.DataFrame({"n": [202, 202, 202], "mean": [30 / 202, 61 / 202, 90 / 202]})
    m = Model()
    fk = [m.count(Place("flow", i, "n"), ("flow", i), v) for i, v in enumerate(flow["n"])]
    for i in range(len(fk) - 1):
        m.difference(fk[i], fk[i + 1], ("removed", i + 1))
    sk = {s: m.count(Place("sizes", i, "n"), ("sizes", s), v)
          for i, (s, v) in enumerate(zip(sizes["sample"], sizes["n"]))}
    m.total(sk["All"], [sk["Matched"], sk["Unmatched"], sk["Discarded"]])
    m.total(fk[1], [sk["All"]])  # the same participants in two tables
    m.total(fk[3], [sk["Matched"]])
    for i, (n, share) in enumerate(zip(effects["n"], effects["mean"])):
        nk = m.count(Place("effects", i, "n"), ("n", i), n)
        m.total(sk["Matched"], [nk])
        m.share(Place("effects", i, "mean"), m.latent_count(("exits", i), round(share * n)), nk)
        if costs:
            m.cost(nk, 1000)
    if costs:
        for k in (fk[3], sk["Matched"]):
            m.cost(k, 1000)
    return {"flow": flow, "sizes": sizes, "effects": effects}, m


def test_a_small_difference_withholds_the_cheap_counts_before_matching_not_the_effects():
    tables, m = _discard_model(costs=True)
    out, res = protect(tables, m, 5)
    assert shown(out["effects"]) == [202, 202, 202]
    assert shown(out["effects"], "mean") == tables["effects"]["mean"].tolist()
    assert shown(out["sizes"]) == [None, 202, 0, None]
    # 203 and its copy in the flow go together (else the copy gives it back); the common-support row goes too (the
    # gate meets the 1 removed by that step first and withholds the cheapest row that hides it); 281 - 202 = 79
    assert shown(out["flow"]) == [281, None, None, 202]


def test_without_costs_the_same_difference_may_withhold_either_count_but_always_protects():
    tables, m = _discard_model(costs=False)
    out, _ = protect(tables, m, 5)
    s, f = shown(out["sizes"]), shown(out["flow"])
    assert s[3] is None and (s[0] is None or s[1] is None)  # All or Matched goes, everywhere it is printed
    if s[0] is None:
        assert f[1] is None
    if s[1] is None:
        assert f[3] is None and shown(out["effects"]) == [None] * 3


def test_a_cost_must_be_positive():
    import pytest

    with pytest.raises(ValueError, match="must be positive"):
        Model().cost("x", 0)
