"""Small readers for settings that come from the environment.

Each reader fails loudly on a value it cannot understand, so a typo in a
deployment shows up at start-up instead of as a silently different setting.
"""

import base64
import binascii
import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str = "") -> str:
    """Return the variable's value, or `default` when unset or empty."""
    value = os.environ.get(name, "")
    return value if value != "" else default


def env_bool(name: str, default: bool) -> bool:
    """Read `1/true/yes/on` or `0/false/no/off` (any case); anything else is an error."""
    value = os.environ.get(name, "").strip().lower()
    if value == "":
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use 1/true or 0/false.")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    """Read a whole number no smaller than `minimum`."""
    value = os.environ.get(name, "").strip()
    if value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is below the minimum of {minimum}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list; blank items are dropped."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_rate(name: str, default: str) -> str | None:
    """Read a DRF throttle rate such as `600/min`; an explicitly empty value disables it."""
    value = os.environ.get(name)
    if value is None:
        return default
    value = value.strip()
    if value == "":
        return None
    count, _, period = value.partition("/")
    if not count.isdigit() or period[:1] not in {"s", "m", "h", "d"}:
        raise ImproperlyConfigured(f"{name}={value!r} is not a rate like 600/min.")
    return value


def env_keys(name: str) -> list[tuple[str, bytes]]:
    """Read `id:base64key,id:base64key,...` (the first is current): key ids and keys of 16 bytes or more."""
    value = os.environ.get(name, "").strip()
    if value == "":
        return []
    keys: list[tuple[str, bytes]] = []
    for item in value.split(","):
        key_id, separator, encoded = item.strip().partition(":")
        if not separator or not key_id or len(key_id) > 32 or not _is_key_id(key_id):
            raise ImproperlyConfigured(
                f"{name}: {item.strip()[:40]!r} is not id:base64key (an id of 1 to 32 letters, digits, "
                "'-' or '_', a colon, then the key in base64)."
            )
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(f"{name}: the key of {key_id!r} is not valid base64.") from None
        if len(key) < 16:
            raise ImproperlyConfigured(
                f"{name}: the key of {key_id!r} is {len(key)} bytes; use 32 random bytes."
            )
        if key_id in dict(keys):
            raise ImproperlyConfigured(f"{name}: the key id {key_id!r} appears twice.")
        keys.append((key_id, key))
    return keys


def _is_key_id(text: str) -> bool:
    return all(character.isascii() and (character.isalnum() or character in "-_") for character in text)
