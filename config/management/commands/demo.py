"""`make demo`: migrate the embedded SQLite database, seed the demo district once, print the logins, serve.

Later runs skip the seed and start in seconds.
"""

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

    def handle(self, *args: Any, **options: Any) -> None:
        from campaign.seed import demo_logins_text

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
        self._start_scheduler()
        call_command("runserver", options["addr"], use_reloader=False, use_threading=True)

    def _start_scheduler(self) -> None:
        """The periodic schedule runs in-process beside the server in the embedded default (SPEC §9)."""
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            return
        try:
            from config.scheduler import start_in_process_scheduler
        except ImportError:
            return
        start_in_process_scheduler()
