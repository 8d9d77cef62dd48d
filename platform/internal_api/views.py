"""Two GET endpoints for workers: a submission's catalog, and one blob of it by SHA-256."""

from __future__ import annotations

import re

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from submissions.models import Submission
from submissions.storage import StoredUploadCorrupt

from internal_api.auth import worker_only
from internal_api.catalog import Catalog, InputsUnavailable, grading_catalog

_SHA256 = re.compile(r"[0-9a-f]{64}")


def _catalog_or_error(submission_id: int) -> Catalog | JsonResponse:
    submission = (
        Submission.objects.select_related("assignment").filter(pk=submission_id).first()
    )
    if submission is None:
        return JsonResponse({"detail": "No such submission."}, status=404)
    try:
        return grading_catalog(submission)
    except StoredUploadCorrupt as exc:
        # Permanent: the worker ends the run `error/storage` instead of retrying.
        return JsonResponse({"detail": str(exc), "kind": "storage"}, status=409)
    except (InputsUnavailable, FileNotFoundError) as exc:
        return JsonResponse({"detail": str(exc), "kind": "unavailable"}, status=503)


@worker_only
def submission_inputs(request: HttpRequest, submission_id: int) -> HttpResponse:
    catalog = _catalog_or_error(submission_id)
    if isinstance(catalog, JsonResponse):
        return catalog
    return JsonResponse(catalog.document)


@worker_only
def submission_blob(request: HttpRequest, submission_id: int, sha256: str) -> HttpResponse:
    if not _SHA256.fullmatch(sha256):
        return JsonResponse({"detail": "Not a SHA-256."}, status=404)
    catalog = _catalog_or_error(submission_id)
    if isinstance(catalog, JsonResponse):
        return catalog
    blob = catalog.blobs.get(sha256)
    if blob is None:
        return JsonResponse({"detail": "This submission needs no such blob."}, status=404)
    if blob.data is not None:
        response = HttpResponse(blob.data, content_type="application/octet-stream")
    else:
        assert blob.path is not None
        try:
            handle = blob.path.open("rb")
        except OSError as exc:
            return JsonResponse({"detail": f"cannot read {blob.path.name}: {exc}"}, status=503)
        response = FileResponse(handle, content_type="application/octet-stream")
    response["X-Arena-Sha256"] = sha256
    return response
