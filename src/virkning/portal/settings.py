"""Django settings of the portal, read from environment variables so a deployment needs no code (docs/portal.md).

| variable | meaning | default |
| --- | --- | --- |
| VIRKNING_PORTAL_HOME | folder for the SQLite file, the key file and the demo data | ./virkning-portal |
| VIRKNING_PORTAL_DATABASE | `sqlite:///path` or `postgresql://user:password@host:port/name` | SQLite in HOME |
| VIRKNING_PORTAL_SECRET_KEY, VIRKNING_PORTAL_CPR_HASH_KEY, VIRKNING_PORTAL_CPR_KEYS | keys (CPR_KEYS: Fernet keys, comma separated, newest first) | generated once into HOME/keys.json |
| VIRKNING_PORTAL_ALLOWED_HOSTS | host names, comma separated | localhost, 127.0.0.1, ::1 |
| VIRKNING_PORTAL_REQUIRE_2FA | 1: local accounts must use TOTP | 1 (the demo sets 0) |
| VIRKNING_PORTAL_REMOTE_USER_HEADER | header set by an OIDC/SAML broker in front (e.g. HTTP_X_REMOTE_USER) | off |
| VIRKNING_PORTAL_AUTH_BACKENDS | extra authentication backends (dotted paths, comma separated) | none |
| VIRKNING_PORTAL_SETTINGS_FILE | a Python file whose UPPER_CASE names override these settings | none |
| VIRKNING_PORTAL_HTTPS | 1: behind TLS (HSTS, redirect to https) | 0 |
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlparse

BASE = Path(__file__).resolve().parent
HOME = Path(os.environ.get("VIRKNING_PORTAL_HOME", "virkning-portal")).resolve()


def database_from_url(url: str, home: Path = HOME) -> dict:
    """`sqlite:///relative/or//absolute/path`, `sqlite://:memory:` or `postgresql://user:pw@host:port/name?sslmode=..`
    -> a Django DATABASES entry. Written here because it is a dozen lines and needs no further dependency."""
    # SQLite: WAL lets readers run beside the writer; IMMEDIATE transactions wait for the write lock at BEGIN
    # instead of failing halfway with "database is locked" when many users register at once.
    sqlite_options = {"transaction_mode": "IMMEDIATE", "timeout": 30,
                      "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    if not url:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(home / "portal.sqlite3"),
                "OPTIONS": sqlite_options}
    u = urlparse(url)
    if u.scheme == "sqlite":
        path = unquote(u.path[1:] if u.path.startswith("/") else u.path) or u.netloc
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path if path == ":memory:" else str(Path(path)),
                "OPTIONS": sqlite_options}
    if u.scheme in ("postgres", "postgresql"):
        options = dict(p.split("=", 1) for p in u.query.split("&") if "=" in p)
        return {"ENGINE": "django.db.backends.postgresql", "NAME": unquote(u.path.lstrip("/")),
                "USER": unquote(u.username or ""), "PASSWORD": unquote(u.password or ""),
                "HOST": unquote(u.hostname or ""), "PORT": str(u.port or ""), "OPTIONS": options,
                "CONN_MAX_AGE": 0}
    raise ValueError(f"--database: expected a sqlite:/// or postgresql:// URL; got '{u.scheme}://...'")


def _keys(home: Path) -> dict:
    """Keys from the environment, else from HOME/keys.json (created once, readable by the owner only)."""
    env = {"secret_key": os.environ.get("VIRKNING_PORTAL_SECRET_KEY"),
           "cpr_hash_key": os.environ.get("VIRKNING_PORTAL_CPR_HASH_KEY"),
           "cpr_keys": os.environ.get("VIRKNING_PORTAL_CPR_KEYS")}
    if all(env.values()):
        return env
    path = home / "keys.json"
    if not path.exists():
        from cryptography.fernet import Fernet

        home.mkdir(parents=True, exist_ok=True)
        fresh = {"secret_key": secrets.token_urlsafe(50), "cpr_hash_key": secrets.token_hex(32),
                 "cpr_keys": Fernet.generate_key().decode()}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(fresh, f)
    stored = json.loads(path.read_text())
    return {k: env[k] or stored[k] for k in env}


def _flag(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


KEYS = _keys(HOME)
SECRET_KEY = KEYS["secret_key"]
CPR_HASH_KEY = KEYS["cpr_hash_key"]
CPR_ENCRYPTION_KEYS = [k.strip() for k in KEYS["cpr_keys"].split(",") if k.strip()]
DEBUG = False
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("VIRKNING_PORTAL_ALLOWED_HOSTS",
                                                   "localhost,127.0.0.1,[::1]").split(",") if h.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "virkning.portal.apps.PortalConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "virkning.portal.security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "virkning.portal.accounts.TwoFactorMiddleware",
    "virkning.portal.scoping.ScopeMiddleware",
]

AUTHENTICATION_BACKENDS = ["virkning.portal.accounts.LockoutModelBackend"]
REMOTE_USER_HEADER = os.environ.get("VIRKNING_PORTAL_REMOTE_USER_HEADER", "").strip()
if REMOTE_USER_HEADER:
    # an OIDC/SAML broker (NemLog-in / MitID Erhverv) in front authenticates and passes the user in a header
    MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                      "virkning.portal.accounts.BrokerHeaderMiddleware")
    AUTHENTICATION_BACKENDS.insert(0, "virkning.portal.accounts.BrokerUserBackend")
AUTHENTICATION_BACKENDS += [b.strip() for b in os.environ.get("VIRKNING_PORTAL_AUTH_BACKENDS", "").split(",")
                            if b.strip()]
REQUIRE_2FA = _flag("VIRKNING_PORTAL_REQUIRE_2FA", "1")
LOCKOUT_ATTEMPTS = 5  # failed logins for one user name ...
LOCKOUT_MINUTES = 15  # ... within this many minutes lock it for as long

ROOT_URLCONF = "virkning.portal.urls"
WSGI_APPLICATION = "virkning.portal.wsgi.application"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
        "virkning.portal.security.csp_nonce",
        "virkning.portal.scoping.scope_context",
    ]},
}]

DATABASE_URL = os.environ.get("VIRKNING_PORTAL_DATABASE", "")
DATABASES = {"default": database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # only to read hashes made elsewhere; upgraded at login
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"

HTTPS = _flag("VIRKNING_PORTAL_HTTPS", "0")
# Browsers keep Secure cookies on http://localhost and 127.0.0.1 too, so they are always on.
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_NAME = "__Host-portal-session" if HTTPS else "portal-session"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

LANGUAGE_CODE = "da"
TIME_ZONE = "Europe/Copenhagen"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = str(HOME / "static")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_cpr": {"()": "virkning.portal.security.RedactCprFilter"}},
    "formatters": {"plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["no_cpr"], "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.server": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}

_overlay = os.environ.get("VIRKNING_PORTAL_SETTINGS_FILE")
if _overlay:  # deployment-specific settings (an OIDC client's id and secret, say) without editing the package
    _names: dict = {}
    exec(compile(Path(_overlay).read_text(encoding="utf-8"), _overlay, "exec"), dict(globals()), _names)
    globals().update({k: v for k, v in _names.items() if k.isupper()})
