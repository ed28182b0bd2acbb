"""`manage.py seed_demo [--size small|district|city] [--seed N] [--reset]`: the deterministic demo district."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from campaign.seed import SIZES, already_seeded, demo_logins_text
from config.seed import build_demo
from dashboard.rollups import rollup_range
from dashboard.signals import rollups_deferred
from issues.inbox import tickets_mark_overdue
from issues.router.store import router_train
from issues.seed_acceptance import replay_acceptance

REPLAY_SPAN = dt.timedelta(days=14)


class Command(BaseCommand):
    help = (
        "生成演示数据：西安高新区的街道、社区、网格（带边界）、部门、住户、企业、干部、进行中的活动和 2026 年节假日，"
        "以及演示账号（密码 zoufang-demo）。同一 --seed 生成相同数据。数据库中已有数据时不做任何改动并提示"
        "“already seeded”（退出码 0）；加 --reset 先清空整个数据库（manage.py flush）再生成。"
        "--size small：数秒（测试用）；district：演示规模；city：约 10 倍（基准测试用，需数分钟）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", choices=list(SIZES), default="district")
        parser.add_argument("--seed", type=int, default=2026, help="随机种子（默认 2026）")
        parser.add_argument("--reset", action="store_true", help="先清空整个数据库（所有表）再生成")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["reset"]:
            self.stdout.write("==> 清空数据库（flush）")
            call_command("flush", interactive=False, verbosity=0)
        elif already_seeded():
            self.stdout.write("数据库中已有数据（already seeded），未做改动；如需重新生成请加 --reset。")
            self.stdout.write(demo_logins_text())
            return
        started = time.monotonic()
        # Bulk inserts bypass the dirty marks; the statistics of the seeded days are backfilled once at the end.
        with rollups_deferred(), transaction.atomic():
            ctx = build_demo(size=options["size"], seed=options["seed"], stdout=self.stdout)
        # The intake's suggestions learn from the demo's dispatched tickets, as the nightly task does in a deployment:
        # from those of before the last two weeks, whose dispatches then replay the suggestion (the acceptance rate
        # on texts the model never saw: issues.seed_acceptance). The rollup follows, so the dashboard shows it.
        cutoff = ctx.now - REPLAY_SPAN
        report = router_train(before=cutoff)
        trained = ", ".join(f"{kind} top-1 {fit.top1:.2f}" for kind, fit in report.trained.items()) or "未训练"
        self.stdout.write(f"==> 分派模型（train_router）：{report.n_tickets} 张已派工单，{trained}")
        suggested, kept = replay_acceptance(cutoff)
        if suggested:
            self.stdout.write(f"==> 近两周派单采纳建议类别：{kept}/{suggested}（{kept / suggested:.0%}）")
        self.stdout.write("==> 统计汇总（rollup）")
        rollup_range(date_from=ctx.campaign.start_date, date_to=ctx.now.date())
        # What the overdue job (every minute in a deployment) would have marked: the inbox then reads its order from
        # the stored priority, not hundreds of past-due rows apart (issues.inbox.priority_page).
        tickets_mark_overdue()
        self.stdout.write(
            self.style.SUCCESS(
                f"演示数据已生成（{options['size']}，seed={options['seed']}）：{len(ctx.households)} 户，"
                f"{len(ctx.enterprises)} 家企业，{len(ctx.cadres)} 名走访干部，用时 {time.monotonic() - started:.1f} 秒。"
            )
        )
        self.stdout.write(demo_logins_text())
