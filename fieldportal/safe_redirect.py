"""``next=`` targets limited to our own paths (QUALITY.md 23)."""

from urllib.parse import urlsplit


def safe_next_path(target: str | None, fallback: str) -> str:
    """``target`` when it is a path on this site, else ``fallback``."""
    if not target or any(ord(char) < 32 for char in target):
        return fallback
    target = target.strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    try:
        parts = urlsplit(target)
    except ValueError:  # e.g. an unbalanced "[" that urlsplit reads as an IPv6 host
        return fallback
    if parts.scheme or parts.netloc:
        return fallback
    return target
