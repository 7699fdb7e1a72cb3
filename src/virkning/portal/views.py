"""Registration pages: the unit's list, find a citizen, register, edit, history, upload; and the audit log.

Every query on person data goes through `Model.objects.scoped(request.scope)`; an id outside the scope is a 404,
whatever unit it belongs to, so the answer tells nothing about other units. Every page that shows person data
writes an audit event.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters

from virkning.portal import audit
from virkning.portal.cpr import keyed_hash
from virkning.portal.forms import FindForm, RegistrationForm, UploadForm
from virkning.portal.models import AuditEvent, Programme, Registration, RegistrationVersion, Role, Unit
from virkning.portal.registrations import Duplicate, cells, guide_for, import_sheet, save


def person_data_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.scope.person_data:
            raise PermissionDenied("no access to person data")
        return view(request, *args, **kwargs)
    return wrapper


def writable_units(scope):
    ids = [u.id for u in Unit.objects.select_related("programme") if scope.may_write(u.id)]
    return Unit.objects.filter(id__in=ids).select_related("programme")


def get_registration(request, pk) -> Registration:
    try:
        return Registration.objects.scoped(request.scope).select_related("unit", "programme").get(pk=pk)
    except (Registration.DoesNotExist, ValueError):
        raise Http404("Registreringen findes ikke.") from None


@login_required
def home(request):
    role = getattr(getattr(request.user, "portal_profile", None), "role", "")
    if role in (Role.STAFF, Role.LEAD):
        return redirect("portal:registrations")
    if role in (Role.EVALUATOR, Role.STAR):
        return redirect("portal:overview")
    if role == Role.ADMIN:
        return redirect("portal:audit")
    return render(request, "portal/no_role.html")


@sensitive_post_parameters("cpr")
@person_data_required
def registration_list(request):
    scope = request.scope
    qs = Registration.objects.scoped(scope).select_related("unit").order_by("unit__name", "-updated_at")
    find = FindForm(request.POST if request.method == "POST" else None)
    searched = False
    if request.method == "POST" and find.is_valid():  # POST: a CPR number never appears in a URL or access log
        qs = qs.filter(cpr_hash=keyed_hash(find.cleaned_data["cpr"]))
        searched = True
    unit = request.GET.get("enhed")
    if unit and unit.isdigit():
        qs = qs.filter(unit_id=int(unit))
    page = Paginator(qs, 50).get_page(request.GET.get("side"))
    audit.record(request, audit.SEARCH if searched else audit.LIST,
                 ids=[str(r.pk) for r in page.object_list][:50], found=len(page.object_list))
    units = [u for u in Unit.objects.select_related("programme") if scope.may_read(u.id)]
    return render(request, "portal/registration_list.html", {
        "page": page, "find": find, "searched": searched, "units": units, "unit": unit,
        "can_write": scope.writes})


@sensitive_post_parameters("cpr")
@person_data_required
def registration_new(request):
    units = writable_units(request.scope)
    if not units.exists():
        raise PermissionDenied("no unit to register for")
    programme = units.first().programme
    if request.GET.get("program", "").isdigit():
        programme = Programme.objects.filter(pk=int(request.GET["program"]), units__in=units).first() or programme
    units = units.filter(programme=programme)
    guide = guide_for(programme)
    form = RegistrationForm(guide, units, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and form.clean_row is not None:
        unit = form.cleaned_data["unit"]
        try:
            reg, _ = save(request.scope, request, unit, cells(guide, form.clean_row), "formular", cpr=form.cpr)
        except Duplicate as dup:
            form.add_error("cpr", "Borgeren er allerede registreret i denne enhed. Ret den eksisterende "
                                  "registrering i stedet.")
            return render(request, "portal/registration_form.html",
                          {"form": form, "guide": guide, "programme": programme, "duplicate": dup.existing_id})
        return redirect("portal:registration", pk=reg.pk)
    return render(request, "portal/registration_form.html", {"form": form, "guide": guide, "programme": programme})


@person_data_required
def registration_detail(request, pk):
    reg = get_registration(request, pk)
    guide = guide_for(reg.programme)
    versions = list(RegistrationVersion.objects.scoped(request.scope).filter(registration=reg)
                    .select_related("changed_by").order_by("-version"))
    audit.record(request, audit.READ, obj=reg, version=reg.version)
    rows = [(f.label, reg.data.get(f.name, "")) for f in guide.fields]
    history = []
    for i, v in enumerate(versions):
        before = versions[i + 1].data if i + 1 < len(versions) else {}
        changes = [(guide.label(k), before.get(k, ""), v.data.get(k, "")) for k in v.data
                   if v.data.get(k, "") != before.get(k, "")]
        history.append((v, changes))
    return render(request, "portal/registration_detail.html", {
        "reg": reg, "rows": rows, "history": history, "can_write": request.scope.may_write(reg.unit_id)})


@person_data_required
def registration_edit(request, pk):
    reg = get_registration(request, pk)
    if not request.scope.may_write(reg.unit_id):
        raise PermissionDenied("read-only access")
    guide = guide_for(reg.programme)
    initial = {"c_" + k: v for k, v in reg.data.items()}
    form = RegistrationForm(guide, None, request.POST if request.method == "POST" else None, initial=initial,
                            with_cpr=False, unit=reg.unit)
    if request.method == "POST" and form.is_valid() and form.clean_row is not None:
        save(request.scope, request, reg.unit, cells(guide, form.clean_row), "formular", existing=reg)
        return redirect("portal:registration", pk=reg.pk)
    audit.record(request, audit.READ, obj=reg, version=reg.version, form="edit")
    return render(request, "portal/registration_form.html",
                  {"form": form, "guide": guide, "programme": reg.programme, "reg": reg})


@person_data_required
def upload(request):
    units = writable_units(request.scope)
    if not units.exists():
        raise PermissionDenied("no unit to register for")
    programmes = Programme.objects.filter(units__in=units).distinct()
    form = UploadForm(programmes, request.POST if request.method == "POST" else None,
                      request.FILES if request.method == "POST" else None)
    result = None
    guide = guide_for(programmes.first())
    if request.method == "POST" and form.is_valid():
        programme = form.cleaned_data["programme"]
        guide = guide_for(programme)
        result = import_sheet(request.scope, request, programme, form.cleaned_data["file"],
                              form.cleaned_data["import_valid"])
    columns = [guide.person_column, guide.unit_column, *[f.name for f in guide.fields]]
    return render(request, "portal/upload.html", {"form": form, "result": result, "guide": guide,
                                                  "columns": columns})


@login_required
def audit_log(request):
    if not request.scope.manage:
        raise PermissionDenied("administrators only")
    qs = AuditEvent.objects.select_related("unit")
    action = request.GET.get("handling", "")
    if action:
        qs = qs.filter(action=action)
    who = request.GET.get("bruger", "")
    if who:
        qs = qs.filter(username=who)
    page = Paginator(qs, 100).get_page(request.GET.get("side"))
    return render(request, "portal/audit.html", {"page": page, "action": action, "who": who})


def denied(request, exception=None):
    """403 page; the refusal is in the audit log (who tried what)."""
    audit.record(request, audit.DENIED, path=request.path[:200], method=request.method)
    return render(request, "403.html", status=403)
