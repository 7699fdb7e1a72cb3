"""Programmes, units, roles, registrations with their history, uploads, the audit log and login security.

Person data (registrations and their versions) sits behind `ScopedManager`: see `virkning.portal.scoping`.
A registration's cells are kept as the texts a registration sheet would hold (dates ISO, yes/no as ja/nej), keyed
by the guide's column names, so the guide's own checker reads them back unchanged.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from virkning.portal.scoping import ScopedManager, check_write


class Role(models.TextChoices):
    STAFF = "jobcenter", "Jobcentermedarbejder"
    LEAD = "projektleder", "Projektleder"
    EVALUATOR = "evaluator", "Evaluator"
    STAR = "star", "STAR"
    ADMIN = "admin", "Administrator"


class Programme(models.Model):
    name = models.CharField("navn", max_length=200, unique=True)
    design_path = models.CharField("designfil", max_length=1000,
                                   help_text="Sti til designfilen med registreringsvejledningen (monitoring:).")
    units_see_ranking = models.BooleanField("enheder ser hele rangeringen", default=False)
    export_events = models.JSONField("hændelser i eksporten", default=dict, blank=True,
                                     help_text="Tragttrin -> hændelsesnavn i events-tabellen, "
                                               "fx {\"deltaget\": \"informationsmøde\"}.")

    class Meta:
        verbose_name = "program"
        verbose_name_plural = "programmer"

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A job centre's project; `name` is the value of the guide's unit column (e.g. 'Seniorvikar Kolding')."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="units")
    name = models.CharField("navn", max_length=200)

    class Meta:
        verbose_name = "enhed"
        verbose_name_plural = "enheder"
        ordering = ["programme", "name"]
        constraints = [models.UniqueConstraint(fields=["programme", "name"], name="portal_unit_unique_name")]

    def __str__(self) -> str:
        return self.name


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_profile")
    role = models.CharField("rolle", max_length=20, choices=Role.choices)
    units = models.ManyToManyField(Unit, blank=True, verbose_name="enheder",
                                   help_text="Jobcentermedarbejdere: de enheder, de registrerer for.")
    programmes = models.ManyToManyField(Programme, blank=True, verbose_name="programmer",
                                        help_text="Projektledere: programmerne, hvis enheder de følger.")

    class Meta:
        verbose_name = "portalprofil"
        verbose_name_plural = "portalprofiler"

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class Registration(models.Model):
    """One citizen in one unit. The CPR number is kept as a keyed hash, an encrypted value and its masked form."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="registrations")
    cpr_hash = models.CharField(max_length=64)
    cpr_encrypted = models.TextField()
    cpr_masked = models.CharField(max_length=11)
    data = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    objects = ScopedManager()

    class Meta:
        verbose_name = "registrering"
        verbose_name_plural = "registreringer"
        constraints = [models.UniqueConstraint(fields=["unit", "cpr_hash"], name="portal_registration_once_per_unit")]
        indexes = [models.Index(fields=["programme", "unit"]), models.Index(fields=["cpr_hash"])]

    def save(self, *args, scope=None, **kwargs):
        check_write(scope, self.unit_id)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("registrations are not deleted; their history is kept")


class RegistrationVersion(models.Model):
    """The history: every state a registration has had, who made it, when and how (form, upload, demo)."""

    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="versions")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    data = models.JSONField(default=dict)
    action = models.CharField(max_length=20)  # oprettet | ændret
    source = models.CharField(max_length=300)  # formular | upload: <file> | demo
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    objects = ScopedManager()

    class Meta:
        ordering = ["registration", "version"]
        constraints = [models.UniqueConstraint(fields=["registration", "version"], name="portal_version_unique")]

    def save(self, *args, scope=None, **kwargs):
        check_write(scope, self.unit_id)
        if self.pk is not None:
            raise PermissionError("history is append-only")
        super().save(*args, **kwargs)


class Upload(models.Model):
    """A registration sheet someone uploaded: counts and the rule violations (never a CPR number)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=300)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)
    imported = models.BooleanField(default=False)


class AuditEvent(models.Model):
    """Who did what when: every change, every read of person data, every login. Append-only."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=30, db_index=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "logpost"
        verbose_name_plural = "auditlog"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the audit log is append-only")


class LoginAttempt(models.Model):
    username = models.CharField(max_length=150, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    success = models.BooleanField(default=False)


class TotpDevice(models.Model):
    """A user's TOTP secret (encrypted like CPR numbers); `last_counter` refuses a code used twice."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device")
    secret_encrypted = models.TextField()
    confirmed = models.BooleanField(default=False)
    last_counter = models.BigIntegerField(default=-1)
