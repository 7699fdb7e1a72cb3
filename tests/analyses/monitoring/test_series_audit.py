"""A programme's monthly status reports read together: the gate protects each month against the earlier ones, and
the independent audit, reading every month's published tables at once, derives no count below the threshold."""

import datetime as dt

import numpy as np
import pandas as pd

from virkning.analyses.monitoring import MonitoringConfig, monitor, publish
from virkning.analyses.monitoring.registration import check_registration
from virkning.disclosure.audit import audit
from virkning.synth.sheets import default_monitoring_config

MONTHS = ["2018-01", "2018-02", "2018-03", "2018-04", "2018-05", "2018-06"]


def staggered_sheet(seed: int = 7, persons: int = 420) -> pd.DataFrame:
    """Six projects inviting citizens over six months at different paces, so many month counts are small."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(persons):
        proj = f"P{rng.integers(6)}"
        invited = dt.date(2018, 1, 1) + dt.timedelta(days=int(rng.integers(0, 175)))
        met = invited + dt.timedelta(days=int(rng.integers(3, 20)))
        attended, signed, temp = rng.random() < 0.8, rng.random() < 0.6, rng.random() < 0.3
        rows.append({"person_id": f"C{i:05d}", "projekt": proj, "indkaldelsesdato": invited.isoformat(),
                     "deltaget": "ja" if attended else "nej", "moededato": met.isoformat() if attended else "",
                     "matchsamtale": "", "opskrevet": ("ja" if signed else "nej") if attended else "",
                     "opskrivningsdato": (met + dt.timedelta(days=10)).isoformat() if attended and signed else "",
                     "opfoelgningsdato": "",
                     "vikarjob_start": (met + dt.timedelta(days=40)).isoformat() if attended and signed and temp
                     else "", "vikar_branche": "", "alternativ_indsats": ""})
    return pd.DataFrame(rows)


def test_six_monthly_reports_read_together_reveal_no_small_count(tmp_path):
    c = default_monitoring_config()
    c["disclosure_threshold"] = 5
    config = MonitoringConfig.model_validate(c)
    reg = check_registration(staggered_sheet(), config.registration, "Registrering")
    result = monitor(config, registration=reg, months=MONTHS)
    raw = result.tables
    # the data must hold what the test is about: small month counts that a reader could otherwise take as the
    # difference of two cumulative counts
    small = [(m, r["unit"], r["step"]) for m in MONTHS for r in raw[m]["funnel"].to_dict("records")
             if r["period"] == "month" and 1 <= (r["persons"] or 0) <= 4]
    assert len(small) >= 5
    outputs = publish(result, 5)
    for o in outputs:
        if o.page is None:
            continue
        (tmp_path / o.folder).mkdir()
        for name, frame in o.tables.items():
            frame.to_csv(tmp_path / o.folder / f"{name}.csv", index=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == MONTHS
    assert audit(tmp_path, 5) == []
    # and each small month count is withheld where it is printed
    for m, unit, step in small:
        f = pd.read_csv(tmp_path / m / "funnel.csv")
        row = f[(f["unit"] == unit) & (f["period"] == "month") & (f["step"] == step)]
        assert len(row) == 1 and pd.isna(row["persons"].iloc[0]), (m, unit, step)
