"""Run every module notebook (nbs/NN_*.ipynb) through nbdev's test runner, as `nbdev-test` does,
skipping the cells flagged with the project's `tst_flags` (notest, slow, gpu)."""

from pathlib import Path
import pytest
import nbdev.test as nbt
from nbdev.config import get_config

ROOT = Path(__file__).resolve().parents[1]
MODULE_NBS = sorted((ROOT / 'nbs').glob('[0-9][0-9]_*.ipynb'))


def test_module_notebooks_exist():
    assert [p.name for p in MODULE_NBS][:3] == ['00_core.ipynb', '01_data.ipynb', '02_augment.ipynb']


@pytest.mark.parametrize('nb', MODULE_NBS, ids=lambda p: p.name)
def test_module_notebook(nb):
    flags = get_config(ROOT).tst_flags.split()
    ok, secs = nbt.test_nb(nb, skip_flags=flags)
    assert ok, f'{nb.name} failed (see the traceback above)'
