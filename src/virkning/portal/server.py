"""`virkning portal`: configure Django from the command's options, migrate, seed the demo and serve.

The server is Django's threaded development server with the static files handler: fine on a laptop and for the
demo. In production run `virkning.portal.wsgi:application` under gunicorn or uWSGI behind a TLS proxy
(docs/portal.md); migrations and the demo seeding are the same functions.
"""

from __future__ import annotations

import os
from pathlib import Path


def configure(home: str | Path, database: str | None = None, demo: bool = False, host: str | None = None) -> None:
    """Set the environment the settings module reads, then set Django up (once per process)."""
    os.environ["VIRKNING_PORTAL_HOME"] = str(Path(home).resolve())
    if database:
        os.environ["VIRKNING_PORTAL_DATABASE"] = database
    if demo:
        os.environ.setdefault("VIRKNING_PORTAL_REQUIRE_2FA", "0")  # demo users log in with a password alone
    if host and host not in ("0.0.0.0", "::", "localhost", "127.0.0.1"):
        hosts = os.environ.get("VIRKNING_PORTAL_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
        os.environ["VIRKNING_PORTAL_ALLOWED_HOSTS"] = f"{hosts},{host}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "virkning.portal.settings")
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def run(home: str | Path, database: str | None, demo: bool, host: str, port: int, echo=print,
        persons: int = 100_000) -> None:
    configure(home, database, demo, host)
    migrate()
    from django.conf import settings

    if demo:
        from virkning.portal.demo import DEMO_PASSWORD, USERS, seed_demo

        seed_demo(Path(home), persons=persons, progress=echo)
        echo("Demo users (password '" + DEMO_PASSWORD + "'): " + ", ".join(f"{u} ({r})" for u, r, _ in USERS))
    db = settings.DATABASES["default"]
    echo(f"Database: {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}")
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import run as serve
    from django.core.wsgi import get_wsgi_application

    shown = f"[{host}]" if ":" in host else host
    echo(f"Portal on http://{shown}:{port}/  (Ctrl+C stops it)")
    serve(host, port, StaticFilesHandler(get_wsgi_application()), ipv6=":" in host, threading=True)
