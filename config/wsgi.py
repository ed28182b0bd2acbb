"""The WSGI application (gunicorn, runserver). Loads the URL conf and the router's libraries at start, then freezes
the garbage collector's view of everything loaded so far (docs/decisions.md, "gc.freeze() at start")."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()


def _load_and_freeze() -> None:
    """Import every view now (a worker would on its first request), then move the ~170,000 objects of the loaded
    code into the permanent generation: a full collection no longer walks them (80 ms → 7 ms each, in-process,
    bench/README.md), so a request that happens to trigger one is not 80 ms slower."""
    from django.urls import get_resolver

    from issues.router.loading import warm

    get_resolver().url_patterns  # noqa: B018 (the property imports the views)
    warm()  # jieba's dictionary and scikit-learn, which a worker's first dispatch loaded (1–3 s)
    gc.freeze()


_load_and_freeze()
