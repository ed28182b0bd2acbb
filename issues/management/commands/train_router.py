"""manage.py train_router: train the router on the dispatched tickets now (the nightly task does the same at 03:40).

Prints, per kind, the examples learnt from, the held-out top-1 and top-3 accuracy and the version stored, or why a
kind was not trained (its previous model, or the keyword list, keeps answering).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from issues.router.store import DEFAULT_MIN_EXAMPLES, TRAIN_LIMIT, router_train


class Command(BaseCommand):
    help = "Train the category and lead-unit suggestions on the newest dispatched tickets and store a new version."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--min-examples", type=int, default=DEFAULT_MIN_EXAMPLES, help="fewer: do not train")
        parser.add_argument("--limit", type=int, default=TRAIN_LIMIT, help="the newest N dispatched tickets")
        parser.add_argument("--seed", type=int, default=0, help="the held-out split's and the solver's seed")

    def handle(self, *args: Any, **options: Any) -> None:
        report = router_train(min_examples=options["min_examples"], limit=options["limit"], seed=options["seed"])
        self.stdout.write(f"train_router: {report.n_tickets} dispatched ticket(s)")
        for kind, fit in report.trained.items():
            self.stdout.write(
                f"  {kind}: n={fit.n_examples} labels={len(fit.labels)} top-1={fit.top1:.3f} top-3={fit.top3:.3f} "
                f"version={report.version}"
            )
        for kind, why in report.refused.items():
            self.stdout.write(f"  {kind}: not trained ({why}); the previous model or the keyword list answers")
