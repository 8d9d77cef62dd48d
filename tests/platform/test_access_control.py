"""Who may call what: one row per endpoint, one expected status per persona.

Personas: `anonymous`, `alice` (a mentee who owns the submission), `bob` (another mentee),
`mentor`. Add a row for every new view (the portal and the dashboard add theirs here).
"""

from __future__ import annotations

import pytest
from platform_testkit import make_submission
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from submissions.models import Status

ANON, ALICE, BOB, MENTOR = "anonymous", "alice", "bob", "mentor"

# (method, path, {persona: expected status}); {submission} is alice's scored submission.
ACCESS_TABLE: list[tuple[str, str, dict[str, int]]] = [
    ("GET", "/api/v1/assignments/", {ANON: 200, ALICE: 200, BOB: 200, MENTOR: 200}),
    ("GET", "/api/v1/assignments/platform-smoke/", {ANON: 200, ALICE: 200, BOB: 200, MENTOR: 200}),
    ("GET", "/api/v1/assignments/members-only/", {ANON: 404, ALICE: 200, BOB: 200, MENTOR: 200}),
    (
        "GET",
        "/api/v1/assignments/platform-smoke/starter.zip",
        {ANON: 200, ALICE: 200, BOB: 200, MENTOR: 200},
    ),
    (
        "GET",
        "/api/v1/assignments/members-only/starter.zip",
        {ANON: 404, ALICE: 200, BOB: 200, MENTOR: 200},
    ),
    (
        "GET",
        "/api/v1/assignments/platform-smoke/leaderboard/",
        {ANON: 200, ALICE: 200, BOB: 200, MENTOR: 200},
    ),
    (
        "GET",
        "/api/v1/assignments/members-only/leaderboard/",
        {ANON: 404, ALICE: 200, BOB: 200, MENTOR: 200},
    ),
    (
        "GET",
        "/api/v1/assignments/platform-smoke/submissions/",
        {ANON: 401, ALICE: 200, BOB: 200, MENTOR: 200},
    ),
    (
        "POST",
        "/api/v1/assignments/platform-smoke/submissions/",
        {ANON: 401, ALICE: 201, BOB: 201, MENTOR: 201},
    ),
    ("GET", "/api/v1/submissions/", {ANON: 401, ALICE: 200, BOB: 200, MENTOR: 200}),
    ("GET", "/api/v1/submissions/{submission}/", {ANON: 401, ALICE: 200, BOB: 404, MENTOR: 200}),
    (
        "GET",
        "/api/v1/submissions/{submission}/logs/",
        {ANON: 401, ALICE: 200, BOB: 404, MENTOR: 200},
    ),
    (
        "GET",
        "/api/v1/submissions/{submission}/file/",
        {ANON: 401, ALICE: 200, BOB: 404, MENTOR: 200},
    ),
    (
        "POST",
        "/api/v1/submissions/{submission}/select/",
        {ANON: 401, ALICE: 200, BOB: 404, MENTOR: 403},
    ),
    (
        "POST",
        "/api/v1/submissions/{submission}/rejudge/",
        {ANON: 401, ALICE: 403, BOB: 403, MENTOR: 202},
    ),
    (
        "POST",
        "/api/v1/assignments/platform-smoke/rejudge/",
        {ANON: 401, ALICE: 403, BOB: 403, MENTOR: 202},
    ),
    ("GET", "/api/v1/submissions/999999/", {ANON: 401, ALICE: 404, BOB: 404, MENTOR: 404}),
    # --- The web portal (session login; anonymous visitors are sent to log in: 302) ---
    ("GET", "/", {ANON: 302, ALICE: 302, BOB: 302, MENTOR: 302}),
    ("GET", "/courses/deep-dive-cnns/", {ANON: 200, ALICE: 200, BOB: 200, MENTOR: 200}),
    ("GET", "/courses/deep-dive-cnns/weeks/1/", {ANON: 200, ALICE: 200, BOB: 200, MENTOR: 200}),
    ("GET", "/assignments/platform-smoke/", {ANON: 200, ALICE: 200, BOB: 200, MENTOR: 200}),
    ("GET", "/assignments/members-only/", {ANON: 404, ALICE: 200, BOB: 200, MENTOR: 200}),
    (
        "GET",
        "/assignments/platform-smoke/starter.zip",
        {ANON: 200, ALICE: 200, BOB: 200, MENTOR: 200},
    ),
    (
        "GET",
        "/assignments/members-only/starter.zip",
        {ANON: 404, ALICE: 200, BOB: 200, MENTOR: 200},
    ),
    (
        "GET",
        "/assignments/platform-smoke/assets/figures/pixel.png",
        {ANON: 302, ALICE: 200, BOB: 200, MENTOR: 200},
    ),
    (
        "GET",
        "/assignments/platform-smoke/assets/solution/submission.py",
        {ANON: 302, ALICE: 404, BOB: 404, MENTOR: 404},
    ),
    (
        "GET",
        "/assignments/members-only/assets/figures/pixel.png",
        {ANON: 302, ALICE: 200, BOB: 200, MENTOR: 200},
    ),
    (
        "GET",
        "/assignments/platform-smoke/leaderboard/",
        {ANON: 200, ALICE: 200, BOB: 200, MENTOR: 200},
    ),
    (
        "GET",
        "/assignments/members-only/leaderboard/",
        {ANON: 404, ALICE: 200, BOB: 200, MENTOR: 200},
    ),
    ("POST", "/assignments/platform-smoke/submit/", {ANON: 302, ALICE: 302, BOB: 302, MENTOR: 302}),
    ("GET", "/submissions/", {ANON: 302, ALICE: 200, BOB: 200, MENTOR: 200}),
    ("GET", "/submissions/rows/", {ANON: 302, ALICE: 200, BOB: 200, MENTOR: 200}),
    ("GET", "/submissions/{submission}/", {ANON: 302, ALICE: 200, BOB: 404, MENTOR: 200}),
    ("GET", "/submissions/{submission}/panel/", {ANON: 302, ALICE: 200, BOB: 404, MENTOR: 200}),
    ("GET", "/submissions/{submission}/logs.txt", {ANON: 302, ALICE: 200, BOB: 404, MENTOR: 200}),
    ("GET", "/submissions/{submission}/code/", {ANON: 302, ALICE: 200, BOB: 404, MENTOR: 200}),
    ("POST", "/submissions/{submission}/select/", {ANON: 302, ALICE: 302, BOB: 404, MENTOR: 403}),
    ("GET", "/submissions/999999/", {ANON: 302, ALICE: 404, BOB: 404, MENTOR: 404}),
    # --- The mentor dashboard ---
    ("GET", "/dashboard/", {ANON: 302, ALICE: 403, BOB: 403, MENTOR: 200}),
    ("GET", "/dashboard/queue/", {ANON: 302, ALICE: 403, BOB: 403, MENTOR: 200}),
    ("GET", "/dashboard/grades.csv", {ANON: 302, ALICE: 403, BOB: 403, MENTOR: 200}),
    (
        "POST",
        "/dashboard/submissions/{submission}/rejudge/",
        {ANON: 302, ALICE: 403, BOB: 403, MENTOR: 302},
    ),
    (
        "POST",
        "/dashboard/assignments/platform-smoke/reveal/",
        {ANON: 302, ALICE: 403, BOB: 403, MENTOR: 302},
    ),
    (
        "POST",
        "/dashboard/assignments/platform-smoke/rejudge/",
        {ANON: 302, ALICE: 403, BOB: 403, MENTOR: 302},
    ),
    ("GET", "/dashboard/review/", {ANON: 302, ALICE: 403, BOB: 403, MENTOR: 200}),
    # --- Accounts (invitations, people, tokens, passwords) ---
    ("GET", "/accounts/invite/", {ANON: 302, ALICE: 403, BOB: 403, MENTOR: 200}),
    ("POST", "/accounts/invite/", {ANON: 302, ALICE: 403, BOB: 403, MENTOR: 200}),
    ("GET", "/accounts/people/", {ANON: 302, ALICE: 403, BOB: 403, MENTOR: 200}),
    ("GET", "/accounts/token/", {ANON: 302, ALICE: 200, BOB: 200, MENTOR: 200}),
    ("POST", "/accounts/token/revoke/", {ANON: 302, ALICE: 302, BOB: 302, MENTOR: 302}),
    ("GET", "/accounts/password/change/", {ANON: 302, ALICE: 200, BOB: 200, MENTOR: 200}),
    ("GET", "/accounts/password/reset/", {ANON: 200, ALICE: 200, BOB: 200, MENTOR: 200}),
    ("GET", "/accounts/join/no-such-link/", {ANON: 410, ALICE: 410, BOB: 410, MENTOR: 410}),
    ("POST", "/api/v1/auth/token/revoke/", {ANON: 401, ALICE: 200, BOB: 200, MENTOR: 200}),
    (
        "POST",
        "/api/v1/users/alice/token/revoke/",
        {ANON: 401, ALICE: 403, BOB: 403, MENTOR: 200},
    ),
    (
        "POST",
        "/dashboard/review/{submission}/",
        {ANON: 302, ALICE: 403, BOB: 403, MENTOR: 302},
    ),
]

CASES = [
    pytest.param(method, path, persona, expected, id=f"{persona}-{method}-{path}")
    for method, path, expectations in ACCESS_TABLE
    for persona, expected in expectations.items()
]


@pytest.fixture
def personas(mentee_a, mentee_b, mentor):  # type: ignore[no-untyped-def]
    return {ALICE: mentee_a, BOB: mentee_b, MENTOR: mentor}


def client_for(persona: str, personas: dict) -> APIClient:  # type: ignore[type-arg]
    client = APIClient()
    if persona != ANON:
        token, _ = Token.objects.get_or_create(user=personas[persona])
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        # The portal and the dashboard authenticate by session, the API by token.
        client.force_login(personas[persona])
    return client


@pytest.mark.parametrize(("method", "path", "persona", "expected"), CASES)
def test_it_answers_each_persona_as_the_table_says(  # type: ignore[no-untyped-def]
    method, path, persona, expected, personas, assignment, hidden_assignment
):
    submission = make_submission(personas[ALICE], assignment, status=Status.SCORED, score=100.0)
    client = client_for(persona, personas)
    url = path.format(submission=submission.pk)
    if method == "POST" and url.endswith(("/submissions/", "/submit/")):
        with (assignment.bundle_path / "solution" / "submission.py").open("rb") as upload:
            response = client.post(url, {"file": upload}, format="multipart")
    elif method == "POST":
        response = client.post(url, {}, format="json")
    else:
        response = client.get(url)
    assert response.status_code == expected, getattr(response, "data", response)


def test_it_never_lists_another_mentees_submissions(mentee_a, mentee_b, assignment):  # type: ignore[no-untyped-def]
    make_submission(mentee_a, assignment)
    mine = make_submission(mentee_b, assignment)
    client = client_for(BOB, {BOB: mentee_b})
    listed = client.get("/api/v1/submissions/").json()
    per_assignment = client.get("/api/v1/assignments/platform-smoke/submissions/").json()
    assert [row["id"] for row in listed] == [mine.pk]
    assert [row["id"] for row in per_assignment] == [mine.pk]


def test_it_hides_unopened_assignments_from_mentees(mentee_a, mentor, assignment):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    assignment.opens_at = timezone.now() + timedelta(days=3)
    assignment.save(update_fields=["opens_at"])
    assert client_for(ALICE, {ALICE: mentee_a}).get("/api/v1/assignments/").json() == []
    mentor_view = client_for(MENTOR, {MENTOR: mentor}).get("/api/v1/assignments/").json()
    assert [row["slug"] for row in mentor_view] == ["platform-smoke"]
