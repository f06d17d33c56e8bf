"""``next=`` targets limited to our own paths (QUALITY.md 23)."""

from urllib.parse import urlsplit


def safe_next_path(target: str | None, fallback: str) -> str:
    """``target`` when it is a path on this site, else ``fallback``."""
    if not target:
        return fallback
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target or any(ord(char) < 32 for char in target):
        return fallback
    return target
