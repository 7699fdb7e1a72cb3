from django.contrib import admin
from django.urls import include, path

from virkning.portal import accounts, status_views, views

portal_patterns = [
    path("", views.home, name="home"),
    path("login/", accounts.login_view, name="login"),
    path("login/kode/", accounts.login_code_view, name="login_code"),
    path("logout/", accounts.logout_view, name="logout"),
    path("konto/2fa/", accounts.totp_setup_view, name="totp_setup"),
    path("registreringer/", views.registration_list, name="registrations"),
    path("registreringer/ny/", views.registration_new, name="registration_new"),
    path("registreringer/<uuid:pk>/", views.registration_detail, name="registration"),
    path("registreringer/<uuid:pk>/ret/", views.registration_edit, name="registration_edit"),
    path("upload/", views.upload, name="upload"),
    path("status/", status_views.status_index, name="status_index"),
    path("status/<int:unit_id>/", status_views.status_unit, name="status"),
    path("oversigt/", status_views.overview, name="overview"),
    path("eksport/", status_views.export_events, name="export"),
    path("auditlog/", views.audit_log, name="audit"),
    path("api/registreringer/", status_views.api_register, name="api_register"),
    path("api/registreringer/<uuid:pk>/", status_views.api_registration, name="api_registration"),
    path("api/status/<int:unit_id>/", status_views.api_status, name="api_status"),
]

admin.site.site_header = "virkning – administration"
admin.site.login = accounts.login_view  # one login page, with lockout and TOTP, for the admin too
urlpatterns = [path("admin/", admin.site.urls), path("", include((portal_patterns, "portal")))]

handler403 = "virkning.portal.views.denied"
