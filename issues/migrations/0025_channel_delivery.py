# Issue 17 item 4: the outbox of the SMS and WeChat channels (issues.models.channels).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaign", "0015_notify_preference"),
        ("issues", "0024_cadre_messages"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ChannelDelivery",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "channel",
                    models.CharField(
                        choices=[("sms", "短信"), ("wechat", "微信模板消息")], max_length=8, verbose_name="渠道"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("dispatched", "新派单"),
                            ("returned", "退回"),
                            ("supervised", "督办"),
                            ("reopened", "重办"),
                            ("instructed", "领导批示"),
                            ("extension_requested", "申请延期"),
                            ("extended", "已延期"),
                            ("extension_refused", "延期未获批准"),
                            ("merged", "合并办理"),
                            ("resolved", "已办结"),
                        ],
                        max_length=24,
                        verbose_name="类型",
                    ),
                ),
                ("at", models.DateTimeField(verbose_name="事件时间")),
                ("params", models.JSONField(default=dict, verbose_name="模板参数")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "待发送"),
                            ("sending", "发送中"),
                            ("sent", "已发送"),
                            ("failed", "发送失败"),
                            ("limited", "超出频率限制，未发送"),
                            ("no_address", "无接收号码或未绑定，未发送"),
                        ],
                        default="pending",
                        max_length=12,
                        verbose_name="状态",
                    ),
                ),
                ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="尝试次数")),
                ("next_attempt_at", models.DateTimeField(verbose_name="下次尝试")),
                ("claimed_at", models.DateTimeField(blank=True, null=True, verbose_name="最近发送时间")),
                ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="发送成功时间")),
                ("provider_ref", models.CharField(blank=True, max_length=64, verbose_name="服务商回执")),
                ("last_error", models.CharField(blank=True, max_length=200, verbose_name="最近错误")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                (
                    "district",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="campaign.orgunit",
                    ),
                ),
                (
                    "ticket",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="issues.ticket"
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "短信/微信通知",
                "verbose_name_plural": "短信/微信通知",
                "indexes": [
                    models.Index(
                        condition=models.Q(("status__in", ["pending", "sending"])),
                        fields=["next_attempt_at"],
                        name="channel_delivery_due_idx",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("user__isnull", False)),
                        fields=("district", "ticket", "kind", "at", "channel", "user"),
                        name="channel_delivery_user_key",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("user__isnull", True)),
                        fields=("district", "ticket", "kind", "at", "channel"),
                        name="channel_delivery_requester_key",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("attempts__lte", 100)), name="channel_delivery_attempts_bounded"
                    ),
                ],
            },
        ),
    ]
