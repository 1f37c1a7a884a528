"""Every block renders once per page: a block repeated through ``self.<block>()`` (social tags
repeating the title and description) renders all its calls again; base.html captures the title
and description once into ``page_title`` and ``page_description`` for such reuse instead."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
BLOCK_CALL = re.compile(r"\bself\.\w+\(\)")


def test_no_template_renders_a_block_again() -> None:
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) > 50
    repeated = [
        f"{path.relative_to(TEMPLATES)}: {match}"
        for path in templates
        for match in BLOCK_CALL.findall(path.read_text("utf-8"))
    ]
    assert repeated == []
