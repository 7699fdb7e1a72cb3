"""Administration: users and their roles and units, programmes, units, login attempts (unlock) and the audit log
(read only). Registrations are not in the admin: administrators manage accounts, not person data."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from virkning.portal.models import AuditEvent, LoginAttempt, Profile, Programme, TotpDevice, Unit


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    filter_horizontal = ("units", "programmes")


class PortalUserAdmin(UserAdmin):
    inlines = [ProfileInline]
    list_display = ("username", "first_name", "last_name", "email", "role", "is_active")

    @admin.display(description="rolle")
    def role(self, user):
        p = getattr(user, "portal_profile", None)
        return p.get_role_display() if p else "–"


User = get_user_model()
admin.site.unregister(User)
admin.site.register(User, PortalUserAdmin)


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ("name", "design_path", "units_see_ranking")


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "programme")
    list_filter = ("programme",)


@admin.register(LoginAttempt)
class LoginAttemptAdmin(admin.ModelAdmin):
    list_display = ("at", "username", "ip", "success")
    list_filter = ("success",)
    search_fields = ("username",)
    actions = ["unlock"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Lås op: slet de valgte mislykkede forsøg")
    def unlock(self, request, queryset):
        queryset.filter(success=False).delete()


@admin.register(TotpDevice)
class TotpDeviceAdmin(admin.ModelAdmin):
    """Deleting a device makes its user set up a new one at the next login."""

    list_display = ("user", "confirmed")
    fields = ("user", "confirmed")
    readonly_fields = ("user", "confirmed")

    def has_add_permission(self, request):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "username", "action", "object_type", "object_id", "unit", "ip")
    list_filter = ("action",)
    search_fields = ("username", "object_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
