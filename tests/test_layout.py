"""Imports run one way: core; data, augment; models; checkpoints and config (a run's options); train; the
analysis (cka, shape_bias), which never imports the trainer; the claims (pure statistics on measured numbers)
and slurm (the SLURM launcher and the `occlusion-mim` command); runs (the cache); presets (the recipes);
experiments (what the figure notebooks share). Read from the generated modules (every import, top-level or
not)."""

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / 'occlusion_mim'
LAYERS = [
    ['core'],
    ['data'],
    ['augment'],
    ['models'],
    ['checkpoints', 'config'],
    ['train', 'cka', 'shape_bias', 'export'],
    ['claims', 'slurm'],
    ['runs'],
    ['presets'],
    ['experiments'],
]
LEVEL = {m: i for i, layer in enumerate(LAYERS) for m in layer}


def imported(module: str) -> set[str]:
    tree = ast.parse((PKG / f'{module}.py').read_text())
    out = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom) and n.module:
            name = n.module.removeprefix('occlusion_mim.') if n.level == 0 else n.module
            if n.level or n.module.startswith('occlusion_mim.'):
                out.add(name.split('.')[0])
        elif isinstance(n, ast.Import):
            out |= {a.name.split('.')[1] for a in n.names if a.name.startswith('occlusion_mim.')}
    return out


def test_every_module_has_a_layer():
    mods = {p.stem for p in PKG.glob('*.py') if not p.stem.startswith('_')}
    assert mods == set(LEVEL), mods ^ set(LEVEL)


def test_imports_point_down():
    for m in LEVEL:
        for dep in imported(m) - {m}:  # a module naming itself (slurm: by name for pickling) is no layer
            assert LEVEL[dep] < LEVEL[m], f'{m} imports {dep}'


def test_analysis_does_not_import_the_trainer():
    assert 'train' not in imported('cka') and 'train' not in imported('shape_bias')


def test_claims_are_pure_statistics():
    "The claims take measured numbers: no trainer, no cache, no model, no files of the package's own."
    assert imported('claims') <= {'cka'}, imported('claims')


def test_experiments_still_offers_what_the_figure_notebooks_import():
    """The split left `occlusion_mim.experiments` offering every name the figure notebooks import from it or
    from its new homes (claims, runs, presets), as the very object of its home: scripts written before the
    split keep working."""
    import importlib, json, re

    ex = importlib.import_module('occlusion_mim.experiments')
    homes = [importlib.import_module(f'occlusion_mim.{m}') for m in ('claims', 'runs', 'presets')]
    NAMES = r'(?:\(([^)]*)\)|([^\n(]+))'  # a parenthesised list or the rest of the line
    names = set()
    for nb in sorted((PKG.parent / 'nbs').glob('*.ipynb')):
        if not nb.name.startswith(('fig', 'tab_')):
            continue
        for c in json.loads(nb.read_text())['cells']:
            src = ''.join(c['source'])
            found = re.finditer(
                r'from occlusion_mim\.(?:experiments|claims|runs|presets) import ' + NAMES, src
            )
            for m in found:
                names |= {
                    x.strip() for x in (m.group(1) or m.group(2)).replace('\n', ',').split(',') if x.strip()
                }
    assert len(names) > 40, names  # fig1-fig4 and tab_aug import most of the figure-notebook toolkit
    for n in sorted(names):
        assert hasattr(ex, n), f'occlusion_mim.experiments no longer offers {n}'
        for h in homes:
            if n in getattr(h, '__all__', ()):
                assert getattr(ex, n) is getattr(h, n), f'experiments.{n} is not {h.__name__}.{n}'


def test_the_fast_tier_runs_every_module_notebook():
    "`pytest -m 'not slow'` (the README's fast tier) keeps the inline tests of every module notebook."
    import subprocess, sys

    r = subprocess.run(
        [sys.executable, '-m', 'pytest', '--collect-only', '-q', '-m', 'not slow', 'tests/test_notebooks.py'],
        cwd=PKG.parent,
        capture_output=True,
        text=True,
    )
    notebooks = {p.name for p in (PKG.parent / 'nbs').glob('[0-9][0-9]_*.ipynb')}
    assert len(notebooks) == len(LEVEL) and all(f'[{n}]' in r.stdout for n in notebooks), r.stdout[-2000:]
