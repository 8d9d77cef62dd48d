"""The internal API workers on other machines fetch grading inputs from: only the worker token
opens it, a blob is served only by a hash the submission's catalog names, and the worker's
cache verifies every blob on arrival (damaged: fetched again once, then a clear error)."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest
from platform_testkit import REFERENCE_SOLUTION, make_submission
from rest_framework.authtoken.models import Token
from submissions.blob_cache import BlobCache, FetchError
from submissions.fetch import InternalClient, RemoteInputs
from submissions.storage import StoredUploadCorrupt

WORKER_TOKEN = "w" * 40
CONTENT = REFERENCE_SOLUTION.read_bytes()
DIGEST = hashlib.sha256(CONTENT).hexdigest()


@pytest.fixture
def internal_api(settings, tmp_path: Path, monkeypatch):  # type: ignore[no-untyped-def]
    settings.ARENA_WORKER_TOKEN = WORKER_TOKEN
    monkeypatch.setenv("ARENA_HOME", str(tmp_path))  # the web's hidden data go here


@pytest.fixture
def submission(mentee_a, assignment):  # type: ignore[no-untyped-def]
    return make_submission(mentee_a, assignment)


def inputs_url(submission) -> str:  # type: ignore[no-untyped-def]
    return f"/internal/v1/submissions/{submission.pk}/inputs/"


def as_worker(token: str = WORKER_TOKEN) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Worker {token}"}


def test_it_is_off_where_no_worker_token_is_configured(client, settings, submission):  # type: ignore[no-untyped-def]
    settings.ARENA_WORKER_TOKEN = ""
    assert client.get(inputs_url(submission), **as_worker("")).status_code == 404


def test_it_refuses_mentees_mentors_and_wrong_tokens(client, internal_api, submission, mentor, mentee_a):  # type: ignore[no-untyped-def]
    mentee_token = Token.objects.create(user=mentee_a).key
    assert client.get(inputs_url(submission)).status_code == 401
    assert client.get(inputs_url(submission), HTTP_AUTHORIZATION=f"Token {mentee_token}").status_code == 401
    # A mentee's token presented under the worker scheme is still not the worker token.
    assert client.get(inputs_url(submission), **as_worker(mentee_token)).status_code == 401
    assert client.get(inputs_url(submission), **as_worker(WORKER_TOKEN[:-1] + "x")).status_code == 401
    client.force_login(mentor)
    assert client.get(inputs_url(submission)).status_code == 401


def test_the_catalog_names_every_input_by_sha256(client, internal_api, submission):  # type: ignore[no-untyped-def]
    response = client.get(inputs_url(submission), **as_worker())
    assert response.status_code == 200, response.content
    catalog = response.json()
    assert catalog["upload"]["sha256"] == DIGEST
    assert catalog["bundle"]["dir"] == "platform-smoke"
    assert catalog["hidden"]["slug"] == "platform-smoke"
    assert "manifest.json" in catalog["hidden"]["files"]
    assert catalog["pretrained"] == []


def test_a_blob_is_served_by_its_hash_and_only_when_the_catalog_names_it(client, internal_api, submission):  # type: ignore[no-untyped-def]
    base = f"/internal/v1/submissions/{submission.pk}/blobs"
    upload = client.get(f"{base}/{DIGEST}/", **as_worker())
    assert upload.status_code == 200
    assert b"".join(upload.streaming_content) == CONTENT
    bundle_sha = client.get(inputs_url(submission), **as_worker()).json()["bundle"]["sha256"]
    bundle = client.get(f"{base}/{bundle_sha}/", **as_worker())
    assert hashlib.sha256(bundle.content).hexdigest() == bundle_sha
    with tarfile.open(fileobj=io.BytesIO(bundle.content)) as archive:
        names = archive.getnames()
    assert "assignment.toml" in names and not any("__pycache__" in n for n in names)
    assert client.get(f"{base}/{'0' * 64}/", **as_worker()).status_code == 404
    assert client.get(f"{base}/..%2F..%2Fsecret/", **as_worker()).status_code == 404
    assert client.post(f"{base}/{DIGEST}/", **as_worker()).status_code == 405


def test_a_damaged_upload_on_the_web_answers_409_storage(client, internal_api, submission, settings):  # type: ignore[no-untyped-def]
    (settings.MEDIA_ROOT / submission.file.name).write_bytes(CONTENT + b"# damaged\n")
    response = client.get(inputs_url(submission), **as_worker())
    assert (response.status_code, response.json()["kind"]) == (409, "storage")


def test_a_blob_damaged_in_transit_is_fetched_again_once(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path / "blobs")
    sends = [CONTENT[:-3] + b"bad", CONTENT]
    path = cache.ensure(DIGEST, lambda sink: sink.write(sends.pop(0)), "the upload")
    assert path.read_bytes() == CONTENT and sends == []
    assert [p.name for p in path.parent.iterdir()] == [DIGEST]  # no half-written draft left


def test_a_blob_damaged_twice_is_a_clear_error_and_leaves_nothing(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path / "blobs")
    with pytest.raises(FetchError, match="the upload arrived damaged 2 times"):
        cache.ensure(DIGEST, lambda sink: sink.write(b"not it"), "the upload")
    assert list((tmp_path / "blobs").rglob("*")) == [tmp_path / "blobs" / DIGEST[:2]]


@pytest.mark.django_db(transaction=True)
def test_a_worker_home_gets_verified_copies_and_refetches_a_damaged_cache(live_server, internal_api, mentee_a, tmp_path: Path):  # type: ignore[no-untyped-def]
    from courses.services import seed_course
    from platform_testkit import BUNDLES

    (assignment,) = seed_course(BUNDLES)
    submission = make_submission(mentee_a, assignment)
    worker_home = tmp_path / "worker"
    remote = RemoteInputs(InternalClient(live_server.url, WORKER_TOKEN), worker_home)

    inputs = remote.prepare(submission.pk)
    assert inputs.upload.read_bytes() == CONTENT
    assert (inputs.bundle / "assignment.toml").is_file()
    assert inputs.hidden is not None and (inputs.hidden / "manifest.json").is_file()
    assert inputs.hidden.is_relative_to(worker_home) and not (worker_home / "secret").exists()

    inputs.upload.write_bytes(b"damaged on the worker's disk")
    again = remote.prepare(submission.pk)
    assert again.upload.read_bytes() == CONTENT

    wrong = RemoteInputs(InternalClient(live_server.url, "x" * 40), worker_home)
    with pytest.raises(FetchError, match="refused this worker's ARENA_WORKER_TOKEN"):
        wrong.prepare(submission.pk)


@pytest.mark.django_db(transaction=True)
def test_a_worker_ends_a_damaged_web_upload_as_storage(live_server, internal_api, mentee_a, settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    from courses.services import seed_course
    from platform_testkit import BUNDLES

    (assignment,) = seed_course(BUNDLES)
    submission = make_submission(mentee_a, assignment)
    (settings.MEDIA_ROOT / submission.file.name).write_bytes(b"truncat")
    remote = RemoteInputs(InternalClient(live_server.url, WORKER_TOKEN), tmp_path / "worker")
    with pytest.raises(StoredUploadCorrupt, match="no longer matches its sha256"):
        remote.prepare(submission.pk)
