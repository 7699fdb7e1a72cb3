from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "virkning.portal"
    label = "portal"
    verbose_name = "Registrering og monitorering"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from virkning.portal import accounts  # noqa: F401  (login signal handlers)
