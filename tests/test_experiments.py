"""Every experiment notebook runs through papermill with tiny parameters and writes its figure (PNG, PDF),
its data (CSV) and a manifest outside nbs/; bad parameters stop it with a message naming them."""
import json
from pathlib import Path
import pytest
import papermill as pm
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
TINY = {
    'fig1.ipynb': dict(n_images=2, size=64, patch_size=8, augmentations='mask;cutmix;color;mask+cutmix+color'),
}


def run(nb, tmp_path, **params):
    out = tmp_path/'out'
    pm.execute_notebook(str(ROOT/'nbs'/nb), str(tmp_path/nb), parameters=dict(out_dir=str(out), **params),
                        cwd=str(ROOT/'nbs'), progress_bar=False, kernel_name='python3')
    return out


def test_every_experiment_notebook_has_tiny_parameters():
    nbs = sorted(p.name for p in (ROOT/'nbs').glob('*.ipynb') if p.name.startswith(('fig', 'tab_')))
    assert nbs and set(nbs) <= set(TINY), f'add tiny parameters for {set(nbs) - set(TINY)}'


@pytest.mark.parametrize('nb', sorted(TINY))
def test_experiment_notebook_runs(nb, tmp_path):
    stem = nb.removesuffix('.ipynb')
    out = run(nb, tmp_path, **TINY[nb])
    for ext in ('png', 'pdf', 'csv'): assert (out/f'{stem}.{ext}').stat().st_size > 0
    m = json.loads((out/'manifest.json').read_text())
    assert m['params']['seed'] == 0 and 'torch' in m['versions']
    assert not list((ROOT/'nbs').glob('outputs')), 'notebooks must not write into nbs/'


def test_fig1_data(tmp_path):
    out = run('fig1.ipynb', tmp_path, **TINY['fig1.ipynb'])
    df = pd.read_csv(out/'fig1.csv')
    assert set(df.augmentation) == {'mask', 'cutmix', 'color', 'mask+cutmix+color'}
    L = (64//8)**2
    masked = df[df.augmentation.str.contains('mask')].masked_patch_fraction
    assert (masked == round((L - int(L*0.25))/L, 4)).all()
    assert (df[df.augmentation == 'cutmix'].mean_abs_change > 0).all()


@pytest.mark.parametrize('params, message', [
    (dict(preset='papr'), "preset='papr'"),
    (dict(augmentations='mask;blur'), "'blur'"),
    (dict(mask_ratio=1.5), 'mask_ratio=1.5'),
    (dict(images='/no/such/folder'), '/no/such/folder'),
])
def test_fig1_bad_parameters(tmp_path, params, message):
    with pytest.raises(pm.PapermillExecutionError) as e: run('fig1.ipynb', tmp_path, size=64, patch_size=8, **params)
    assert message in str(e.value)
