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


@pytest.fixture(scope='session')
def slurm(tmp_path_factory):
    """A one-node SLURM cluster started for the tests (`scripts/local_slurm.py`: as root, with Debian's
    slurm-wlm and munge installed), its client environment set while the tests use it; only the daemons it
    started are stopped afterwards. Skipped where it cannot start, unless OCCLUSION_MIM_REQUIRE_SLURM=1 (CI),
    which makes that a failure."""
    import os, sys

    sys.path.insert(0, str(ROOT / 'scripts'))
    import local_slurm

    why = None
    if os.geteuid() != 0:
        why = 'a local SLURM cluster starts as root'
    elif miss := local_slurm.missing():
        why = f"not installed: {', '.join(miss)} (apt-get install slurm-wlm munge)"
    if why:
        if os.environ.get('OCCLUSION_MIM_REQUIRE_SLURM') == '1':
            pytest.fail(f'OCCLUSION_MIM_REQUIRE_SLURM=1 but {why}')
        pytest.skip(why)
    root = tmp_path_factory.mktemp('slurm')
    env = local_slurm.start(root)
    old = {k: os.environ.get(k) for k in ('SLURM_CONF', 'PATH')}
    os.environ['SLURM_CONF'] = env['SLURM_CONF']
    os.environ['PATH'] = os.environ['PATH'] + ':/usr/sbin:/sbin'
    try:
        yield root
    finally:
        local_slurm.stop(root)
        left = local_slurm._step_daemons(Path(env['SLURM_CONF']))
        assert not left, f'slurmstepd processes of the test cluster outlived it: {left}'
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
