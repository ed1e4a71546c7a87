"""`{% brand_public_stories product %}`: the published stories of a product, for its public
page. The registry's template loads this library rather than the registry importing the brand
app: the registry sits below it. `story_html` shows a story's body."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from dibiao.brand.html import clean_story_html
from dibiao.brand.selectors import stories_public

register = template.Library()


@register.inclusion_tag("brand/_public_stories.html")
def brand_public_stories(product: Any) -> dict[str, Any]:
    return {"product": product, "stories": list(stories_public(product=product))}


@register.filter
def story_html(body: str) -> SafeString:
    """A story's body as HTML. It was cleaned when saved; cleaning it again here costs little
    and keeps a row written some other way (a shell, a future import) from running scripts."""
    return mark_safe(clean_story_html(body or ""))  # noqa: S308 (cleaned by nh3 just now)
