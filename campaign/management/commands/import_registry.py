"""`manage.py import_registry households|enterprises FILE`: all or nothing; with errors, prints them all and exits 1."""

from __future__ import annotations

import sys
import unicodedata
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from campaign.importer import KINDS, RowError, registry_import


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def errors_table(errors: list[RowError]) -> str:
    """A plain-text table (行 | 列 | 错误) that lines up in a terminal, Chinese included."""
    rows = [("行", "列", "错误")] + [(str(e.row) if e.row else "-", e.column or "-", e.message) for e in errors]
    widths = [max(_width(row[i]) for row in rows) for i in range(2)]
    lines = [f"{_pad(r[0], widths[0])} | {_pad(r[1], widths[1])} | {r[2]}" for r in rows]
    lines.insert(1, "-" * (widths[0] + 1) + "+" + "-" * (widths[1] + 2) + "+" + "-" * 20)
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "从 .xlsx 或 .csv 导入住户或企业台账（UTF-8 或 GB18030）。全部行校验通过才导入，"
        "否则不导入任何数据、列出每一处错误并以非零状态退出。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file")
        parser.add_argument("--unit-column", default=None, help="网格所在列的表头（默认识别“网格”“unit”等）")

    def handle(self, *args: Any, **options: Any) -> None:
        bars: dict[str, tqdm] = {}
        labels = {"validate": "校验", "insert": "写入"}

        def progress(phase: str, done: int) -> None:
            if phase not in bars:
                bars[phase] = tqdm(desc=labels[phase], unit="行", file=sys.stderr, disable=None)
            bars[phase].update(done)

        try:
            result = registry_import(
                kind=options["kind"],
                rows_or_file=options["file"],
                unit_column=options["unit_column"],
                progress=progress,
            )
        except FileNotFoundError:
            raise CommandError(f"文件不存在：{options['file']}") from None
        finally:
            for bar in bars.values():
                bar.close()
        if not result.ok:
            self.stdout.write(errors_table(result.errors))
            raise CommandError(f"共 {len(result.errors)} 处错误，未导入任何数据（读取 {result.rows} 行）。")
        self.stdout.write(self.style.SUCCESS(f"已导入 {result.created} 条（{options['kind']}）。"))
