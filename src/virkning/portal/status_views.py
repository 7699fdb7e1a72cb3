"""Status pages (a unit's month; the evaluator's and STAR's view of all units), the events export and the JSON API.

A status is computed from all registrations of the programme (the total and the ranking need them) and passes the
monitoring disclosure rules before anything is shown; a unit's page then keeps its own rows and the total
(`bridge.restrict`). The export writes the data contract's events table (person_id, date, event, unit) for
`virkning evaluate`: evaluators only, and every export is in the audit log.
"""

from __future__ import annotations

import csv
import io
import json
from collections import OrderedDict

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from virkning.errors import VirkningError
from virkning.portal import audit, bridge
from virkning.portal.cpr import InvalidCpr, decrypt, keyed_hash, normalise
from virkning.portal.forms import ExportForm
from virkning.portal.models import Programme, Registration, Unit
from virkning.portal.registrations import Duplicate, cells, guide_for, programme_rows, row_for, save
from virkning.portal.scoping import aggregation
from virkning.portal.views import get_registration, person_data_required

_CACHE: "OrderedDict[tuple, tuple]" = OrderedDict()


def _stamp(programme: Programme) -> tuple:
    with aggregation(programme.pk):
        agg = Registration.objects.for_aggregation(programme.pk).aggregate(n=Count("pk"), last=Max("updated_at"),
                                                                           v=Max("version"))
    return agg["n"], str(agg["last"]), agg["v"]


def programme_status(programme: Programme, month: str | None):
    """(report for `month` or the last month, the programme's months), cached until a registration changes."""
    key = (programme.pk, programme.design_path, month, _stamp(programme))
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    guide = guide_for(programme)
    rows = programme_rows(programme, guide)
    if not rows:
        return None, []
    months = bridge.months(guide, rows)
    if month not in months:
        month = months[-1]
    result = (bridge.status(guide, rows, month), months)
    _CACHE[key] = result
    while len(_CACHE) > 64:
        _CACHE.popitem(last=False)
    return result


def _unit_or_404(request, unit_id) -> Unit:
    unit = Unit.objects.select_related("programme").filter(pk=unit_id).first()
    if unit is None or not request.scope.may_see_status(unit.pk):
        raise Http404("Enheden findes ikke.")
    return unit


@login_required
def status_index(request):
    units = [u for u in Unit.objects.select_related("programme") if request.scope.may_see_status(u.pk)]
    if len(units) == 1:
        return status_unit(request, units[0].pk)
    return render(request, "portal/status_index.html", {"units": units})


@login_required
def status_unit(request, unit_id):
    unit = _unit_or_404(request, unit_id)
    report, months = programme_status(unit.programme, request.GET.get("maaned"))
    audit.record(request, audit.STATUS, unit=unit, month=report.month if report else "")
    if report is None:
        return render(request, "portal/status.html", {"unit": unit, "empty": True})
    view = bridge.restrict(report, unit.name, unit.programme.units_see_ranking)
    css, body = bridge.render(view)
    return render(request, "portal/status.html", {"unit": unit, "months": months, "month": report.month,
                                                  "report_css": css, "report_body": body})


@login_required
def overview(request):
    """All units of a programme: the full status report and registrations per unit."""
    if request.scope.status_units is not None:
        raise PermissionDenied("evaluators and STAR only")
    programmes = list(Programme.objects.all())
    if not programmes:
        return render(request, "portal/overview.html", {"empty": True})
    pid = request.GET.get("program", "")
    programme = next((p for p in programmes if str(p.pk) == pid), programmes[0])
    report, months = programme_status(programme, request.GET.get("maaned"))
    audit.record(request, audit.STATUS, scope="all units", programme=programme.name,
                 month=report.month if report else "")
    ctx = {"programmes": programmes, "programme": programme, "empty": report is None}
    if report is not None:
        css, body = bridge.render(report)
        with aggregation(programme.pk):
            counts = dict(Registration.objects.for_aggregation(programme.pk).values_list("unit__name")
                          .annotate(n=Count("pk")).values_list("unit__name", "n"))
        ctx.update(months=months, month=report.month, report_css=css, report_body=body,
                   units=[(u, counts.get(u.name, 0)) for u in programme.units.all()])
    return render(request, "portal/overview.html", ctx)


@login_required
def export_events(request):
    """The data contract's events table for `virkning evaluate` (docs/data-contract.md)."""
    if not request.scope.export:
        raise PermissionDenied("evaluators only")
    programmes = list(Programme.objects.all())
    pid = request.POST.get("program") or request.GET.get("program", "")
    programme = next((p for p in programmes if str(p.pk) == pid), programmes[0] if programmes else None)
    if programme is None:
        raise Http404("Ingen programmer.")
    guide = guide_for(programme)
    form = ExportForm(bridge.funnel_steps(guide), programme.export_events or {},
                      request.POST if request.method == "POST" else None)
    if request.method != "POST" or not form.is_valid():
        return render(request, "portal/export.html", {"form": form, "programmes": programmes,
                                                      "programme": programme})
    events = form.events()
    regs = list(Registration.objects.scoped(request.scope).filter(programme=programme).select_related("unit"))
    rows = [row_for(guide, r.cpr_hash, r.unit, r.data) for r in regs]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["person_id", "date", "event", "unit"])
    by_id = form.cleaned_data["person_id"]
    n = 0
    for e in bridge.step_events(guide, rows):
        if e["step"] not in events:
            continue
        r = regs[e["position"]]
        w.writerow([decrypt(r.cpr_encrypted) if by_id == "cpr" else r.cpr_hash, e["date"], events[e["step"]],
                    r.unit.name])
        n += 1
    audit.record(request, audit.EXPORT, programme=programme.name, rows=n, registrations=len(regs),
                 person_id=by_id, events=events)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    resp = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="events-{programme.pk}-{stamp}.csv"'
    return resp


# ---- JSON API (session authentication, CSRF as for forms) ---------------------------------------------------------

def _api_login(view):
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"error": "login required"}, status=401)
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied:
            return JsonResponse({"error": "forbidden"}, status=403)
        except Http404:
            return JsonResponse({"error": "not found"}, status=404)
    wrapper.__name__ = view.__name__
    return wrapper


def _as_json(reg: Registration) -> dict:
    return {"id": str(reg.pk), "unit": reg.unit.name, "cpr": reg.cpr_masked, "version": reg.version,
            "data": reg.data, "updated_at": reg.updated_at.isoformat()}


@_api_login
@require_http_methods(["GET"])
def api_registration(request, pk):
    if not request.scope.person_data:
        raise PermissionDenied
    reg = get_registration(request, pk)
    audit.record(request, audit.READ, obj=reg, version=reg.version, api=True)
    return JsonResponse(_as_json(reg))


@_api_login
@require_http_methods(["POST"])
def api_register(request):
    """POST {"unit": id, "cpr": "...", "data": {column: text}} -> 201 with the registration, or 400 with errors."""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"error": "body is not JSON"}, status=400)
    unit = Unit.objects.select_related("programme").filter(pk=body.get("unit")).first()
    if unit is None or not request.scope.may_write(unit.pk):
        raise Http404
    guide = guide_for(unit.programme)
    try:
        cpr = normalise(body.get("cpr", ""))
    except InvalidCpr as exc:
        return JsonResponse({"errors": [{"column": "cpr", "message": str(exc)}]}, status=400)
    checked = bridge.check_rows(guide, [row_for(guide, keyed_hash(cpr), unit, body.get("data") or {})])
    if checked.errors:
        return JsonResponse({"errors": [{"column": e["column"], "message": bridge.danish(e["rule"], guide)}
                                        for e in checked.errors]}, status=400)
    try:
        reg, _ = save(request.scope, request, unit, cells(guide, checked.clean[2]), "api", cpr=cpr)
    except Duplicate:
        return JsonResponse({"errors": [{"column": "cpr", "message": "Borgeren er allerede registreret i "
                                                                     "denne enhed."}]}, status=409)
    return JsonResponse(_as_json(reg), status=201)


@_api_login
@require_http_methods(["GET"])
def api_status(request, unit_id):
    unit = _unit_or_404(request, unit_id)
    try:
        report, months = programme_status(unit.programme, request.GET.get("maaned"))
    except VirkningError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    audit.record(request, audit.STATUS, unit=unit, api=True)
    if report is None:
        return JsonResponse({"unit": unit.name, "months": [], "tables": {}})
    view = bridge.restrict(report, unit.name, unit.programme.units_see_ranking)
    return JsonResponse({"unit": unit.name, "month": report.month, "months": months,
                         "tables": bridge.status_tables(view)}, json_dumps_params={"default": str})
