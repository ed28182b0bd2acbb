"""Our middleware: the Content-Security-Policy (django-csp, below) and the language.

Chinese first (SPEC §8): the language is the one the user chose (the language cookie set by /i18n/setlang/),
else zh-hans — never guessed from the browser's Accept-Language, so an English-language browser on a government
laptop still sees the Chinese UI until its user asks for English."""

from collections.abc import Callable

from csp.constants import HEADER
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import translation


class ChineseFirstLocaleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


# Swagger UI (drf-spectacular-sidecar) injects one fixed <style> element; allowed by its hash on /api/docs/ only.
SWAGGER_UI_STYLE_HASH = "'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware (the policy is CONTENT_SECURITY_POLICY in config/settings.py), plus two things it lacks:
    Swagger UI's style hash on /api/docs/ only, and the directives in the order the settings declare them (django-csp
    4.0 joins them in set order, which changes from one process to the next)."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if request.path == "/api/docs/" and parts.update is None:
            parts.update = {"style-src": [SWAGGER_UI_STYLE_HASH]}
        return parts

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        response = super().process_response(request, response)
        if HEADER in response:
            response[HEADER] = in_declared_order(response[HEADER])
        return response


def in_declared_order(policy: str) -> str:
    declared = list(settings.CONTENT_SECURITY_POLICY["DIRECTIVES"])
    rank = {name: position for position, name in enumerate(declared)}
    directives = policy.split("; ")
    return "; ".join(sorted(directives, key=lambda directive: rank.get(directive.split(" ")[0], len(declared))))
