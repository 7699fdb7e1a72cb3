"""Municipalities, RAR areas and the programme's project municipalities.

The 98 municipalities come from the shipped `registers/municipalities.csv` (official 3-digit codes, administrative
region, RAR area, approximate 2018 population). Persons are spread over municipalities in proportion to
population.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from virkning.errors import VirkningError

# The 13 Seniorvikar projects of the final evaluation (Boks 1), each represented by its lead municipality.
# In the real programme Hjørring worked with Jammerbugt, Frederikshavn and Brønderslev, and Ringsted with Sorø;
# the synthetic programme runs in the 13 lead municipalities only, as the evaluation's control-group rule does.
PROJECTS = (
    ("153", "Seniorvikar Brøndby"),
    ("430", "Seniorvikar Faaborg-Midtfyn"),
    ("320", "Seniorvikar Faxe"),
    ("860", "Seniorvikar Hjørring"),
    ("621", "Seniorvikar Kolding"),
    ("482", "Seniorvikar Langeland"),
    ("350", "Seniorvikar Lejre"),
    ("480", "Seniorvikar Nordfyn"),
    ("329", "Seniorvikar Ringsted"),
    ("265", "Seniorvikar Roskilde"),
    ("746", "Seniorvikar Skanderborg"),
    ("269", "Seniorvikar Solrød"),
    ("187", "Seniorvikar Vallensbæk"),
)
PROJECT_MUNICIPALITIES = tuple(code for code, _ in PROJECTS)

# Job-finding multipliers by RAR area: a mild regional gradient (lower on the periphery).
RAR_JOB_FACTOR = {
    "RAR Hovedstaden": 1.00,
    "RAR Bornholm": 0.85,
    "RAR Sjælland": 0.93,
    "RAR Fyn": 0.95,
    "RAR Sydjylland": 1.02,
    "RAR Østjylland": 1.00,
    "RAR Vestjylland": 1.08,
    "RAR Nordjylland": 0.95,
}


@dataclass(frozen=True)
class Geography:
    table: pd.DataFrame  # code, name, region, rar, population (code as str)
    codes: np.ndarray  # object array of code strings
    rar_names: tuple[str, ...]
    rar_of: np.ndarray  # int8 index into rar_names per municipality
    weights: np.ndarray  # population shares
    project_of: np.ndarray  # int8 project index per municipality, -1 outside the programme
    project_codes: tuple[str, ...]
    project_units: tuple[str, ...]

    @property
    def rar_job_factor(self) -> np.ndarray:
        return np.array([RAR_JOB_FACTOR[r] for r in self.rar_names], dtype=np.float32)


def load_municipalities() -> pd.DataFrame:
    path = resources.files("virkning.registers").joinpath("municipalities.csv")
    t = pd.read_csv(str(path), dtype={"code": str, "name": str, "region": str, "rar": str})
    if len(t) != 98 or not t["code"].is_unique:
        raise VirkningError(
            "registers/municipalities.csv must list the 98 municipalities once each; restore the shipped file"
        )
    return t


def load_geography() -> Geography:
    t = load_municipalities()
    rar_names = tuple(sorted(t["rar"].unique()))
    unknown = set(rar_names) - set(RAR_JOB_FACTOR)
    if unknown:
        raise VirkningError(f"municipalities.csv: unknown RAR area(s) {', '.join(sorted(unknown))}; "
                            f"expected {', '.join(RAR_JOB_FACTOR)}")
    codes = t["code"].to_numpy(dtype=object)
    project_of = np.full(len(t), -1, dtype=np.int8)
    for i, code in enumerate(PROJECT_MUNICIPALITIES):
        project_of[np.flatnonzero(codes == code)] = i
    pop = t["population"].to_numpy(dtype=float)
    return Geography(
        table=t,
        codes=codes,
        rar_names=rar_names,
        rar_of=np.array([rar_names.index(r) for r in t["rar"]], dtype=np.int8),
        weights=pop / pop.sum(),
        project_of=project_of,
        project_codes=PROJECT_MUNICIPALITIES,
        project_units=tuple(unit for _, unit in PROJECTS),
    )
