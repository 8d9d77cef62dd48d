"""Content-addressed storage under faults: writes are atomic, reads verify the SHA-256, a
damaged file under an address is replaced rather than reused, and racing writers never loop."""

from __future__ import annotations

import hashlib
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from platform_testkit import REFERENCE_SOLUTION
from submissions.models import Submission
from submissions.services import SubmissionRefused, create_submission
from submissions.storage import StoredUploadCorrupt, UploadStorage

CONTENT = REFERENCE_SOLUTION.read_bytes()
DIGEST = hashlib.sha256(CONTENT).hexdigest()
ADDRESS = f"{DIGEST[:2]}/{DIGEST}.py"


def test_a_truncated_file_under_the_address_is_replaced_not_reused(mentee_a, assignment, settings):  # type: ignore[no-untyped-def]
    poisoned = settings.MEDIA_ROOT / ADDRESS
    poisoned.parent.mkdir(parents=True)
    poisoned.write_bytes(CONTENT[: len(CONTENT) // 2])  # what a full disk left behind

    submission = create_submission(mentee_a, assignment, SimpleUploadedFile("s.py", CONTENT))
    assert submission.file.name == ADDRESS
    assert poisoned.read_bytes() == CONTENT
    with submission.file.open("rb") as stored:
        assert stored.read() == CONTENT


def test_a_read_of_damaged_bytes_names_the_damage(mentee_a, assignment, settings):  # type: ignore[no-untyped-def]
    submission = create_submission(mentee_a, assignment, SimpleUploadedFile("s.py", CONTENT))
    (settings.MEDIA_ROOT / ADDRESS).write_bytes(CONTENT.replace(b"return", b"retvrn", 1))
    with pytest.raises(StoredUploadCorrupt, match="no longer matches its sha256"):
        Submission.objects.get(pk=submission.pk).file.open("rb")


def test_racing_writers_of_the_same_bytes_all_finish_with_one_whole_file(settings):  # type: ignore[no-untyped-def]
    storage = UploadStorage()
    writers = 8
    barrier = threading.Barrier(writers)
    names: list[str] = []

    def write() -> None:
        barrier.wait()
        names.append(storage.save(ADDRESS, ContentFile(CONTENT)))

    threads = [threading.Thread(target=write, daemon=True) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert not any(thread.is_alive() for thread in threads), "a writer loops"
    assert names == [ADDRESS] * writers
    folder = settings.MEDIA_ROOT / DIGEST[:2]
    assert [p.name for p in folder.iterdir()] == [f"{DIGEST}.py"]  # no temporary files left
    assert (folder / f"{DIGEST}.py").read_bytes() == CONTENT


@pytest.fixture
def tiny_disk(tmp_path: Path, settings) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    """MEDIA_ROOT on a real 64 KiB tmpfs."""
    media = tmp_path / "tiny-uploads"
    media.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(media)], check=False
    )
    if mounted.returncode != 0:
        pytest.fail("a full disk is simulated with a 64 KiB tmpfs: run the tests as root (CI does)")
    settings.MEDIA_ROOT = media
    try:
        yield media
    finally:
        subprocess.run(["umount", "-l", str(media)], check=False)


def test_an_upload_that_fills_the_disk_leaves_no_row_and_no_partial_file(  # type: ignore[no-untyped-def]
    mentee_a, assignment, tiny_disk
):
    big = b"# padding\n" * 10_000 + CONTENT  # about 100 KB: more than the disk holds
    with pytest.raises(SubmissionRefused, match="could not store") as refused:
        create_submission(mentee_a, assignment, SimpleUploadedFile("s.py", big))
    assert refused.value.http_status == 503
    assert not Submission.objects.exists()
    assert [p for p in tiny_disk.rglob("*") if p.is_file()] == []

    stored = create_submission(mentee_a, assignment, SimpleUploadedFile("s.py", CONTENT))
    with stored.file.open("rb") as handle:
        assert handle.read() == CONTENT
