# Issue 17 item 4: a user's choice of notification channels (campaign.models.notify).

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaign", "0014_household_groups"),
    ]

    operations = [
        migrations.CreateModel(
            name="NotifyPreference",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="notify_preference",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("sms", models.BooleanField(default=False, verbose_name="短信通知")),
                ("wechat", models.BooleanField(default=False, verbose_name="微信通知")),
                (
                    "wechat_openid",
                    models.CharField(
                        blank=True,
                        max_length=64,
                        validators=[
                            django.core.validators.RegexValidator(
                                "^[A-Za-z0-9_-]{6,64}$", "OpenID 应为 6–64 位字母、数字、下划线或连字符。"
                            )
                        ],
                        verbose_name="微信 OpenID",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
            ],
            options={
                "verbose_name": "通知渠道设置",
                "verbose_name_plural": "通知渠道设置",
            },
        ),
    ]
