"""An assignment's statement: the bundle's README markdown rendered to HTML, then sanitized.

Bundles are written by mentors, but the HTML still goes through nh3's allow-list: a statement is
shown to every mentee, and a script tag in it would run with their session.

Relative image links (``![chart](figures/chart.png)``: relative to the bundle, as on GitHub) are
rewritten to the portal's asset view for the assignment (``portal:asset``), which serves only
the bundle's public images; a link that climbs out of the bundle (``../x.png``) loses its ``src``.
Absolute ``http(s)`` images are left alone.
"""

from __future__ import annotations

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

from portal.assets import asset_url, relative_asset_path

_EXTENSIONS = ["fenced_code", "tables", "sane_lists", "toc"]
_EXTRA_TAGS = {"table", "thead", "tbody", "tr", "th", "td", "pre", "code", "span", "div"}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},  # fenced_code marks the language: class="language-python"
    "th": {"align", "style"},
    "td": {"align", "style"},
    "h1": {"id"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
}


def render_statement(source: str, asset_base: str | None = None) -> SafeString:
    """HTML of a statement. ``asset_base``: the URL relative images are rewritten under (the
    assignment's asset view, ending in ``/``); None leaves them as written."""
    html = markdown.markdown(source, extensions=_EXTENSIONS, output_format="html")

    def rewrite(element: str, attribute: str, value: str) -> str | None:
        if asset_base is None or element != "img" or attribute != "src":
            return value
        relative = relative_asset_path(value)
        if relative is None:
            return value
        if relative == ".." or relative.startswith("../"):
            return None
        return asset_url(asset_base, relative)

    clean = nh3.clean(
        html,
        tags=nh3.ALLOWED_TAGS | _EXTRA_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=rewrite,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},  # tables align columns with inline styles
    )
    return mark_safe(clean)  # sanitized by nh3 just above
