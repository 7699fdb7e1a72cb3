"""From design-file text to a checked `Design`: read (with lines), check every section, apply robustness variants,
compile each analysis's section into the domain objects it runs on. Every problem found is collected, not only the
first, and each names the file, line and key path.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from virkning.design.messages import (DesignFileError, DesignProblem, Loc, describe, display, keys_of, line_of, show,
                                      unknown_key)
from virkning.design.schema import CommonSpec, flat_keys, root_model, section_keys
from virkning.design.source import read_yaml
from virkning.registers.catalogue import COLUMNS as CATALOGUE_COLUMNS
from virkning.registers.contract import LoadOptions
from virkning.registers.engine import is_uri

EFFECT = "effect"


def _hints() -> dict[str, str]:
    from virkning.analyses.effect.spec import HINTS

    return HINTS


def _duplicates(raw: dict) -> list[tuple[Loc, str]]:
    """Names that must be unique within their list (outcomes, subgroups, ...; covariates and exact variables)."""
    issues = []

    def scan(loc: Loc, items: Any, key: str | None) -> None:
        if not isinstance(items, list):
            return
        seen: dict[Any, int] = {}
        for i, item in enumerate(items):
            value = item.get(key) if key and isinstance(item, dict) else (None if key else item)
            if not isinstance(value, str):
                continue
            if value in seen:
                where = (*loc, i, key) if key else (*loc, i)
                first = display((*loc, seen[value]), raw)
                issues.append((where, f"{show(value)} is listed twice (also {first}); each must be unique"))
            else:
                seen[value] = i

    for key in ("outcomes", "subgroups", "exclusions", "success_criteria"):
        scan((key,), raw.get(key), "name")
    scan(("covariates",), raw.get("covariates"), None)
    if isinstance(raw.get("matching"), dict):
        scan(("matching", "exact"), raw["matching"].get("exact"), None)
    return issues


def _with_flat(raw: dict) -> bool:
    """A design runs the effect evaluation when it has any of its keys, or declares no other analysis."""
    return any(k in raw for k in flat_keys()) or not any(k in raw for k in section_keys())


def _check(raw: dict) -> tuple[Any, list[tuple[Loc, str]]]:
    issues = _duplicates(raw)
    model = root_model(_with_flat(raw))
    try:
        spec = model.model_validate(raw)
    except ValidationError as e:
        issues += [describe(err, model, _hints()) for err in e.errors()]
        spec = None
    return spec, issues


def _merge(raw: dict, changes: dict, sections: tuple[str, ...]) -> dict:
    """The design as written with a variant's changes: sections merge key by key, other keys are replaced."""
    merged = {k: v for k, v in raw.items() if k != "robustness"}
    for key, value in changes.items():
        if key in sections and isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def plain(v: Any) -> Any:
    """A value as JSON-ready data (dates as text, keys as text)."""
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if hasattr(v, "model_dump"):
        return plain(v.model_dump())
    return v


@dataclass(frozen=True)
class Design:
    """A checked design file: the common settings and, per analysis kind it declares, the compiled design that
    kind runs on (`analyses`: e.g. "effect" -> EffectDesign, "monitoring" -> MonitoringConfig)."""

    name: str
    language: str
    data_folder: Path | str  # str: an hdfs://, s3a://, abfss:// ... location read by the Spark engine
    catalogue: Path | None
    end_month: str | None
    wide_pattern: str
    disclosure_threshold: int
    seed: int
    success_criteria: tuple
    source: str
    spec: Any = field(repr=False)
    analyses: dict[str, Any] = field(default_factory=dict, repr=False)
    variants: dict[str, dict] = field(default_factory=dict, repr=False)
    organisation: str | None = None  # who publishes the evaluation: on the cover of report.pdf

    def effect_design(self):
        """The effect evaluation's design (`virkning.analyses.effect.EffectDesign`), or None if the design has none."""
        return self.analyses.get(EFFECT)

    @property
    def monitoring(self):
        """The monitoring configuration (`MonitoringConfig`), or None if the design has no monitoring section."""
        return self.analyses.get("monitoring")

    def robustness_variants(self) -> dict[str, dict]:
        """Variant name -> the EffectDesign fields it changes (new values), for `robustness`."""
        return {name: dict(changes) for name, changes in self.variants.items()}

    def load_options(self) -> LoadOptions:
        """How to read the data folder: the design's weekly column pattern and catalogue override, its formats
        (encoding, delimiter, decimal mark, column renames) and those of the command line (`formats.overriding`)."""
        from virkning.registers import formats

        data = self.spec.data
        return formats.apply_overrides(LoadOptions(
            wide_pattern=self.wide_pattern, catalogue=str(self.catalogue) if self.catalogue is not None else None,
            engine=data.engine, master=data.master, spark_catalog=data.spark_catalog,
            encoding=data.encoding, delimiter=data.delimiter, decimal=data.decimal,
            columns=formats.columns_from_design(data.columns)))

    def to_dict(self) -> dict:
        """The design as JSON-ready data: the effect evaluation's fields (as `dataclasses.asdict` gives them, states
        keyed by text; outcomes with their words in the design's language), name, language, source (file name),
        data, threshold, success criteria and the variants as written."""
        out: dict[str, Any] = {
            "name": self.name,
            "language": self.language,
            "source": Path(self.source).name,
            "data": {"folder": Path(self.spec.data.folder).name, "catalogue": (
                Path(self.spec.data.catalogue).name if self.spec.data.catalogue else None),
                "end_month": self.end_month, "wide_pattern": self.wide_pattern, "engine": self.spec.data.engine},
        }
        # how the files were read, when not as UTF-8 CSV under the contract's names (with the command line's options)
        options = self.load_options()
        read = {"encoding": options.encoding, "delimiter": options.delimiter, "decimal": options.decimal}
        out["data"].update({k: v for k, v in read.items() if v not in ("utf-8", None, ".")})
        if options.columns:
            out["data"]["columns"] = [list(c) for c in options.columns]
        effect = self.effect_design()
        if effect is not None:
            out.update(plain(dataclasses.asdict(effect)))
            out["outcomes"] = [o.to_dict(self.language) for o in effect.outcomes]
            out["robustness"] = plain(getattr(self.spec, "robustness", {}))
        out["disclosure_threshold"] = self.disclosure_threshold
        out["success_criteria"] = [plain(c) for c in self.success_criteria]
        return out


def _default_name(source: str) -> str:
    folder = Path(source).parent.name
    return folder or "evaluation"


def _resolve(base: Path, path: str) -> Path:
    p = Path(path).expanduser()
    return Path(os.path.abspath(p if p.is_absolute() else base / p))


def parse_design(text: str, source: str = "design.yaml") -> Design:
    """Read a design from YAML text; `source` names the file in messages and anchors relative paths."""
    from virkning.analyses import KINDS

    raw, lines, problems = read_yaml(text, source)

    def problem(loc: Loc, message: str) -> DesignProblem:
        return DesignProblem(source, line_of(lines, loc), display(loc, raw), message)

    if not isinstance(raw, dict):
        what = "the file is empty" if raw is None else f"the file holds {show(raw)}"
        raise DesignFileError([*problems, DesignProblem(
            source, 1, "", f"{what}; expected a mapping with at least participants, pool, covariates and outcomes "
                           "(an effect evaluation) or a monitoring section")])
    spec, issues = _check(raw)
    problems += [problem(loc, msg) for loc, msg in issues]

    base = Path(source).parent
    if spec is not None and spec.data.catalogue is not None:
        cat = _resolve(base, spec.data.catalogue)
        if not cat.is_file():
            problems.append(problem(("data", "catalogue"), f"file not found: {cat}; expected a CSV with columns "
                                                           f"{', '.join(CATALOGUE_COLUMNS)}"))

    analyses: dict[str, Any] = {}
    if spec is not None:
        for kind in KINDS.values():
            section = spec if kind.section is None else getattr(spec, kind.section, None)
            if kind.section is None and not _with_flat(raw):
                continue
            if section is None:
                continue
            try:
                analyses[kind.key] = kind.compile(section, spec)
            except ValidationError as e:  # a rule across sections (e.g. criteria naming funnel steps)
                for err in e.errors():
                    loc = tuple(err["loc"])
                    where = (kind.section,) if kind.section else ()
                    if loc and loc[0] == "success_criteria":
                        where = ()
                    problems.append(problem((*where, *loc), describe(err, root_model(True), _hints())[1]))

    variants = _variants(raw, spec, issues, analyses.get(EFFECT), problem, problems)
    if problems:
        raise DesignFileError(problems)
    return Design(
        name=spec.name or _default_name(source),
        language=spec.language,
        data_folder=spec.data.folder if is_uri(spec.data.folder) else _resolve(base, spec.data.folder),
        catalogue=_resolve(base, spec.data.catalogue) if spec.data.catalogue is not None else None,
        end_month=spec.data.end_month,
        wide_pattern=spec.data.wide_pattern,
        disclosure_threshold=spec.disclosure_threshold,
        seed=spec.seed,
        success_criteria=tuple(spec.success_criteria),
        source=source,
        spec=spec,
        analyses=analyses,
        variants=variants,
        organisation=spec.organisation,
    )


def _variants(raw: dict, spec, issues, effect, problem, problems) -> dict[str, dict]:
    """Each robustness variant applied to the design as written and checked the same way; the EffectDesign fields it
    changes."""
    from virkning.analyses.effect.pipeline import EffectDesign
    from virkning.analyses.effect.spec import VARIANT_KEYS, VARIANT_SECTIONS, compile_effect

    variants: dict[str, dict] = {}
    got = raw.get("robustness")
    raw_variants: dict[Any, Any] = got if isinstance(got, dict) else {}
    for name, changes in raw_variants.items():
        vloc: Loc = ("robustness", name)
        if not isinstance(name, str) or not name.strip():
            continue  # reported by the schema
        if not isinstance(changes, dict):
            problems.append(problem(vloc, f"expected a mapping (key: value) of what the variant changes; "
                                          f"got {show(changes)}"))
            continue
        if name.strip() == "main":
            problems.append(problem(vloc, "'main' names the main design in the robustness table; choose another "
                                          "name for the variant"))
        bad = [k for k in changes if k not in VARIANT_KEYS]
        for k in bad:
            known = keys_of(root_model(True))
            msg = (unknown_key(k, list(VARIANT_KEYS), " in a robustness variant") if k not in known else
                   f"'{k}' cannot change in a robustness variant; a variant may change {', '.join(VARIANT_KEYS)}")
            problems.append(problem((*vloc, k), msg))
        if bad:
            continue
        if not changes:
            problems.append(problem(vloc, "the variant changes nothing; give the keys it changes, "
                                          "e.g. {pool: {age: [55, 65]}}"))
            continue
        vspec, vissues = _check(_merge(raw, changes, VARIANT_SECTIONS))
        for loc, msg in vissues:
            if (loc, msg) in issues:
                continue  # a problem of the design as written, reported once above
            if loc and loc[0] in changes:
                problems.append(problem((*vloc, *loc), msg))
            else:  # a rule that only breaks in combination with the design as written
                problems.append(problem(vloc, f"with this variant, {display(loc, raw) or 'the design'}: {msg}"))
        if vspec is None or effect is None:
            continue
        veffect = compile_effect(vspec, seed=vspec.seed, end_month=vspec.data.end_month)
        changed = {f.name: getattr(veffect, f.name) for f in dataclasses.fields(EffectDesign)
                   if getattr(veffect, f.name) != getattr(effect, f.name)}
        if not changed:
            problems.append(problem(vloc, "the variant gives the same design as the main one; change something"))
        variants[name.strip()] = changed
    return variants


def load_design(path: str | os.PathLike) -> Design:
    """Read and check a design file; raises DesignError (a DesignFileError listing every problem)."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DesignFileError([DesignProblem(source, None, "", "file not found; give the path of a design file "
                                                               "(docs/design-file.md)")]) from None
    except UnicodeDecodeError as e:
        raise DesignFileError([DesignProblem(source, None, "", f"not UTF-8 text ({e.reason} at byte {e.start}); "
                                                               "save the file as UTF-8")]) from None
    except IsADirectoryError:
        raise DesignFileError([DesignProblem(source, None, "", "is a folder; give the path of the design file "
                                                               "in it")]) from None
    except PermissionError:
        raise DesignFileError([DesignProblem(source, None, "", "cannot be read (permission denied)")]) from None
    return parse_design(text, source)
