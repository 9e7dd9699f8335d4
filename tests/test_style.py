"""The code reads as CONTRIBUTING.md asks: `ruff format` style, lines of at most 110 characters, one
statement per line (no `;` chains, no `if x: y`), in the notebooks (the package's source), the tests, the
benchmarks and the scripts. Fix with `ruff format nbs tests benchmarks scripts` and by wrapping what it
cannot."""

import subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATHS = ['nbs', 'tests', 'benchmarks', 'scripts']


def ruff(*args):
    return subprocess.run(
        [sys.executable, '-m', 'ruff', *args, *PATHS], cwd=ROOT, capture_output=True, text=True
    )


def test_lines_and_statements():
    r = ruff('check', '--select', 'E501,E701,E702,E703', '--output-format', 'concise')
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-1000:]


def test_formatted():
    r = ruff('format', '--check')
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-1000:]


def test_module_summaries_are_one_line():
    "Each module's docstring (its notebook's `>` line) is a one-line summary; the notebook's prose says more."
    import ast

    for p in sorted((ROOT / 'occlusion_mim').glob('[a-z]*.py')):
        doc = ast.get_docstring(ast.parse(p.read_text())) or ''
        summary = doc.split('\n\nDocs:')[0]
        assert summary and '\n' not in summary and len(summary) <= 110, (p.name, len(summary), summary)
