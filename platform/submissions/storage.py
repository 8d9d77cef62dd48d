"""Content-addressed storage for uploads: a file is named by its sha256 and written once."""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible


@deconstructible
class UploadStorage(FileSystemStorage):
    """Two identical uploads share one file; an existing file is never overwritten."""

    def __init__(self) -> None:
        # No fixed location: it follows MEDIA_ROOT (= ARENA_UPLOADS_DIR), also when tests change it.
        super().__init__(base_url=None)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return name

    def _save(self, name: str, content) -> str:  # type: ignore[no-untyped-def]
        if self.exists(name):
            return name
        return super()._save(name, content)


def upload_storage() -> UploadStorage:
    return UploadStorage()


def upload_name(instance: object, filename: str) -> str:
    """``ab/abcdef...<ext>``: the sha256 was computed before saving (see services)."""
    sha256 = instance.sha256  # type: ignore[attr-defined]
    suffix = instance.extension  # type: ignore[attr-defined]
    return f"{sha256[:2]}/{sha256}{suffix}"
