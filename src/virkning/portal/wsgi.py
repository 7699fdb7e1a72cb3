"""WSGI entry point for a production server, e.g. `gunicorn virkning.portal.wsgi:application` (docs/portal.md)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "virkning.portal.settings")
application = get_wsgi_application()
