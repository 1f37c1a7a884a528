"""The README stays short and every relative link in README.md and docs/ leads somewhere.

Anchors follow GitHub's rule for heading ids, so `docs/search.md#result-cache` must name a heading
"Result cache" in that file.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from app.config import Settings

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
README_MAX_BYTES = 10_000

FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
LINK = re.compile(r"\]\(([^)\s]+)(?:[ \t]+\"[^\"]*\")?\)")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def _prose(markdown: str) -> str:
    """The text outside fenced code blocks."""
    return FENCE.sub("", markdown)


def slug(heading: str) -> str:
    """GitHub's heading id: lower case, punctuation dropped, spaces become hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps only its text
    text = text.replace("`", "").lower()
    kept = "".join(
        ch for ch in text if ch in " -_" or unicodedata.category(ch)[0] in ("L", "N", "M")
    )
    return kept.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    seen: dict[str, int] = {}
    result = set()
    for match in HEADING.finditer(_prose(markdown)):
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


def broken_links(path: Path, root: Path) -> list[str]:
    """Every relative link of one Markdown file whose file or heading does not exist."""
    text = INLINE_CODE.sub("", _prose(path.read_text(encoding="utf-8")))
    problems = []
    for target in LINK.findall(text):
        if EXTERNAL.match(target):
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.is_relative_to(root.resolve()) or not dest.exists():
            problems.append(f"{path.name}: {target} (no such file)")
            continue
        if anchor and (dest.suffix != ".md" or anchor not in anchors(dest.read_text("utf-8"))):
            problems.append(f"{path.name}: {target} (no such heading)")
    return problems


def markdown_files() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def test_readme_fits_on_a_few_screens() -> None:
    size = len(README.read_bytes())
    assert size < README_MAX_BYTES, (
        f"README.md is {size} bytes; keep it under {README_MAX_BYTES} and move detail to docs/"
    )


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_lead_to_a_file_and_heading(path: Path) -> None:
    assert broken_links(path, ROOT) == []


def test_docs_index_lists_every_docs_file() -> None:
    index = DOCS / "README.md"
    linked = {target.partition("#")[0] for target in LINK.findall(index.read_text("utf-8"))}
    missing = [p.name for p in sorted(DOCS.glob("*.md")) if p != index and p.name not in linked]
    assert missing == [], f"add these to docs/README.md: {missing}"


def test_readme_configuration_table_has_every_setting() -> None:
    section = README.read_text("utf-8").split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`(ODOP_[A-Z0-9_]+)`", section))
    settings = {f"ODOP_{name.upper()}" for name in Settings.model_fields}
    assert sorted(settings - documented) == []


def test_the_checker_finds_a_missing_file_and_a_missing_heading(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A\n\n## Page cache: `X` (per process)\n")
    page = tmp_path / "README.md"
    page.write_text(
        "[ok](docs/a.md#page-cache-x-per-process) [top](#intro) [web](https://example.com)\n"
        "`[code](nowhere.md)`\n\n# Intro\n\n```\n[fenced](nowhere.md)\n```\n"
        "[gone](docs/b.md) [bad anchor](docs/a.md#speed) [outside](../x.md)\n"
    )
    assert broken_links(page, tmp_path) == [
        "README.md: docs/b.md (no such file)",
        "README.md: docs/a.md#speed (no such heading)",
        "README.md: ../x.md (no such file)",
    ]


def test_slug_follows_github_heading_ids() -> None:
    assert slug("Deployment (Docker)") == "deployment-docker"
    assert slug("The `odop` command") == "the-odop-command"
    assert slug("Catalog: browsing, API, SEO") == "catalog-browsing-api-seo"
    assert anchors("## Search\n\n## Search\n") == {"search", "search-1"}
