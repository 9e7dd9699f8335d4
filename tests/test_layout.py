"""Imports run one way: core; data, augment; models; checkpoints; train; the analysis (cka, shape_bias), which
never imports the trainer; slurm (the SLURM launcher and the `occlusion-mim` command); experiments. Read
from the generated modules (every import, top-level or not)."""

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / 'occlusion_mim'
LAYERS = [
    ['core'],
    ['data'],
    ['augment'],
    ['models'],
    ['checkpoints'],
    ['train', 'cka', 'shape_bias'],
    ['slurm'],
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
