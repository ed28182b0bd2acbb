from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    """Map settings every page's JS reads from data- attributes (no inline script)."""
    return {"MAP_TILES_URL": settings.MAP_TILES_URL, "MAP_TILES_CRS": settings.MAP_TILES_CRS}
