"""Response headers and log hygiene: a content security policy with a per-response nonce, and a logging filter
that masks anything shaped like a CPR number.

The policy is written here because Django 5.2 has none built in (6.0 adds one) and it is a few lines: no script
runs except the portal's own files, styles only from the portal or a `<style>` carrying this response's nonce
(the status report is rendered with its CSS inline), no frames, forms only to the portal.
"""

from __future__ import annotations

import logging
import secrets

from virkning.portal.cpr import redact


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        response.setdefault(
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; "
            f"style-src 'self' 'nonce-{request.csp_nonce}'; img-src 'self' data:; font-src 'self'; "
            "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            response.setdefault("Cache-Control", "no-store")  # person data is never left in a browser cache
        return response


def csp_nonce(request) -> dict:
    return {"csp_nonce": getattr(request, "csp_nonce", "")}


class RedactCprFilter(logging.Filter):
    """Masks CPR-shaped numbers in a record's message and arguments before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave the record to the handler's own error path
            return True
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        return True
