from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / 'shared'


@pytest.fixture(scope='session')
def root():
    return ROOT


@pytest.fixture(scope='session')
def shared_data():
    """The shared test data folder (a sample of the real cue-conflict stimuli); tests that need it skip when
    it is absent."""
    d = SHARED / 'data'
    if not d.is_dir():
        pytest.skip(f'shared test data not found at {d}')
    return d


@pytest.fixture(scope='session')
def reference(tmp_path_factory):
    "A finished tiny pretraining run (`test_train.BASE`), shared by the resume and fault tests; read only."
    from test_train import BASE, cli

    out = tmp_path_factory.mktemp('ref') / 'run'
    cli(BASE, out)
    return out
