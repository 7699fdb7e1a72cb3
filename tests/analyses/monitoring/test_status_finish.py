"""The monthly status report as a publishable page: shares of one group of persons (never above 100 %), the source
and synthetic-data statements, Danish rule messages, readable headings and Danish numbers in the figures."""

import dataclasses
import html as htmllib
import re

import numpy as np
import pandas as pd
import pytest

from virkning import __version__
from virkning.analyses.monitoring import MonitoringConfig, monitor, monthly_status, publish, render_status_html
from virkning.analyses.monitoring.fidelity import fidelity_scores
from virkning.analyses.monitoring.registration import check_registration
from virkning.analyses.monitoring.section import _bars
from virkning.analyses.monitoring.strings import _DANISH, general_rule, message
from virkning.disclosure.audit import audit
from virkning.report.figures import render_figure
from virkning.report.formatting import Formatter
from virkning.synth.sheets import default_monitoring_config

from .test_monitoring import fid_cfg, staff_survey


def cfg(threshold=1) -> MonitoringConfig:
    c = default_monitoring_config()
    c["disclosure_threshold"] = threshold
    return MonitoringConfig.model_validate(c)


def row(i, proj, invited, met=None, signed=None, temp=None):
    return {"person_id": f"P{i:04d}", "projekt": proj, "indkaldelsesdato": invited,
            "deltaget": "ja" if met else "nej", "moededato": met or "", "matchsamtale": "",
            "opskrevet": ("ja" if signed else "nej") if met else "", "opskrivningsdato": signed or "",
            "opfoelgningsdato": "", "vikarjob_start": temp or "", "vikar_branche": "", "alternativ_indsats": ""}


def late_attenders() -> pd.DataFrame:
    """February's invited attend in March, March invites few: March's flows are 12 attending against 3 invited, a
    ratio of 400 % that the old month table printed as a share. Of the 3 invited in March, 2 attend in March."""
    rows = [row(i, "A" if i % 2 else "B", "2018-02-20", "2018-03-06", "2018-03-20" if i < 8 else None)
            for i in range(10)]
    rows += [row(10, "A", "2018-03-05", "2018-03-12", "2018-03-26"), row(11, "B", "2018-03-12", "2018-03-19"),
             row(12, "A", "2018-03-28")]
    return pd.DataFrame(rows)


SHARES = {"funnel": ("share_of_first", "share_of_previous"), "criteria": (), "employment": ("share_employed",),
          "surveys": ("share_agree", "response_rate"), "temp_industry": ("share_of_months",),
          "temp_hours": ("share_of_months",)}


def published_shares(tables: dict) -> list[float]:
    out = []
    for name, cols in SHARES.items():
        t = tables.get(name)
        if t is None:
            continue
        for col in cols:
            out += [float(v) for v in t[col].dropna()]
        if name == "criteria":
            out += [float(v) for v in t.loc[t["kind"] == "share", "value"].dropna()]
    return out


def test_month_shares_are_shares_of_the_months_new_citizens():
    reg = check_registration(late_attenders(), cfg().registration, "Registrering")
    r = monthly_status(cfg(), reg, month="2018-03")
    f = r.funnel.set_index(["unit", "period", "step"])
    # the month's flows: 3 invited, 12 attending (10 invited in February) -- and no share printed beside them
    assert f.loc[("I alt", "month", "inviteret"), "persons"] == 3
    assert f.loc[("I alt", "month", "deltaget"), "persons"] == 12
    month = r.funnel[r.funnel["period"] == "month"]
    assert month["share_of_first"].isna().all() and month["share_of_previous"].isna().all()
    # the month's new citizens (invited in March): 3, of whom 2 attended and 1 signed up by 31 March
    assert f.loc[("I alt", "cohort", "inviteret"), "persons"] == 3
    assert f.loc[("I alt", "cohort", "deltaget"), "persons"] == 2
    assert f.loc[("I alt", "cohort", "deltaget"), "share_of_first"] == pytest.approx(2 / 3)
    assert f.loc[("I alt", "cohort", "opskrevet"), "share_of_previous"] == pytest.approx(1 / 2)
    assert f.loc[("A", "cohort", "deltaget"), "share_of_first"] == pytest.approx(1 / 2)
    # criteria: shares of the cumulative group and of the month's new citizens; counts to date and in the month
    c = r.criteria.set_index(["unit", "criterion", "period"])
    assert c.loc[("I alt", "opskrivning", "cohort"), "value"] == pytest.approx(1 / 2)
    assert c.loc[("I alt", "opskrivning", "cumulative"), "value"] == pytest.approx(9 / 12)
    assert ("I alt", "opskrivning", "month") not in c.index
    assert c.loc[("I alt", "deltagere", "month"), "value"] == 12
    shares = published_shares(r.tables)
    assert shares and max(shares) <= 1.0


def test_published_months_audit_clean_and_no_share_above_one(tmp_path):
    config = cfg(threshold=3)
    reg = check_registration(late_attenders(), config.registration, "Registrering")
    outputs = publish(monitor(config, registration=reg, months=["2018-02", "2018-03"]), 3)
    for o in outputs:
        if o.page is None:
            continue
        (tmp_path / o.folder).mkdir()
        for name, frame in o.tables.items():
            frame.to_csv(tmp_path / o.folder / f"{name}.csv", index=False)
        assert max(published_shares(o.tables), default=0) <= 1.0
        assert set(o.tables["funnel"]["period"]) == {"cumulative", "month", "cohort"}
    assert audit(tmp_path, 3) == []


def test_survey_response_rate_is_of_everyone_registered_at_the_step():
    from virkning.analyses.monitoring import survey_population
    from virkning.analyses.monitoring.compute import step_frame
    from virkning.analyses.monitoring.surveys import survey_table

    config = cfg()
    reg = check_registration(late_attenders(), config.registration, "Registrering")
    steps = step_frame(config, reg.data)
    pop = survey_population(steps, "deltaget")
    assert pop == {"A": 6, "B": 6}  # every attender in the sheet, whatever the month
    sv = config.surveys[0]
    answers = pd.DataFrame([{"respondent": i, "projekt": u, "wave": "1", **{k: "enig" for k in sv.items}}
                            for i, u in enumerate(["A"] * 4 + ["B"] * 7)])
    t = survey_table(answers, sv, pop).drop_duplicates("unit").set_index("unit")
    assert t.loc["A", "response_rate"] == pytest.approx(4 / 6)
    assert pd.isna(t.loc["B", "response_rate"])  # 7 answers, 6 registered: no rate rather than 117 %


def _text(page: str) -> str:
    page = re.sub(r"<style.*?</style>|<svg.*?</svg>", " ", page, flags=re.S)
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture(scope="module")
def page():
    sheet = late_attenders()
    sheet.loc[0, "opskrevet"] = "måske"  # broken rules: their messages must read in Danish
    sheet.loc[1, "opfoelgningsdato"] = "2018-09-30"
    sheet = pd.concat([sheet, sheet.iloc[[2]]], ignore_index=True)
    config = cfg(threshold=1)
    reg = check_registration(sheet, config.registration, "Registrering", source="data/registration.xlsx")
    r = monthly_status(config, reg, month="2018-03")
    fid = fidelity_scores(staff_survey(), fid_cfg(), outcome={"U1": 0.5, "U2": 0.2, "U3": 0.4})
    r = dataclasses.replace(r, fidelity=fid)
    text, figures = render_status_html(r, "da", synthetic=True)
    return r, text, figures


def test_page_states_its_sources_and_synthetic_data(page):
    r, text, _ = page
    plain = _text(text)
    assert "Rapporten bygger på syntetiske data" in plain  # the banner
    assert "Alle data er syntetiske" in plain
    assert re.search(rf"registration\.xlsx; registreringer fra februar 2018 til og med marts 2018", plain)
    assert f"virkning {__version__} den " in plain
    assert "Syntetiske data." in plain  # in the source lines of tables and figures
    plain_real = _text(render_status_html(r, "da", synthetic=False)[0])
    assert "syntetisk" not in plain_real.lower()


def test_danish_page_has_no_english_messages_and_no_keys_in_headings(page):
    _, text, _ = page
    plain = _text(text)
    for english in ("must be", "required", "not yes/no", "twice", "unit-wave", "fewer than", "allowed:",
                    "regression needs", "(first in row"):
        assert english not in plain, english
    assert "skal ligge højst 13 uger efter 'Dato for informationsmøde'" in plain
    assert "ikke ja/nej (tilladt: ja, nej)" in plain
    assert "borgeren er registreret to gange i samme projekt" in plain
    headings = re.findall(r"<(h[1-6]|th|caption)[^>]*>(.*?)</\1>", text, flags=re.S)
    assert headings
    keys = set(default_monitoring_config()["registration"]["columns"][i]["name"]
               for i in range(len(default_monitoring_config()["registration"]["columns"])))
    for tag, inner in headings:
        words = _text(inner)
        assert not re.search(r"\b[a-zæøå]+_[a-zæøå_]+\b", words), (tag, words)
        assert not set(re.findall(r"[\wæøå]+", words)) & (keys - {"deltaget", "opskrevet"}), (tag, words)
    # the rule table names the columns by their labels
    assert "Opskrevet hos vikarbureau" in plain and "Borger-id" in plain
    assert "Samlet (gennemsnit af kerneelementerne)" in plain


def test_month_table_explains_its_denominators(page):
    _, text, _ = page
    plain = _text(text)
    assert "Indkaldt i marts 2018: hvor langt månedens nye borgere er nået" in plain
    assert "Andel: i procent af månedens nye borgere" in plain
    assert "så tabellen viser ingen andele" in plain
    # every percentage in a table column, except the achievement of a target (which may pass 100 %), is at most 100 %
    seen = 0
    for table in re.findall(r"<table.*?</table>", text, flags=re.S):
        heads = [_text(h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", table.split("</thead>")[0], re.S)]
        for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", table.split("</thead>")[-1], flags=re.S):
            cells = [_text(c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", tr, flags=re.S)]
            for head, cell in zip(heads, cells):
                m = re.fullmatch(r"(\d[\d.]*(?:,\d+)?) %", cell)
                if m and "målopfyldelse" not in head.lower():
                    seen += 1
                    assert float(m.group(1).replace(".", "").replace(",", ".")) <= 100, (head, cell)
    assert seen > 10


def _svg_texts(svg: bytes) -> list[str]:
    return [htmllib.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg.decode())]


def test_figure_numbers_are_danish():
    fmt = Formatter("da")
    saved = render_figure(_bars, "pct", [("A", 0.02), ("B", 0.03), ("I alt", None)], None, True, fmt)
    texts = _svg_texts(saved.svg)
    assert "3 %" in texts and "–" in texts  # bar labels as in the tables
    assert any(re.fullmatch(r"\d,5 %", t) for t in texts), texts  # ticks at half per cents: decimal comma
    assert not any(re.search(r"\d\.\d", t) for t in texts), texts
    saved = render_figure(_bars, "n", [("A", 1500.0), ("B", 2250.0)], 2000.0, False, fmt)
    texts = _svg_texts(saved.svg)
    assert "1.500" in texts and "2.250" in texts
    assert not any(re.search(r"\d,\d{3}\b", t) for t in texts), texts  # no English thousands comma
    scatter = fidelity_scores(staff_survey(), fid_cfg(), outcome={"U1": 0.5, "U2": 0.2, "U3": 0.4}).scatter_svg()
    ticks = [htmllib.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", scatter)]
    assert any(re.fullmatch(r"\d,0", t) for t in ticks), ticks
    assert not any(re.fullmatch(r"\d\.\d", t) for t in ticks), ticks


@pytest.mark.parametrize("english", [
    "not a date (expected YYYY-MM-DD or DD-MM-YYYY)", "implausible date (outside 2000 to 2040; a typo in the year?)",
    "not yes/no (allowed: ja, nej)", "not a whole number", "not an allowed value (allowed: a, b)",
    "not an allowed event (allowed: møde)", "column missing from the header row", "required value is empty",
    "required when 'deltaget' is filled/yes", "must be on or after 'moededato' (2018-01-02)",
    "must be after 'moededato' (2018-01-02)", "must be within 13 weeks after 'moededato' (2018-01-02)",
    "citizen registered twice in the same project (first in row 7)", "citizen has no 'møde' event in this project",
    "3 unit-wave(s) with fewer than 5 staff respondents are left out",
    "the fidelity regression needs at least 3 units with different scores (got 1)",
    "items not in the item map were ignored: x, y"])
def test_every_message_has_danish(english):
    danish = message(general_rule(english), "da", lambda c: c.upper())
    assert danish != general_rule(english)
    assert not re.search(r"\b(must|required|not|citizen|units?|the|with|allowed)\b", danish), danish
    assert message(english, "en") == english
    assert len(_DANISH) == 17


def test_registration_summary_groups_rules_without_row_details():
    sheet = late_attenders()
    sheet.loc[0, "opfoelgningsdato"] = "2018-09-30"
    sheet.loc[1, "opfoelgningsdato"] = "2018-10-30"
    reg = check_registration(sheet, cfg().registration, "Registrering")
    r = monthly_status(cfg(), reg, month="2018-03")
    rules = r.tables["registration"]
    rules = rules[rules["item"] == "rule"]
    assert list(rules["rule"]) == ["must be within 13 weeks after 'moededato'"]
    assert list(rules["rows"]) == [2]
    assert np.isfinite(rules["rows"]).all()


def test_employment_table_says_who_is_followed(page):
    from virkning.analyses.monitoring.section import status_sections
    from virkning.report.render import render_document

    r, _, _ = page
    tables = dict(r.tables)
    tables["employment"] = pd.DataFrame({"unit": ["A", "B", "I alt"], "weeks_after": 13, "persons": [6, 5, 11],
                                         "employed": [3, 2, 5], "share_employed": [0.5, 0.4, 5 / 11]})
    for name in ("temp_industry", "temp_hours"):
        tables[name] = pd.DataFrame({"level": ["I alt"], "months": [0], "persons": [0], "share_of_months": [None]})
    bundle = {**r.bundle(), "tables": tables, "info": {**r.info, "register_end": "2019-07"}}
    sections, _ = status_sections(bundle, "da", synthetic=True)
    plain = _text(render_document(sections, title="x", kicker="y", language="da", synthetic=True, toc=False))
    assert "Fulgt 13 uger" in plain
    assert "også dem, der ikke deltog" in plain and "kolonnen 'Indkaldt'" in plain
    assert "senest i rapportens måned (marts 2018)" in plain and "(til og med juli 2019)" in plain
    assert "færre fulgte end indkaldte" in plain
    assert "beskæftigelsesregistret (månedlig beskæftigelse til og med juli 2019)" in plain
