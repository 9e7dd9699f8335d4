"""The module notebooks' inline tests, run against the installed package.

`nbdev-test` runs a notebook's own cells: its `#| export` cells define the functions its tests then call, so
those tests never touch `occlusion_mim/*.py`. Here each science notebook's other cells (tests, examples,
pictures) run in a namespace made from the exported module instead, its `#| export` cells left out: the
tests call the package's code, as a user does. This catches a package that drifted from its notebook, and it
is what lets a mutation tool, which changes `occlusion_mim/*.py`, see the notebooks' tests
(`tests/MUTATION.md`)."""

import importlib, json, os, re
from pathlib import Path
import matplotlib
import pytest

matplotlib.use('Agg')
ROOT = Path(__file__).resolve().parents[1]
# nbdev's flags (pyproject `tst_flags`) and the export directives: cells carrying them do not run here
SKIPPED = re.compile(r'^#\|\s*(export|exports|exporti|default_exp|notest|slow|gpu)\b', re.M)
# every module notebook: the common helpers and the data, the science's core (views and masking, targets
# and losses, checkpoints, training, CKA, shape bias, claims), SLURM, the run cache, the presets, what the
# figure notebooks share, and the export others load our weights through
NOTEBOOKS = {
    '00_core': 'occlusion_mim.core',
    '01_data': 'occlusion_mim.data',
    '02_augment': 'occlusion_mim.augment',
    '03_models': 'occlusion_mim.models',
    '04_checkpoints': 'occlusion_mim.checkpoints',
    '05_config': 'occlusion_mim.config',
    '06_train': 'occlusion_mim.train',
    '07_cka': 'occlusion_mim.cka',
    '08_shape_bias': 'occlusion_mim.shape_bias',
    '09_claims': 'occlusion_mim.claims',
    '10_slurm': 'occlusion_mim.slurm',
    '11_runs': 'occlusion_mim.runs',
    '12_presets': 'occlusion_mim.presets',
    '13_experiments': 'occlusion_mim.experiments',
    '14_export': 'occlusion_mim.export',
}


def runnable_cells(notebook: Path) -> list[tuple[int, str]]:
    "(index, source) of the code cells of `notebook` that are not exported and not skipped by a flag."
    cells = json.loads(notebook.read_text())['cells']
    out = []
    for i, c in enumerate(cells):
        src = ''.join(c['source'])
        if c['cell_type'] == 'code' and src.strip() and not SKIPPED.search(src):
            out.append((i, src))
    return out


def run_on_package(stem: str, module: str):
    "Run the test cells of nbs/<stem>.ipynb in a copy of `module`'s namespace, from the nbs/ folder."
    mod = importlib.import_module(module)
    ns = dict(vars(mod))
    ns['__name__'] = '__main__'
    cwd = os.getcwd()
    os.chdir(ROOT / 'nbs')
    import torch

    grad = torch.is_grad_enabled()  # a notebook may turn gradients off for its examples (04 does)
    try:
        for i, src in runnable_cells(ROOT / 'nbs' / f'{stem}.ipynb'):
            try:
                exec(compile(src, f'{stem}.ipynb[cell {i}]', 'exec'), ns)
            except Exception as e:
                raise AssertionError(f'{stem}.ipynb cell {i} failed on the package: {e!r}') from e
    finally:
        os.chdir(cwd)
        torch.set_grad_enabled(grad)
        import matplotlib.pyplot as plt

        plt.close('all')


def test_the_runner_leaves_out_exported_cells(tmp_path):
    "The namespace's functions are the package's, not redefinitions from the notebook."
    cells = runnable_cells(ROOT / 'nbs' / '08_shape_bias.ipynb')
    assert cells and not any('#| export' in s for _, s in cells)
    assert any('shape_bias(' in s for _, s in cells)


SLOW = {'06_train'}  # trains a dozen tiny runs: about a minute


@pytest.mark.parametrize(
    'stem', [pytest.param(s, marks=pytest.mark.slow) if s in SLOW else s for s in NOTEBOOKS]
)
def test_notebook_tests_pass_on_the_package(stem):
    run_on_package(stem, NOTEBOOKS[stem])


def test_every_module_notebook_is_run_on_the_package():
    "A new module notebook joins this list (and so the mutation runs' tests) or this test fails."
    stems = sorted(p.stem for p in (ROOT / 'nbs').glob('[0-9][0-9]_*.ipynb'))
    assert stems == sorted(NOTEBOOKS)
    for stem, module in NOTEBOOKS.items():
        text = (ROOT / 'nbs' / f'{stem}.ipynb').read_text()
        assert f'default_exp {module.split(".")[1]}' in text, stem
