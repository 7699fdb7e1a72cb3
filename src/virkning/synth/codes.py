"""States of the multi-state model and the DREAM codes each state writes, taken from the shipped catalogue.

Every code the generator writes is looked up in `registers/dream_codes.csv` when a run starts, and must carry
the catalogue state named here; a missing code stops the run with a CatalogueError rather than inventing one.
Activation codes are the catalogue's codes with `activation = 1` in the same decade as a scheme's passive code
(213-219 for dagpenge, 133-139 for jobparate kontanthjælp, ...), offsets 3 to 9 (the measure types).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from virkning.errors import CatalogueError
from virkning.registers.catalogue import load_catalogue


class S(IntEnum):
    """Weekly states. Codes: EMP, SELF and CHILD write none; the others write one code a week."""

    EMP = 0  # employed (hours in the employment register)
    SELF = 1  # self-supporting: no benefit, no employment
    LEDIG = 2  # insured unemployed on dagpenge
    KONT = 3  # non-insured unemployed on kontanthjælp / uddannelseshjælp / integrationsydelse
    SICK = 4  # sygedagpenge, then jobafklaring
    EDU = 5  # SU
    BARSEL = 6  # maternity / paternity benefit
    EFTL = 7  # efterløn
    FLEKS = 8  # fleksydelse
    FTP = 9  # førtidspension
    FOLK = 10  # folkepension
    EMIG = 11  # not resident in Denmark
    DEAD = 12
    CHILD = 13  # under 16: outside the registers' scope


N_STATES = len(S)

# Measure types by the last digit of an activation code: 3 guidance/upskilling, 4 ordinary education,
# 5/6 wage subsidy private/public, 7/8 work trial private/public, 9 nytteindsats.
ACTIVATION_OFFSETS = (3, 4, 5, 6, 7, 8, 9)
ACTIVATION_WEIGHTS_DAGPENGE = (0.36, 0.05, 0.12, 0.09, 0.24, 0.10, 0.04)
ACTIVATION_WEIGHTS_KONT = (0.38, 0.04, 0.04, 0.05, 0.25, 0.10, 0.14)
DAGPENGE_ACTIVATION_DECADE = 210  # 213-219: dagpenge combined with a measure

# Non-insured schemes: (passive code, label for documentation). Which one a spell uses depends on age and origin.
KONT_SCHEMES = (
    ("130", "kontanthjælp, jobparat"),
    ("730", "kontanthjælp, aktivitetsparat"),
    ("140", "uddannelseshjælp, jobparat"),
    ("720", "uddannelseshjælp, aktivitetsparat"),
    ("700", "integrationsydelse"),
)

# The single code of each remaining state, with the catalogue state it must have.
FIXED = {
    "dagpenge": ("111", "ledig"),
    "supplerende": ("115", "ledig"),
    "feriedagpenge": ("121", "ledig"),
    "sygedagpenge": ("890", "sygdom"),
    "jobafklaring": ("785", "sygdom"),
    "su": ("651", "uddannelse"),
    "barsel": ("881", "barsel"),
    "efterløn": ("621", "efterløn"),
    "fleksydelse": ("622", "fleksydelse"),
    "førtidspension": ("783", "førtidspension"),
    "folkepension": ("998", "folkepension"),
    "udvandret": ("997", "udvandret"),
    "død": ("999", "død"),
}


@dataclass(frozen=True)
class CodeBook:
    """Integer codes (e.g. 111) by role; 0 means 'no code'."""

    state_code: np.ndarray  # int16 per state: the passive code (0 for EMP, SELF, CHILD)
    dagpenge: int
    supplerende: int
    feriedagpenge: int
    jobafklaring: int
    ledig_activation: np.ndarray  # int16 codes, aligned with ACTIVATION_WEIGHTS_DAGPENGE (missing ones dropped)
    ledig_activation_p: np.ndarray  # cumulative probabilities
    kont_passive: np.ndarray  # int16 per scheme
    kont_activation: np.ndarray  # int16 [scheme, measure]; 0 where the catalogue lacks the code
    kont_activation_p: np.ndarray  # float32 [scheme, measure] cumulative probabilities
    retirement: np.ndarray  # int16 codes with retirement = 1 in the catalogue
    labels: dict  # code string -> catalogue label (for documentation and tests)

    def all_codes(self) -> set[str]:
        used = set(int(c) for c in self.state_code if c)
        used |= {self.dagpenge, self.supplerende, self.feriedagpenge, self.jobafklaring}
        used |= set(int(c) for c in self.ledig_activation)
        used |= set(int(c) for c in self.kont_passive)
        used |= set(int(c) for c in self.kont_activation.ravel() if c)
        return {f"{c:03d}" for c in used}


def _cumulative(weights: list[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return (np.cumsum(w) / w.sum()).astype(np.float32)


def load_codebook() -> CodeBook:
    cat = load_catalogue()
    t = cat.table
    state_of = dict(zip(t["code"], t["state"]))
    activation = dict(zip(t["code"], t["activation"]))

    def need(code: str, state: str, role: str) -> int:
        if code not in state_of:
            raise CatalogueError(
                f"dream_codes.csv: code {code} ({role}) is missing; the synthetic registers need it with state "
                f"'{state}'. Add the row to the catalogue and run again."
            )
        if state_of[code] != state:
            raise CatalogueError(
                f"dream_codes.csv: code {code} ({role}) has state '{state_of[code]}', but the synthetic registers "
                f"write it for state '{state}'. Fix the catalogue row or the generator's code table."
            )
        return int(code)

    fixed = {role: need(code, state, role) for role, (code, state) in FIXED.items()}

    def activation_family(decade: int, state: str, weights) -> tuple[list[int], list[float]]:
        codes, ws = [], []
        for off, w in zip(ACTIVATION_OFFSETS, weights):
            code = f"{decade + off:03d}"
            if state_of.get(code) == state and activation.get(code) == 1:
                codes.append(int(code))
                ws.append(w)
        return codes, ws

    led_codes, led_w = activation_family(DAGPENGE_ACTIVATION_DECADE, "ledig", ACTIVATION_WEIGHTS_DAGPENGE)
    if not led_codes:
        raise CatalogueError("dream_codes.csv: no dagpenge activation codes (213-219, state 'ledig', activation 1); "
                             "restore them in the catalogue")
    kont_passive, kont_act, kont_p = [], [], []
    for code, label in KONT_SCHEMES:
        kont_passive.append(need(code, "kontanthjælp", label))
        codes, ws = activation_family(int(code) // 10 * 10, "aktivering", ACTIVATION_WEIGHTS_KONT)
        row = np.zeros(len(ACTIVATION_OFFSETS), dtype=np.int16)
        prow = np.ones(len(ACTIVATION_OFFSETS), dtype=np.float32)
        if codes:
            row[: len(codes)] = codes
            prow[: len(codes)] = _cumulative(ws)
        kont_act.append(row)
        kont_p.append(prow)

    state_code = np.zeros(len(S), dtype=np.int16)
    state_code[S.LEDIG] = fixed["dagpenge"]
    state_code[S.KONT] = kont_passive[0]
    state_code[S.SICK] = fixed["sygedagpenge"]
    state_code[S.EDU] = fixed["su"]
    state_code[S.BARSEL] = fixed["barsel"]
    state_code[S.EFTL] = fixed["efterløn"]
    state_code[S.FLEKS] = fixed["fleksydelse"]
    state_code[S.FTP] = fixed["førtidspension"]
    state_code[S.FOLK] = fixed["folkepension"]
    state_code[S.EMIG] = fixed["udvandret"]
    state_code[S.DEAD] = fixed["død"]

    return CodeBook(
        state_code=state_code,
        dagpenge=fixed["dagpenge"],
        supplerende=fixed["supplerende"],
        feriedagpenge=fixed["feriedagpenge"],
        jobafklaring=fixed["jobafklaring"],
        ledig_activation=np.array(led_codes, dtype=np.int16),
        ledig_activation_p=_cumulative(led_w),
        kont_passive=np.array(kont_passive, dtype=np.int16),
        kont_activation=np.array(kont_act, dtype=np.int16),
        kont_activation_p=np.array(kont_p, dtype=np.float32),
        retirement=np.array(sorted(int(c) for c in t.loc[t["retirement"] == 1, "code"]), dtype=np.int16),
        labels=dict(zip(t["code"], t["label"])),
    )
