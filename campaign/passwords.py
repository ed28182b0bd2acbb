"""Password rules of ours (issue 12 item 3): character classes and history. Django's own validators do the
length, the similarity to the username and the common passwords (AUTH_PASSWORD_VALIDATORS in config/settings.py).

Validators run wherever Django validates a password (admin forms, the password change page, `changepassword`);
`set_password` alone does not validate, which is how the demo seed keeps its one demo password (docs/decisions.md).
"""

from __future__ import annotations

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from campaign.models import PasswordHistory, User


def character_classes(password: str) -> int:
    """How many of lower-case letters, upper-case letters, digits and other characters the password uses."""
    found = {
        "lower": any(c.islower() for c in password),
        "upper": any(c.isupper() for c in password),
        "digit": any(c.isdigit() for c in password),
        "other": any(not (c.islower() or c.isupper() or c.isdigit()) for c in password),
    }
    return sum(found.values())


class CharacterClassValidator:
    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: User | None = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return _("密码须包含小写字母、大写字母、数字、其他字符四类中的至少 %(n)d 类。") % {"n": self.min_classes}


class NotUsernameValidator:
    """The account name may not appear in the password (Django's similarity check misses it inside a long one)."""

    def validate(self, password: str, user: User | None = None) -> None:
        name = (user.get_username() if user is not None else "").lower()
        if len(name) >= 3 and name in password.lower():
            raise ValidationError(self.get_help_text(), code="password_contains_username")

    def get_help_text(self) -> str:
        return _("密码不能包含用户名。")


class HistoryValidator:
    """Not one of the user's last `depth` passwords (the current one included)."""

    def __init__(self, depth: int = 3) -> None:
        self.depth = depth

    def _recent_hashes(self, user: User) -> list[str]:
        hashes = list(
            PasswordHistory.objects.filter(user=user)
            .order_by("-at", "-id")
            .values_list("password", flat=True)[: self.depth]
        )
        # The current hash counts even when no history was recorded (accounts older than the history, the seed).
        if user.password and user.has_usable_password():
            hashes.append(user.password)
        return hashes

    def validate(self, password: str, user: User | None = None) -> None:
        if user is None or user.pk is None:
            return
        if any(check_password(password, encoded) for encoded in self._recent_hashes(user)):
            raise ValidationError(self.get_help_text(), code="password_reused")

    def password_changed(self, password: str, user: User | None = None) -> None:
        """Django calls this after a user saved with a new password (AbstractBaseUser.save): remember its hash."""
        if user is None or user.pk is None or not user.has_usable_password():
            return
        PasswordHistory.objects.create(user=user, password=user.password)
        stale = PasswordHistory.objects.filter(user=user).order_by("-at", "-id").values_list("pk", flat=True)
        PasswordHistory.objects.filter(pk__in=list(stale[self.depth :])).delete()

    def get_help_text(self) -> str:
        return _("新密码不能与最近 %(n)d 次使用过的密码相同。") % {"n": self.depth}
