"""Registering citizens: one code path for the form, the upload, the API and the demo.

Every row is checked by the programme's registration guide through `bridge.check_rows` (the rules `virkning
monitor` applies to sheets); a row is saved only without violations. Each save writes a new version to the history
and an audit event, inside one transaction.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, transaction

from virkning.errors import VirkningError
from virkning.portal import audit, bridge
from virkning.portal.cpr import InvalidCpr, encrypt, keyed_hash, mask, normalise, redact
from virkning.portal.models import Programme, Registration, RegistrationVersion, Unit, Upload
from virkning.portal.scoping import Scope, aggregation

_GUIDES: dict[tuple[str, float], bridge.ProgrammeGuide] = {}


def guide_for(programme: Programme) -> bridge.ProgrammeGuide:
    """The programme's guide from its design file, re-read when the file changes."""
    path = Path(programme.design_path)
    key = (str(path), path.stat().st_mtime if path.exists() else 0.0)
    if key not in _GUIDES:
        _GUIDES[key] = bridge.load_guide(path)
    return _GUIDES[key]


class Duplicate(Exception):
    def __init__(self, existing_id):
        self.existing_id = existing_id


def row_for(guide: bridge.ProgrammeGuide, person: str, unit: Unit, values: dict) -> dict:
    """A row as the guide's checker reads it: the pseudonym in the person column, the unit's name, the cells."""
    return {guide.person_column: person, guide.unit_column: unit.name,
            **{f.name: (values.get(f.name) or "") for f in guide.fields}}


def cells(guide: bridge.ProgrammeGuide, clean: dict) -> dict:
    """The stored cells of a checked row (person and unit are kept in their own fields)."""
    return {f.name: clean.get(f.name, "") for f in guide.fields}


def save(scope: Scope, request, unit: Unit, data: dict, source: str, *, cpr: str | None = None,
         existing: Registration | None = None) -> tuple[Registration, bool]:
    """Create (with `cpr`) or update (`existing`) a registration whose row has passed the guide's checks.
    Returns (registration, changed). Raises Duplicate when the citizen is already registered in the unit."""
    user = request.user if request is not None and request.user.is_authenticated else None
    with transaction.atomic():
        if existing is None:
            assert cpr is not None  # a new registration comes with its CPR number (callers pass it then)
            reg = Registration(programme_id=unit.programme_id, unit=unit, cpr_hash=keyed_hash(cpr),
                               cpr_encrypted=encrypt(cpr), cpr_masked=mask(cpr), data=data, version=1,
                               created_by=user, updated_by=user)
            try:
                with transaction.atomic():
                    reg.save(scope=scope, force_insert=True)
            except IntegrityError:
                other = Registration.objects.scoped(scope).filter(unit=unit, cpr_hash=reg.cpr_hash).first()
                raise Duplicate(other.pk if other else None) from None
            action = "oprettet"
        else:
            if existing.data == data:
                return existing, False
            reg = existing
            reg.data, reg.version, reg.updated_by = data, reg.version + 1, user
            reg.save(scope=scope)
            action = "ændret"
        RegistrationVersion(registration=reg, programme_id=reg.programme_id, unit_id=reg.unit_id, version=reg.version,
                            data=data, action=action, source=source[:300], changed_by=user).save(scope=scope)
        audit.record(request, audit.CREATE if action == "oprettet" else audit.UPDATE, obj=reg, unit=unit,
                     version=reg.version, source=source[:100])
    return reg, True


# ---- upload --------------------------------------------------------------------------------------------------------

@dataclass
class UploadResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)  # row, column, value (masked for CPR), message
    imported: bool = False
    upload: Upload | None = None


def _error(row, column, value, message) -> dict:
    # a CPR number typed into the wrong column must not travel on in an error message
    return {"row": int(row), "column": column, "value": redact(str(value or "")), "message": message}


def import_sheet(scope: Scope, request, programme: Programme, uploaded, import_valid: bool) -> UploadResult:
    """Check an uploaded .xlsx/.csv against the guide and import its rows: all of them when every row is valid,
    only the valid ones when `import_valid`, none otherwise. Errors name the spreadsheet row and column."""
    guide = guide_for(programme)
    name = Path(getattr(uploaded, "name", "ark.xlsx")).name
    suffix = Path(name).suffix.lower()
    result = UploadResult()
    if suffix not in (".xlsx", ".xlsm", ".csv"):
        result.errors.append(_error(1, "", "", "Filen skal være et Excel-ark (.xlsx) eller en CSV-fil (.csv)."))
        return result
    fd, tmp = tempfile.mkstemp(suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in uploaded.chunks():
                f.write(chunk)
        try:
            raw, sheet = bridge.read_sheet(tmp, guide)
        except VirkningError as exc:
            msg = str(exc).replace(tmp, name)
            if "no sheet" in msg:
                msg = f"Arket »{guide.sheet}« findes ikke i filen."
            result.errors.append(_error(1, "", "", f"Filen kunne ikke læses: {msg}"))
            return result
    finally:
        os.unlink(tmp)
    return import_frame(scope, request, programme, raw, sheet, name, import_valid)


def import_frame(scope: Scope, request, programme: Programme, raw, sheet: str, name: str,
                 import_valid: bool) -> UploadResult:
    """Check and import a raw sheet (cells as read; CPR numbers in the person column); see import_sheet."""
    guide = guide_for(programme)
    result = UploadResult()
    result.rows = int(len(raw))
    units = {u.name: u for u in Unit.objects.filter(programme=programme) if scope.may_write(u.id)}
    person, unit_col = guide.person_column, guide.unit_column
    own: dict[int, list[dict]] = {}
    cprs: dict[int, str] = {}
    if person in raw.columns:
        raw = raw.copy()
        for pos, value in enumerate(raw[person].tolist()):
            row = pos + 2
            text = "" if value is None else str(value).strip()
            if text.endswith(".0"):  # a CPR number typed into a number cell
                text = text[:-2]
            if len(text) == 9 and text.isdigit():  # ... which lost its leading zero
                text = "0" + text
            if not text:
                continue  # the guide's checker reports the empty cell
            try:
                cprs[row] = normalise(text)
                raw.iat[pos, raw.columns.get_loc(person)] = keyed_hash(cprs[row])
            except InvalidCpr as exc:
                own.setdefault(row, []).append(_error(row, person, "", str(exc)))
                raw.iat[pos, raw.columns.get_loc(person)] = f"ugyldig-{row}"
    if unit_col in raw.columns:
        for pos, value in enumerate(raw[unit_col].tolist()):
            text = "" if value is None else str(value).strip()
            if text and text not in units:
                own.setdefault(pos + 2, []).append(_error(
                    pos + 2, unit_col, text, f"Enheden »{text}« findes ikke i {programme.name}, eller du må ikke "
                                             "registrere for den."))
    checked = bridge.check_rows(guide, raw, sheet)
    errors = [e for es in own.values() for e in es]
    for e in checked.errors:
        value = "" if e["column"] == person else e["value"]  # the person column holds pseudonyms now
        errors.append(_error(e["row"], e["column"], value, bridge.danish(e["rule"], guide)))
    errors.sort(key=lambda e: (e["row"], e["column"]))
    bad = {e["row"] for e in errors}
    result.errors = errors
    valid = {row: clean for row, clean in checked.clean.items() if row not in bad}
    if errors and not import_valid:
        _log_upload(result, request, programme, name, scope)
        return result
    with transaction.atomic():
        hashes = {clean[person] for clean in valid.values()}
        existing = {(r.unit_id, r.cpr_hash): r for r in
                    Registration.objects.scoped(scope).filter(programme=programme, cpr_hash__in=hashes)}
        for row, clean in sorted(valid.items()):
            unit = units[clean[unit_col]]
            data = cells(guide, clean)
            old = existing.get((unit.id, clean[person]))
            reg, changed = save(scope, request, unit, data, f"upload: {name}",
                                cpr=None if old else cprs[row], existing=old)
            existing[(unit.id, reg.cpr_hash)] = reg
            if old is None:
                result.created += 1
            elif changed:
                result.updated += 1
            else:
                result.unchanged += 1
        result.imported = True
        _log_upload(result, request, programme, name, scope)
    return result


def _log_upload(result: UploadResult, request, programme: Programme, name: str, scope: Scope) -> None:
    if request is None:  # seeding: the versions and audit events name the source
        return
    result.upload = Upload.objects.create(user=request.user, programme=programme, filename=name[:300],
                                          rows=result.rows, created=result.created, updated=result.updated,
                                          errors=result.errors[:1000], imported=result.imported)
    audit.record(request, audit.UPLOAD, obj=result.upload, file=name[:100], rows=result.rows,
                 created=result.created, updated=result.updated, errors=len(result.errors),
                 imported=result.imported)


# ---- aggregate reads ----------------------------------------------------------------------------------------------

def programme_rows(programme: Programme, guide: bridge.ProgrammeGuide) -> list[dict]:
    """Every registration of the programme as checker rows (pseudonym, unit name, cells), for aggregate status
    only: the caller passes them through the disclosure rules before anyone sees a number."""
    with aggregation(programme.pk):
        recs = list(Registration.objects.for_aggregation(programme.pk)
                    .values_list("cpr_hash", "unit__name", "data"))
    return [{guide.person_column: h, guide.unit_column: u, **d} for h, u, d in recs]
