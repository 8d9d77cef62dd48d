"""An assignment's statement: the bundle's README markdown rendered to HTML, then sanitized.

Bundles are written by mentors, but the HTML still goes through nh3's allow-list: a statement is
shown to every mentee, and a script tag in it would run with their session.
"""

from __future__ import annotations

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

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


def render_statement(source: str) -> SafeString:
    html = markdown.markdown(source, extensions=_EXTENSIONS, output_format="html")
    clean = nh3.clean(
        html,
        tags=nh3.ALLOWED_TAGS | _EXTRA_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},  # tables align columns with inline styles
    )
    return mark_safe(clean)  # sanitized by nh3 just above
