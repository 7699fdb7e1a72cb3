"""The DREAM code catalogue: which state each weekly benefit code means.

The shipped table is `dream_codes.csv` (see docs/dream-codes.md for sources). A user table with the same columns
replaces shipped rows with the same code and adds new ones, so a design can reclassify a code without editing the
package. Everything downstream asks the catalogue, never a hard-coded code list.

`dream_code_groups.csv` adds three descriptive columns per code (`DETAIL_COLUMNS`: the cash-benefit scheme, job
readiness and the kind of active measure), read into the same table; a user table may carry them too.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Protocol, cast

import pandas as pd

from virkning.errors import CatalogueError

COLUMNS = ("code", "label", "state", "activation", "benefit", "retirement", "source")
# Optional descriptive columns (dream_code_groups.csv; a user table may give them): empty where they do not apply.
DETAIL_COLUMNS = ("scheme", "readiness", "measure")
SCHEMES = ("kontanthjælp", "uddannelseshjælp", "integrationsydelse")
READINESS = ("jobparat", "ikke jobparat")
MEASURES = ("vejledning og opkvalificering", "ordinær uddannelse", "løntilskud", "virksomhedspraktik", "nytteindsats")

# Weekly states a code can map to (values are Danish, as in the registers' own documentation).
STATES = (
    "ledig", "kontanthjælp", "aktivering", "sygdom", "barsel", "orlov", "uddannelse", "fleksjob",
    "ledighedsydelse", "revalidering", "ressourceforløb", "førtidspension", "efterløn", "fleksydelse",
    "folkepension", "udvandret", "død", "andet",
)

# Groups of codes defined by the catalogue's flags rather than by one state.
GROUPS = {
    "tilbagetrukket": "retirement = 1",
    "ydelse": "benefit = 1",
    "aktiv": "activation = 1",
    "passiv_ledig": "state = 'ledig' AND activation = 0",
    # from the detail columns (dream_code_groups.csv): cash-benefit schemes, readiness and kinds of measures
    "kontanthjælpslignende": "scheme <> ''",
    "uddannelseshjælp": "scheme = 'uddannelseshjælp'",
    "jobparat": "readiness = 'jobparat'",
    "ikke_jobparat": "readiness = 'ikke jobparat'",
    "virksomhedsrettet": "measure IN ('løntilskud', 'virksomhedspraktik')",
    "løntilskud": "measure = 'løntilskud'",
    "virksomhedspraktik": "measure = 'virksomhedspraktik'",
    "ordinær_uddannelse": "measure = 'ordinær uddannelse'",
}

# Monthly statuses that come from employment or from the absence of codes, not from one code.
MONTHLY_STATUSES = ("beskæftiget", "vikar", "selvforsørgende")

# The states, groups and monthly statuses in words (Danish, English): the one place the report takes them from.
LABELS = {
    "ledig": ("ledighed", "unemployment"),
    "kontanthjælp": ("kontanthjælp", "cash benefit"),
    "aktivering": ("aktivering", "activation"),
    "sygdom": ("sygedagpenge", "sickness benefit"),
    "barsel": ("barsel", "parental leave"),
    "orlov": ("orlov", "leave"),
    "uddannelse": ("uddannelse", "education"),
    "fleksjob": ("fleksjob", "flexjob"),
    "ledighedsydelse": ("ledighedsydelse", "benefit for unemployed flexjob candidates"),
    "revalidering": ("revalidering", "vocational rehabilitation"),
    "ressourceforløb": ("ressourceforløb", "resource programme"),
    "førtidspension": ("førtidspension", "disability pension"),
    "efterløn": ("efterløn", "voluntary early retirement pay"),
    "fleksydelse": ("fleksydelse", "early retirement for flexjob holders"),
    "folkepension": ("folkepension", "state pension"),
    "udvandret": ("udvandring", "emigration"),
    "død": ("død", "death"),
    "andet": ("andet", "other"),
    "tilbagetrukket": ("tilbagetrækning", "retirement"),
    "ydelse": ("offentlig ydelse", "public benefit"),
    "aktiv": ("aktiv indsats", "active measure"),
    "passiv_ledig": ("passiv ledighed", "passive unemployment"),
    "kontanthjælpslignende": ("kontanthjælpslignende ydelse", "cash-benefit-like benefit"),
    "uddannelseshjælp": ("uddannelseshjælp", "education benefit"),
    "jobparat": ("jobparat", "job-ready"),
    "ikke_jobparat": ("ikke jobparat (aktivitetsparat)", "not job-ready (activity-ready)"),
    "virksomhedsrettet": ("virksomhedsrettet indsats", "employer-based measure"),
    "løntilskud": ("løntilskud", "wage subsidy"),
    "virksomhedspraktik": ("virksomhedspraktik", "work trial"),
    "ordinær_uddannelse": ("ordinær uddannelse", "ordinary education"),
    "beskæftiget": ("beskæftigelse", "employment"),
    "vikar": ("vikarjob", "temp-agency job"),
    "selvforsørgende": ("selvforsørgelse", "self-support"),
}

_ASCII = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})


def ascii_name(name: str) -> str:
    """`førtidspension` -> `foertidspension`: users on servers without Danish keyboards may write either."""
    return unicodedata.normalize("NFC", name).translate(_ASCII)


_BY_ASCII = {ascii_name(s): s for s in (*STATES, *GROUPS, *MONTHLY_STATUSES)}


def canonical_state(name: str) -> str | None:
    """The catalogue's spelling of a state, group or monthly status, or None if it is none of them."""
    return _BY_ASCII.get(ascii_name(name.strip().lower()))


def state_label(name: str | None, language: str) -> str:
    """A state, group or monthly status in words (`sygdom` -> 'sygedagpenge' / 'sickness benefit'); a name the
    catalogue does not know is shown as written."""
    if name is None:
        return ""
    pair = LABELS.get(canonical_state(str(name)) or "")
    return pair[language == "en"] if pair else str(name)


@dataclass(frozen=True)
class Catalogue:
    """The code table in force (shipped rows, overridden and extended by a user table)."""

    table: pd.DataFrame
    sources: tuple[str, ...]

    def codes(self, selector: str) -> list[str]:
        """Codes in a state (e.g. `ledig`) or group (`tilbagetrukket`, `ydelse`, `aktiv`, `passiv_ledig`)."""
        name = canonical_state(selector)
        t = self.table
        if name in STATES:
            mask = t["state"] == name
        elif name == "tilbagetrukket":
            mask = t["retirement"] == 1
        elif name == "ydelse":
            mask = t["benefit"] == 1
        elif name == "aktiv":
            mask = t["activation"] == 1
        elif name == "passiv_ledig":
            mask = (t["state"] == "ledig") & (t["activation"] == 0)
        elif name in GROUPS:
            mask = _detail_mask(t, name)
        else:
            raise CatalogueError(
                f"'{selector}' is not a state or group of the DREAM code catalogue; expected one of "
                f"{', '.join((*STATES, *GROUPS))}"
            )
        return sorted(t.loc[mask, "code"])

    def state_of(self) -> dict[str, str]:
        return dict(zip(self.table["code"], self.table["state"]))

    def __len__(self) -> int:
        return len(self.table)


def _detail_mask(t: pd.DataFrame, name: str) -> pd.Series:
    """The codes of a group defined on the detail columns (the same predicates as GROUPS, read in pandas)."""
    scheme, ready, measure = t["scheme"], t["readiness"], t["measure"]
    return {"kontanthjælpslignende": scheme != "", "uddannelseshjælp": scheme == "uddannelseshjælp",
            "jobparat": ready == "jobparat", "ikke_jobparat": ready == "ikke jobparat",
            "virksomhedsrettet": measure.isin(["løntilskud", "virksomhedspraktik"]),
            "løntilskud": measure == "løntilskud", "virksomhedspraktik": measure == "virksomhedspraktik",
            "ordinær_uddannelse": measure == "ordinær uddannelse"}[name]


def _details(t: pd.DataFrame, name: str) -> tuple[pd.DataFrame, list[str]]:
    """The detail columns of a table (empty text where absent) and the problems with their values."""
    problems = []
    allowed = {"scheme": SCHEMES, "readiness": READINESS, "measure": MEASURES}
    for col in DETAIL_COLUMNS:
        if col not in t.columns:
            t[col] = ""
            continue
        t[col] = t[col].fillna("").str.strip()
        bad = t.index[(t[col] != "") & ~t[col].isin(allowed[col])]
        for i in bad[:5]:
            # every column was read with dtype=str and filled with "" above
            problems.append(f"row {i + 1}, column '{col}': '{cast(str, t.at[i, col])}' is not one of {', '.join(allowed[col])} "
                            "(or empty)")
    return t, problems


class _TextRow(Protocol):
    """A catalogue row as _read sees it (all cells text); the flag columns are read with getattr."""

    code: str
    state: str
    source: str


def _csv(path: Path | str, name: str, **options) -> pd.DataFrame:
    """A catalogue CSV as text, every reading problem a CatalogueError naming the file."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, **options)
    except FileNotFoundError:
        raise CatalogueError(f"{name}: file not found; give the path of a CSV with columns {', '.join(COLUMNS)}")
    except IsADirectoryError:
        raise CatalogueError(f"{name}: is a folder; give the path of a CSV with columns {', '.join(COLUMNS)}")
    except pd.errors.EmptyDataError:
        raise CatalogueError(f"{name}: the file is empty; a catalogue is a CSV with columns {', '.join(COLUMNS)}")
    except UnicodeDecodeError as exc:
        raise CatalogueError(f"{name}: not UTF-8 text (byte {exc.start}); save the catalogue as UTF-8") from None
    except pd.errors.ParserError as exc:
        raise CatalogueError(f"{name}: not a readable CSV ({' '.join(str(exc).split())})") from None


def _read(path: Path | str, name: str) -> pd.DataFrame:
    t = _csv(path, name)
    missing = [c for c in COLUMNS if c not in t.columns]
    if missing:
        raise CatalogueError(f"{name}: missing column(s) {', '.join(missing)}; a catalogue needs {', '.join(COLUMNS)}")
    t = t[[c for c in (*COLUMNS, *DETAIL_COLUMNS) if c in t.columns]].copy()
    t, problems = _details(t, name)
    # every column was read with dtype=str and keep_default_na=False (details filled with ""): all cells are str
    for i, row in enumerate(cast(Iterable[_TextRow], t.itertuples(index=False)), start=1):
        if not (len(row.code) == 3 and row.code.isdigit()):
            problems.append(f"row {i}, column 'code': '{row.code}' is not a 3-digit code")
        if canonical_state(row.state) not in STATES:
            problems.append(f"row {i}, column 'state': '{row.state}' is not one of {', '.join(STATES)}")
        for flag in ("activation", "benefit", "retirement"):
            if getattr(row, flag) not in ("0", "1"):
                problems.append(f"row {i}, column '{flag}': '{getattr(row, flag)}' must be 0 or 1")
        if not row.source.strip():
            problems.append(f"row {i}, column 'source': every code needs a source")
    dup = t.index[t["code"].duplicated(keep=False)] + 1
    if len(dup):
        problems.append(f"rows {', '.join(map(str, dup[:5]))}, column 'code': codes must be unique")
    if problems:
        raise CatalogueError(f"{name}: " + "; ".join(problems[:10]) + ". Fix the catalogue file and run again.")
    t["state"] = t["state"].map(canonical_state)
    for flag in ("activation", "benefit", "retirement"):
        t[flag] = t[flag].astype("int8")
    return t


def shipped_path() -> Path:
    return Path(str(resources.files("virkning.registers").joinpath("dream_codes.csv")))


def _with_groups(base: pd.DataFrame) -> pd.DataFrame:
    """The shipped catalogue with the detail columns of dream_code_groups.csv."""
    path = Path(str(resources.files("virkning.registers").joinpath("dream_code_groups.csv")))
    g = pd.read_csv(path, dtype=str, keep_default_na=False)
    g, problems = _details(g, "dream_code_groups.csv (shipped)")
    unknown = sorted(set(g["code"]) - set(base["code"]))
    if problems or unknown or g["code"].duplicated().any():
        raise CatalogueError("dream_code_groups.csv (shipped): " + "; ".join(
            problems + ([f"codes {', '.join(unknown[:5])} are not in dream_codes.csv"] if unknown else [])
            + (["codes must be unique"] if g["code"].duplicated().any() else [])) + ". Restore the shipped file.")
    base = base.drop(columns=list(DETAIL_COLUMNS)).merge(g[["code", *DETAIL_COLUMNS]], on="code", how="left")
    return base.fillna({c: "" for c in DETAIL_COLUMNS})


def load_catalogue(override: Path | str | None = None) -> Catalogue:
    """The shipped catalogue, with rows of `override` (same columns) replacing or adding codes. A user row without
    the detail columns keeps the shipped row's values for a code it replaces (empty for a new code)."""
    base = _with_groups(_read(shipped_path(), "dream_codes.csv (shipped)"))
    sources = [str(shipped_path())]
    if override is not None:
        extra = _read(override, str(override))  # first: it names the file for any problem
        raw_columns = _csv(override, str(override), nrows=0).columns
        for col in DETAIL_COLUMNS:
            if col not in raw_columns:  # not given: the shipped value of the code it replaces
                extra[col] = extra["code"].map(dict(zip(base["code"], base[col]))).fillna("")
        base = pd.concat([base[~base["code"].isin(extra["code"])], extra], ignore_index=True)
        sources.append(str(override))
    base = base.sort_values("code", ignore_index=True)
    return Catalogue(table=base, sources=tuple(sources))
