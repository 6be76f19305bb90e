"""The README's example queries, for the SQL page's one-click buttons.

Read from README.md at run time, so the page offers exactly what the documentation shows.
"""

from __future__ import annotations

import re
from pathlib import Path

from blocwatch.paths import REPO_ROOT

_BLOCK_RE = re.compile(r"(?:^|\n)([^\n`][^\n]*)\n\n```sql\n(.*?)```", re.S)


def parse_examples(markdown: str, section: str = "Example queries") -> list[tuple[str, str]]:
    """(label, sql) for each ```sql block in the section; the label is the sentence just
    before the block, without its trailing colon."""
    start = markdown.find(f"\n### {section}\n")
    if start == -1:
        return []
    ends = [i for i in (markdown.find("\n## ", start + 1), markdown.find("\n### ", start + 1))
            if i != -1]
    body = markdown[start:min(ends)] if ends else markdown[start:]
    return [(label.strip().rstrip(":").strip(), sql.strip())
            for label, sql in _BLOCK_RE.findall(body)]


def readme_examples(readme: Path = REPO_ROOT / "README.md") -> list[tuple[str, str]]:
    try:
        return parse_examples(readme.read_text(encoding="utf-8"))
    except OSError:
        return []
