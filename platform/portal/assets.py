"""A bundle's public assets: the images a statement shows (``![chart](figures/x.png)``).

Only regular image files under a bundle's public folders (``figures/``, ``starter/``) are ever
served; never ``solution/``, ``wrong/``, the recipe, the manifest or hidden data. A request
path is checked before the file system is touched: plain names only (no ``..``, no hidden
files, no empty or absolute parts), a public folder first, an image suffix last; then the file
must resolve (symlinks followed) inside that public folder, be a regular file under the size
cap, and start with the magic bytes of its type, so the content type sent is the right one.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from urllib.parse import quote, urlsplit

PUBLIC_FOLDERS = ("figures", "starter")
# Raster images only: an SVG is a document that can carry scripts.
CONTENT_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
MAX_ASSET_BYTES = 5 * 1024 * 1024
_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_MAGIC = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}


def public_asset(bundle_dir: Path, relative: str) -> tuple[Path, str] | None:
    """``(file, content type)`` of a public image of the bundle, or None (the view's 404)."""
    parts = relative.split("/")
    if len(parts) < 2 or len(parts) > 8 or not all(_PART.match(part) for part in parts):
        return None
    if parts[0] not in PUBLIC_FOLDERS or ".." in parts:
        return None
    content_type = CONTENT_TYPES.get(Path(parts[-1]).suffix.lower())
    if content_type is None:
        return None
    try:
        folder = (Path(bundle_dir) / parts[0]).resolve(strict=True)
        path = Path(bundle_dir).joinpath(*parts).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not path.is_relative_to(folder) or not path.is_file():
        return None
    if path.stat().st_size > MAX_ASSET_BYTES or not _has_magic(path, content_type):
        return None
    return path, content_type


def _has_magic(path: Path, content_type: str) -> bool:
    with path.open("rb") as handle:
        head = handle.read(16)
    if content_type == "image/webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    return head.startswith(_MAGIC[content_type])


def relative_asset_path(src: str) -> str | None:
    """The bundle-relative path of a relative image URL in a statement, or None for an
    absolute URL (``https://...``, ``//host/...``, ``/path``, ``data:...``) or an anchor."""
    src = src.strip()
    split = urlsplit(src)
    if not src or split.scheme or split.netloc or src.startswith(("/", "#", "\\")):
        return None
    if split.query or split.fragment:
        src = split.path
    normalized = posixpath.normpath(src)
    return None if normalized in (".", "") else normalized


def asset_url(base: str, relative: str) -> str:
    """``base`` (the view's URL for the bundle, ending in ``/``) joined with a quoted path."""
    return base + quote(relative, safe="/")
