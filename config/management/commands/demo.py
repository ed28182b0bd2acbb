"""`make demo`: migrate the embedded SQLite database, seed the demo district once, print the logins, serve.

Later runs skip the seed and start in seconds. Beside the server it starts the periodic jobs' scheduler
(config/scheduler.py) as a child process of its own (`demo --scheduler-only`), which ends with the server.
"""

import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from campaign.models import User


class Command(BaseCommand):
    help = "Migrate, seed the demo district on first run, print the demo logins and serve on 127.0.0.1:8000."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--size", default="district", choices=["small", "district", "city"])
        parser.add_argument("--no-serve", action="store_true", help="prepare only (used by tests)")
        parser.add_argument(
            "--scheduler-only", action="store_true", help="run the periodic jobs only (started by demo)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from campaign.seed import demo_logins_text

        if options["scheduler_only"]:
            from config.scheduler import run_scheduler

            run_scheduler()
            return

        self.stdout.write("==> Migrating the database")
        call_command("migrate", interactive=False, verbosity=0)
        if not User.objects.filter(username="admin").exists():
            self.stdout.write(f"==> First run: building the demo district ({options['size']}); this takes a minute")
            call_command("seed_demo", size=options["size"], stdout=self.stdout)
        else:
            self.stdout.write("==> Demo data already present (delete var/ to rebuild)")
            self.stdout.write(demo_logins_text())
        if options["no_serve"]:
            return
        self.stdout.write(f"==> Serving on http://{options['addr']}/  (Ctrl-C to stop)")
        scheduler = self._start_scheduler()
        try:
            call_command("runserver", options["addr"], use_reloader=False, use_threading=True)
        finally:
            if scheduler is not None:
                scheduler.terminate()
                scheduler.wait(10)

    def _start_scheduler(self) -> subprocess.Popen[bytes] | None:
        """The periodic schedule runs beside the server in the embedded default (SPEC §9): the dirty sweep every few
        seconds, the escalation, the nightly recompute. Its own process, so that the jobs' Python (seconds of it
        for a refresh of the usual periods) never holds the interpreter lock a request is waiting for; SQLite in
        WAL with a busy timeout lets the two processes share the database (config/settings.py)."""
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            return None
        manage = str(settings.BASE_DIR / "manage.py")
        return subprocess.Popen([sys.executable, manage, "demo", "--scheduler-only"])  # noqa: S603 - our own command
