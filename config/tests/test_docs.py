"""The documentation holds together: links resolve, every setting is documented, nothing points outside.

Pages are README.md and every Markdown file under docs/. Anchors are checked
against GitHub's heading slugs: lower case, punctuation other than `-` and
`_` removed, spaces turned into `-`, and `-1`, `-2`, ... added to repeated
headings. No database is needed.
"""

import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
OPERATORS_PAGE = ROOT / "docs" / "operators.md"

FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
# [text](target "title") and ![alt](target); the target may be wrapped in <...>.
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # http:, https:, mailto:, ...

# Environment variables read in config/: the project's helpers and os.environ.
ENV_READ = re.compile(
    r"""(?:\benv_[a-z]+\(|os\.environ\.get\(|os\.environ\.setdefault\(|"""
    r"""os\.getenv\(|os\.environ\[)\s*["']([A-Z][A-Z0-9_]*)["']"""
)

# References to the project's issue tracker, and files that live outside the repository.
ISSUE_WORDS = re.compile(r"\b(?:issues?|pull requests?|PR)\s*#?\d+", re.IGNORECASE)
ISSUE_HASH = re.compile(r"(?<![\w&/#])#\d+\b")
OUTSIDE_FILES = re.compile(
    r"SPEC\.md|STYLE\.md|\bmission/|seed-architecture|design-card|\.\./shared|/work/", re.IGNORECASE
)


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def without_code(text: str) -> str:
    """The page with fenced code blocks and inline code removed (links there are examples)."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading (before duplicates are numbered)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links and images: their text
    text = text.replace("`", "").replace("*", "")
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading anchor of a page, with GitHub's -1, -2 for repeated headings."""
    seen: Counter = Counter()
    result = set()
    for match in HEADING.finditer(FENCE.sub("", page.read_text(encoding="utf-8"))):
        slug = github_slug(match.group(2))
        result.add(slug if seen[slug] == 0 else f"{slug}-{seen[slug]}")
        seen[slug] += 1
    return result


def links(page: Path) -> list[str]:
    text = without_code(page.read_text(encoding="utf-8"))
    return [m.group(1) for m in INLINE_LINK.finditer(text)] + [
        m.group(1) for m in REFERENCE_LINK.finditer(text)
    ]


def broken_links(page: Path) -> list[str]:
    """`file: link (why)` for each relative link or anchor of `page` that does not resolve."""
    problems = []
    for link in links(page):
        if not link or EXTERNAL.match(link):
            continue
        path_part, _, anchor = link.partition("#")
        target = (page.parent / path_part).resolve() if path_part else page
        where = f"{relative(page)}: {link}"
        if ROOT not in target.parents and target != ROOT:
            problems.append(f"{where} (points outside the repository)")
            continue
        if not target.exists():
            problems.append(f"{where} (no file {relative(target)})")
            continue
        if anchor:
            if target.suffix != ".md":
                problems.append(f"{where} (an anchor into a file that is not Markdown)")
            elif anchor not in anchors(target):
                problems.append(f"{where} (no heading in {relative(target)} has the anchor #{anchor})")
    return problems


def config_environment_variables() -> dict[str, str]:
    """Each environment variable read in config/ (not its tests), with the file that reads it."""
    found = {}
    for module in sorted((ROOT / "config").rglob("*.py")):
        if "tests" in module.relative_to(ROOT / "config").parts or module.name == "settings_test.py":
            continue
        for name in ENV_READ.findall(module.read_text(encoding="utf-8")):
            found.setdefault(name, relative(module))
    return found


def test_there_are_pages_to_check():
    names = {relative(page) for page in PAGES}
    for expected in ("README.md", "docs/operators.md", "docs/integrators.md", "docs/decisions/README.md"):
        assert expected in names


@pytest.mark.parametrize("page", PAGES, ids=relative)
def test_every_relative_link_and_anchor_resolves(page):
    problems = broken_links(page)
    assert not problems, "broken links:\n" + "\n".join(problems)


@pytest.mark.parametrize("page", PAGES, ids=relative)
def test_no_page_names_an_issue_or_a_file_outside_the_repository(page):
    text = page.read_text(encoding="utf-8")
    problems = [f"{relative(page)}: {m.group(0)!r} (an issue reference)" for m in ISSUE_WORDS.finditer(text)]
    problems += [
        f"{relative(page)}: {m.group(0)!r} (an issue reference)"
        for m in ISSUE_HASH.finditer(without_code(text))
    ]
    problems += [
        f"{relative(page)}: {m.group(0)!r} (a file outside the repository)"
        for m in OUTSIDE_FILES.finditer(text)
    ]
    assert not problems, "\n".join(problems)


def test_every_environment_variable_read_in_config_is_on_the_operators_page():
    variables = config_environment_variables()
    assert "DATABASE_URL" in variables and "WEB_CONCURRENCY" in variables, "the search found too little"
    page = OPERATORS_PAGE.read_text(encoding="utf-8")
    missing = [f"{name} (read in {module})" for name, module in variables.items() if f"`{name}`" not in page]
    assert not missing, f"{relative(OPERATORS_PAGE)} does not document: " + ", ".join(missing)


def test_the_readme_stays_short():
    size = (ROOT / "README.md").stat().st_size
    assert size <= 6 * 1024, f"README.md is {size} bytes; keep it under 6 KB and move details to docs/"


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("Limits and throttles", "limits-and-throttles"),
        ("ETags and If-Match: no lost updates", "etags-and-if-match-no-lost-updates"),
        ("The JSON feed: `/dashboard/data`", "the-json-feed-dashboarddata"),
        ("gunicorn (`config/gunicorn.py`)", "gunicorn-configgunicornpy"),
        ("Test_logs: `test_logs/`", "test_logs-test_logs"),
        ("1. The **headline** counts", "1-the-headline-counts"),
    ],
)
def test_slugs_follow_githubs_rules(heading, slug):
    assert github_slug(heading) == slug


def test_repeated_headings_get_numbered_anchors(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Setup\n\n## Setup\n\n```sh\n# Setup\n```\n\n## Setup\n", encoding="utf-8")
    assert anchors(page) == {"setup", "setup-1", "setup-2"}


def test_a_broken_link_is_reported_with_its_page(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    (tmp_path / "docs").mkdir()
    page = tmp_path / "docs" / "page.md"
    (tmp_path / "docs" / "other.md").write_text("# Other\n", encoding="utf-8")
    page.write_text(
        "# Page\n[ok](other.md#other) [gone](missing.md) [anchor](other.md#nope) [self](#page) "
        "[out](../../x.md) [web](https://example.com) `[code](missing.md)`\n",
        encoding="utf-8",
    )
    assert broken_links(page) == [
        "docs/page.md: missing.md (no file docs/missing.md)",
        "docs/page.md: other.md#nope (no heading in docs/other.md has the anchor #nope)",
        "docs/page.md: ../../x.md (points outside the repository)",
    ]
