"""Images in statements: relative links rewritten to the asset view, which serves a bundle's
public images (``figures/``, ``starter/``) to logged-in users and nothing else."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.test import Client
from platform_testkit import BUNDLES
from portal.assets import public_asset, relative_asset_path
from portal.statement import render_statement

REPO = Path(__file__).resolve().parents[3]
ASSETS = "/assignments/platform-smoke/assets/"
PNG = (BUNDLES / "platform-smoke" / "figures" / "pixel.png").read_bytes()
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 60


@pytest.fixture
def bundle(settings, tmp_path: Path, assignment) -> Path:  # type: ignore[no-untyped-def]
    """A copy of the smoke bundle with images in public and in private places."""
    root = tmp_path / "bundles"
    copy = Path(shutil.copytree(BUNDLES / "platform-smoke", root / "platform-smoke"))
    (copy / "figures" / "deep").mkdir()
    (copy / "figures" / "deep" / "photo.JPG").write_bytes(JPEG)
    (copy / "starter" / "example.png").write_bytes(PNG)
    (copy / "solution" / "secret.png").write_bytes(PNG)
    (copy / "wrong").mkdir(exist_ok=True)
    (copy / "wrong" / "bad.png").write_bytes(PNG)
    (copy / "hidden.png").write_bytes(PNG)
    (copy / "figures" / "notes.txt").write_text("not an image")
    (copy / "figures" / "chart.svg").write_text("<svg onload='alert(1)'/>")
    (copy / "figures" / "fake.png").write_text("<script>alert(1)</script>")  # not a PNG inside
    (copy / "figures" / "leak.png").symlink_to(copy / "solution" / "secret.png")
    (copy / "figures" / ".hidden.png").write_bytes(PNG)
    settings.ARENA_ASSIGNMENTS = root
    return copy


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("figures/pixel.png", "image/png", PNG),
        ("figures/deep/photo.JPG", "image/jpeg", JPEG),
        ("starter/example.png", "image/png", PNG),
    ],
)
def test_it_serves_a_public_image_to_a_logged_in_user(  # type: ignore[no-untyped-def]
    mentee_a, bundle, path, content_type, body
):
    response = logged_in(mentee_a).get(ASSETS + path)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == body


@pytest.mark.parametrize(
    "path",
    [
        "../solution/secret.png",
        "figures/../solution/secret.png",
        "figures/%2e%2e/solution/secret.png",
        "figures/..%2Fsolution/secret.png",
        "solution/secret.png",
        "wrong/bad.png",
        "hidden.png",
        "recipe.py",
        "assignment.toml",
        "figures/notes.txt",
        "figures/chart.svg",
        "figures/fake.png",
        "figures/leak.png",
        "figures/.hidden.png",
        "figures/missing.png",
        "figures//pixel.png",
        "figures/",
        "starter/submission.py",
        "/etc/passwd",
        "figures/%00.png",
    ],
)
def test_it_answers_404_for_anything_else(mentee_a, bundle, path):  # type: ignore[no-untyped-def]
    assert logged_in(mentee_a).get(ASSETS + path).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in_like_the_rest_of_the_portal(  # type: ignore[no-untyped-def]
    bundle,
):
    response = Client().get(ASSETS + "figures/pixel.png")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_assignment_the_user_may_not_see_gives_404(mentee_a, bundle, assignment):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    assignment.opens_at = timezone.now() + timedelta(days=3)  # not open yet: hidden to mentees
    assignment.save(update_fields=["opens_at"])
    assert logged_in(mentee_a).get(ASSETS + "figures/pixel.png").status_code == 404


def test_the_rendered_statement_points_at_the_asset_view(mentee_a, assignment):  # type: ignore[no-untyped-def]
    assignment.statement = (
        "# S\n\n![a chart](figures/pixel.png) ![b](./figures/deep/photo.JPG) "
        "![out](../solution/secret.png) ![web](https://example.org/x.png)\n"
    )
    assignment.save(update_fields=["statement"])
    page = logged_in(mentee_a).get("/assignments/platform-smoke/").content.decode()
    assert f'<img alt="a chart" src="{ASSETS}figures/pixel.png">' in page
    assert f'src="{ASSETS}figures/deep/photo.JPG"' in page
    assert "secret.png" not in page  # a link out of the bundle loses its src
    assert 'src="https://example.org/x.png"' in page
    served = logged_in(mentee_a).get(f"{ASSETS}figures/pixel.png")
    assert served.status_code == 200


def test_relative_image_urls_are_recognised() -> None:
    assert relative_asset_path("figures/x.png") == "figures/x.png"
    assert relative_asset_path("./figures/a/../x.png") == "figures/x.png"
    assert relative_asset_path("figures/x.png?v=2#top") == "figures/x.png"
    assert relative_asset_path("../x.png") == "../x.png"
    absolute_urls = ("https://e.org/x.png", "//e.org/x.png", "/static/x.png",
                     "data:image/png;base64,AA", "#anchor", "")
    for absolute in absolute_urls:
        assert relative_asset_path(absolute) is None


def test_render_statement_leaves_images_alone_without_a_base() -> None:
    html = render_statement("![c](figures/c.png)")
    assert 'src="figures/c.png"' in html
    html = render_statement('<img src="figures/c.png" onerror="x()">', "/a/s/assets/")
    assert html.count("<img") == 1 and 'src="/a/s/assets/figures/c.png"' in html
    assert "onerror" not in html


def test_the_bonus_statement_figure_is_a_public_asset() -> None:
    """The course's real figure: referenced by the README, served by the view's checks."""
    bundle = REPO / "assignments" / "bonus-faces"
    readme = (bundle / "README.md").read_text()
    assert "](figures/canvases.png)" in readme
    html = render_statement(readme, "/assignments/bonus-faces/assets/")
    assert 'src="/assignments/bonus-faces/assets/figures/canvases.png"' in html
    found = public_asset(bundle, "figures/canvases.png")
    assert found is not None and found[1] == "image/png"
    assert public_asset(bundle, "figures/make_figures.py") is None
    assert public_asset(bundle, "solution/face.safetensors") is None
