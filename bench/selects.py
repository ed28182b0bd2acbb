"""Benchmark of the filter bar's selects (campaign/widgets.py): Django's template-rendered Select against
QuickSelect, side by side in one run.

    .venv/bin/python bench/selects.py [--options 300] [--rounds 40]

No database: renders a select of --options units (indented as the inbox indents them, one selected) twice, as the
inbox's filter bar does (所在单位, 牵头单位), --rounds times with each widget, and prints the medians in ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--options", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)
    import django

    django.setup()
    from django import forms

    from campaign.widgets import QuickSelect

    choices = [("", "全部单位")] + [(str(i), "\u3000" * (i % 3) + f"单位{i}") for i in range(args.options)]

    def median_ms(widget_class: type[forms.Select]) -> float:
        widget, times = widget_class(choices=choices), []
        for _ in range(args.rounds):
            start = time.perf_counter()
            for _ in range(2):
                widget.render("unit", "17", attrs={"id": "id_unit"})
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)

    django_ms, quick_ms = median_ms(forms.Select), median_ms(QuickSelect)
    print(f"two selects of {args.options} options, median of {args.rounds}:")
    print(f"  django.forms.Select  {django_ms:7.2f} ms")
    print(f"  QuickSelect          {quick_ms:7.2f} ms   ({django_ms / quick_ms:.1f}x)")
    print(f"  load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
