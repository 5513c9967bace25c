"""The README's generated tables (saved questions, controls, schema) are what scripts/sync-readme writes.

CI runs this file like any other test, so a header, framework or schema change that leaves the README
behind fails with the command that fixes it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from graphgov.questions.catalog import catalog
from graphgov.questions.controls import questions_table_markdown

ROOT = Path(__file__).resolve().parent.parent
SYNC = ROOT / "scripts" / "sync-readme"


def sync(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, str(SYNC), *args], capture_output=True, text=True, env=env, timeout=120)


def test_readme_generated_tables_are_current():
    result = sync("--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_stale_table_fails_naming_the_command_that_fixes_it(tmp_path):
    readme = tmp_path / "README.md"
    shutil.copy(ROOT / "README.md", readme)
    text = readme.read_text()
    readme.write_text(re.sub(r"^\| `shadow-ai` \|.*\n", "", text, count=1, flags=re.M))  # a question left out
    result = sync("--check", "--readme", str(readme))
    assert result.returncode == 1
    assert result.stderr.strip() == ("README.md: the generated questions table(s) are stale; run `scripts/sync-readme` "
                                     "and commit README.md")
    assert [line for line in result.stdout.splitlines() if line.startswith(("+|", "-|"))] == [
        next(f"+{line}" for line in questions_table_markdown().splitlines() if line.startswith("| `shadow-ai` |"))]
    assert sync("--readme", str(readme)).returncode == 0
    assert readme.read_text() == text  # rewriting restores it, nothing else changes


def test_the_questions_table_has_one_row_per_saved_question():
    rows = questions_table_markdown().splitlines()[2:]
    assert [row.split(" | ")[0] for row in rows] == [f"| `{qid}`" for qid in sorted(catalog())]
    assert len(rows) == 21
    assert ("| `object-readers` | Who read objects in a bucket | medium | `bucket`, `prefix` (optional) | "
            "`s3-data-events` | eu-ai-act Art.10(5)(c); nist-ai-rmf MEASURE 2.10; soc2 CC6.1; gdpr Art.30(1)(d) |"
            ) in rows
