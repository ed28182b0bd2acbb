"""Typed readers of environment variables that fail loudly on nonsense.

Used only by config/settings.py: `DEBUG=maybe` is an error, not False.
"""

import os
import re
from pathlib import Path

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
FERNET_HOWTO = (
    "Generate one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


def var_dir() -> Path:
    """Where a run keeps its files (the embedded database, media, collected static files): ZOUFANG_VAR_DIR, by default
    ./var of the repository. Read by config/settings.py and config/databases.py."""
    return Path(env_str("ZOUFANG_VAR_DIR", str(Path(__file__).resolve().parent.parent / "var")))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, default).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} must be one of {', '.join(choices)}")
    return value


def env_size(name: str, default: str) -> str:
    """A PostgreSQL memory size such as 32MB (digits, then kB, MB or GB)."""
    value = os.environ.get(name, default).strip()
    if not re.fullmatch(r"[1-9][0-9]*(kB|MB|GB)", value):
        raise ImproperlyConfigured(f"{name}={value!r} is not a size like 32MB (kB, MB or GB)")
    return value


def env_fernet_keys(name: str) -> list[str]:
    """A comma-separated list of Fernet keys (url-safe base64 of 32 bytes each), first one first.

    The message names the variable and the key's position, never the key: it is a secret and may reach a log.
    """
    keys = env_list(name, [])
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise ImproperlyConfigured(
                f"{name}: key {position} of {len(keys)} is not a Fernet key (url-safe base64 of 32 bytes). {FERNET_HOWTO}"
            ) from None
    return keys
