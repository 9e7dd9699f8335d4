import os
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
