"""Every SQL statement a whole run sends is in the portable subset: it parses, uses no construct outside the subset,
and transpiles to Spark SQL (sqlglot, the field's SQL parser and transpiler).

The run: validate and load data folders in every layout and format, covariates of every kind, outcomes, the
populations of the Seniorvikar design, an effect evaluation and a monthly status with register results. Pieces that
belong to the engine (reading files with their names and row numbers, the distinct count of validation) may use the
engine's declared functions (`Engine.SPECIFIC_FUNCTIONS`); such a statement is left to the engine and not
transpiled. Anything else outside the subset fails the test with the statement shown.
"""

from __future__ import annotations

import pandas as pd
import pytest
import sqlglot
from sqlglot import exp

from tests.conftest import write_folder
from virkning.registers import engine as engine_module
from virkning.registers.engine import Engine

FORBIDDEN = {
    exp.Unnest: "UNNEST (engine-specific expansion)",
    exp.GenerateSeries: "range()/generate_series table functions",
    exp.ArrayAgg: "list aggregates (order-dependent)",
    exp.GroupConcat: "string_agg/group_concat (order-dependent)",
    exp.RegexpFullMatch: "regexp_full_match (DuckDB only; use regexp_matches with anchors)",
    exp.Array: "list literals",
}


def _problems(sql: str) -> list[str]:
    try:
        trees = sqlglot.parse(sql, read="duckdb")
    except sqlglot.errors.ParseError as e:
        return [f"does not parse: {e}"]
    if len(trees) != 1:
        return ["more than one statement"]
    tree = trees[0]
    out = []
    # A statement of the engine's own pieces (file readers) holds their arguments (e.g. a list of files).
    specific = any(isinstance(n, (exp.ReadParquet, exp.ReadCSV)) for n in tree.walk())
    for node in tree.walk():
        for cls, why in FORBIDDEN.items():
            if isinstance(node, cls) and not specific:
                out.append(why)
        if isinstance(node, exp.Join) and node.args.get("method") == "ASOF":
            out.append("ASOF join")
        if isinstance(node, exp.Group) and node.args.get("all"):
            out.append("GROUP BY ALL")
        if isinstance(node, exp.Order) and any(isinstance(o.this, exp.Var) and o.this.name.upper() == "ALL"
                                               for o in node.expressions):
            out.append("ORDER BY ALL")
        if isinstance(node, exp.Star) and (node.args.get("except_") or node.args.get("replace") or node.args.get("except")):
            out.append("SELECT * EXCLUDE/REPLACE")
        if isinstance(node, exp.Anonymous):
            if node.name.lower() in Engine.SPECIFIC_FUNCTIONS:
                specific = True
            else:
                out.append(f"function {node.name}() is outside the portable subset")
    if not out and not specific:
        try:
            sqlglot.transpile(sql, read="duckdb", write="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
        except Exception as e:  # noqa: BLE001 - any transpiler complaint is a finding
            out.append(f"does not transpile to Spark: {e}")
    return out


@pytest.fixture
def recorded(monkeypatch):
    statements: list[str] = []
    original = Engine.__init__

    def init(self, *a, **k):
        original(self, *a, **k)
        self.statements = statements

    monkeypatch.setattr(engine_module.Engine, "__init__", init)
    return statements


def _check(statements: list[str]) -> None:
    assert statements, "nothing was recorded"
    bad = {}
    for sql in statements:
        found = _problems(sql)
        if found:
            bad.setdefault(sql.strip()[:300], sorted(set(found)))
    assert not bad, "statements outside the portable subset:\n" + "\n".join(f"- {v}: {k}" for k, v in bad.items())


def test_the_checker_refuses_what_is_outside_the_subset():
    assert _problems("SELECT a, count(*) FROM t GROUP BY ALL") == ["GROUP BY ALL"]
    assert _problems("SELECT * EXCLUDE (a) FROM t") == ["SELECT * EXCLUDE/REPLACE"]
    assert "range()/generate_series table functions" in _problems("SELECT m FROM range(1, 3) t(m)")
    assert _problems("SELECT * FROM a ASOF JOIN b ON a.x >= b.x") == ["ASOF join"]
    assert any("my_macro" in p for p in _problems("SELECT my_macro(a) FROM t"))
    assert _problems("SELECT list(a ORDER BY b) FROM t") == ["list aggregates (order-dependent)"]
    assert _problems("SELECT arg_min(a, b), count(*) FILTER (WHERE a > 1) FROM t SEMI JOIN u USING (k)") == []
    assert _problems("SELECT bit_count(bitstring_agg(wk, 1, 9)) FROM t") == []  # engine-specific, allowed


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_validation_and_panel_statements_are_portable(recorded, small_tables, tmp_path, fmt):
    from virkning.registers import load

    t = dict(small_tables)
    folder = write_folder(tmp_path / "long", t, fmt)
    regs = load(folder)
    pairs = pd.DataFrame({"person_id": ["A", "B", "C"], "index_week": ["2018-W06"] * 3})
    regs.panel().covariates(pairs, ["age", "sex", "extra_cov", "weeks_ledig_8w", "weeks_tilbagetrukket_4w",
                                    "employment_3m", "employment_at_0", "spell_weeks", "in_sygdom_at_-2"])
    regs.panel().outcomes(pairs, horizon=4)
    regs.close()
    # spells and the wide layout
    b = t["benefits"].copy()
    spells = b.assign(from_week=b["week"], to_week=b["week"]).drop(columns="week")
    load(write_folder(tmp_path / "spells", {**t, "benefits": spells}, fmt)).close()
    wide = b.assign(col="y_" + b["week"].str[2:4] + b["week"].str[6:8]).pivot(
        index="person_id", columns="col", values="code").reset_index()
    load(write_folder(tmp_path / "wide", {**t, "benefits": wide}, fmt)).close()
    _check(recorded)


@pytest.mark.slow
def test_a_whole_evaluation_and_monitoring_run_is_portable(recorded, synth_folder, tmp_path):
    from virkning.analyses.effect import evaluate
    from virkning.analyses.monitoring import MonitoringConfig, monthly_status, read_registration
    from virkning.demo import seniorvikar_design
    from virkning.registers import load
    from virkning.synth.sheets import default_monitoring_config, write_monitoring_data

    regs = load(synth_folder)
    evaluate(regs, seniorvikar_design(n_boot=20))
    write_monitoring_data(synth_folder, seed=3)
    config = MonitoringConfig.model_validate(default_monitoring_config())
    registration = read_registration(synth_folder / config.registration_file, config)
    monthly_status(config, registration, regs=regs, month="2018-10")
    regs.close()
    _check(recorded)
