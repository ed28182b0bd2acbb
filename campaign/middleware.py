"""Chinese first (SPEC §8): the language is the one the user chose (the language cookie set by /i18n/setlang/),
else zh-hans — never guessed from the browser's Accept-Language, so an English-language browser on a government
laptop still sees the Chinese UI until its user asks for English."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
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


def content_security_policy(tiles_url: str, *, extra_style: str = "") -> str:
    """Only our own files run: no inline script or style, no CDN. Map tiles may come from MAP_TILES_URL's host."""
    from urllib.parse import urlsplit

    tiles = urlsplit(tiles_url)
    tile_source = f" {tiles.scheme}://{tiles.netloc}" if tiles.scheme and tiles.netloc else ""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            f"style-src 'self'{extra_style}",
            f"img-src 'self' data: blob:{tile_source}",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class ContentSecurityPolicyMiddleware:
    """A strict CSP on every response (templates carry no inline <script> or style=)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = content_security_policy(settings.MAP_TILES_URL)
        self.docs_policy = content_security_policy(settings.MAP_TILES_URL, extra_style=" " + SWAGGER_UI_STYLE_HASH)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = self.docs_policy if request.path == "/api/docs/" else self.policy
        response.headers.setdefault("Content-Security-Policy", policy)
        return response
