"""The registration form, built from the programme's registration guide, and the upload form.

Fields are plain text inputs (date pickers, yes/no and choice lists for convenience) so that every value reaches
the guide's own checker, which decides; its messages appear in Danish next to the field they concern.
"""

from __future__ import annotations

from django import forms

from virkning.portal import bridge
from virkning.portal.cpr import InvalidCpr, keyed_hash, normalise
from virkning.portal.registrations import row_for

PREFIX = "c_"


class CprInput(forms.TextInput):
    """A CPR field is never filled back into a page: after an error the number is typed again."""

    def format_value(self, value):
        return None


def _widget(f: bridge.Field):
    if f.type == "date":
        return forms.DateInput(attrs={"type": "date"})
    if f.type == "bool":
        return forms.Select(choices=[("", "–"), ("ja", "Ja"), ("nej", "Nej")])
    if f.type == "choice":
        return forms.Select(choices=[("", "–"), *[(v, v) for v in f.choices]])
    if f.type == "int":
        return forms.NumberInput(attrs={"step": 1})
    return forms.TextInput()


class RegistrationForm(forms.Form):
    """`units`: the units the user may register for; `with_cpr`: a new registration (else an edit)."""

    def __init__(self, guide: bridge.ProgrammeGuide, units, *args, with_cpr: bool = True, unit=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.guide = guide
        self.fixed_unit = unit
        if with_cpr:
            self.fields["cpr"] = forms.CharField(
                label="CPR-nummer", max_length=11, required=False,
                widget=CprInput(attrs={"autocomplete": "off", "placeholder": "DDMMÅÅ-LLLL"}))
            self.fields["unit"] = forms.ModelChoiceField(units, label="Enhed", empty_label=None, required=True)
        for f in guide.fields:
            self.fields[PREFIX + f.name] = forms.CharField(
                label=f.label + (" *" if f.required else ""), required=False, widget=_widget(f))
        self.clean_row: dict | None = None

    def field_name(self, column: str) -> str | None:
        if column == self.guide.person_column:
            return "cpr" if "cpr" in self.fields else None
        name = PREFIX + column
        return name if name in self.fields else None

    def values(self) -> dict:
        return {f.name: (self.cleaned_data.get(PREFIX + f.name) or "").strip() for f in self.guide.fields}

    def clean(self):
        data = super().clean()
        unit = data.get("unit") or self.fixed_unit
        person = "eksisterende"
        if "cpr" in self.fields:
            try:
                self.cpr = normalise(data.get("cpr", ""))
                person = keyed_hash(self.cpr)
            except InvalidCpr as exc:
                self.add_error("cpr", str(exc))
        if unit is None:
            return data
        checked = bridge.check_rows(self.guide, [row_for(self.guide, person, unit, self.values())])
        for e in checked.errors:
            self.add_error(self.field_name(e["column"]), bridge.danish(e["rule"], self.guide))
        self.clean_row = checked.clean.get(2)
        return data


class UploadForm(forms.Form):
    file = forms.FileField(label="Registreringsark (.xlsx eller .csv)")
    import_valid = forms.BooleanField(label="Importér de gyldige rækker, selv om andre rækker har fejl",
                                      required=False)

    def __init__(self, programmes, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"] = forms.ModelChoiceField(programmes, label="Program", empty_label=None)


class FindForm(forms.Form):
    cpr = forms.CharField(label="Find borger (CPR-nummer)", max_length=11,
                          widget=CprInput(attrs={"autocomplete": "off", "placeholder": "DDMMÅÅ-LLLL"}))

    def clean_cpr(self):
        try:
            return normalise(self.cleaned_data["cpr"])
        except InvalidCpr as exc:
            raise forms.ValidationError(str(exc)) from None


class ExportForm(forms.Form):
    """Event names for the funnel steps (blank: leave the step out) and how to identify citizens."""

    IDS = [("cpr", "CPR-nummer (til pseudonymisering hos Danmarks Statistik)"),
           ("hash", "Nøglet hash (samme borger, samme værdi; ikke CPR)")]
    person_id = forms.ChoiceField(label="person_id", choices=IDS, initial="cpr", widget=forms.RadioSelect)

    def __init__(self, steps: list[tuple[str, str]], defaults: dict, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.steps = steps
        for name, label in steps:
            self.fields["ev_" + name] = forms.CharField(label=f"{label} ({name})", required=False,
                                                        initial=defaults.get(name, name), max_length=100)

    def events(self) -> dict[str, str]:
        return {name: self.cleaned_data["ev_" + name].strip() for name, _ in self.steps
                if self.cleaned_data.get("ev_" + name, "").strip()}
