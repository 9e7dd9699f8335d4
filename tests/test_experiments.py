"""Every experiment notebook runs through papermill with tiny parameters and writes its figure (PNG, PDF),
its data (CSV) and a manifest outside nbs/; bad parameters stop it with a message naming them."""

import json, re
from pathlib import Path
import pytest
import papermill as pm
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
TINY = {
    'fig1.ipynb': dict(
        n_images=2, size=64, patch_size=8, augmentations='mask;cutmix;color;mask+cutmix+color'
    ),
    'fig2.ipynb': dict(
        one_image_epochs=1,
        full_epochs=1,
        finetune_epochs=1,
        cka_images=24,
        epoch_length=64,
        ci=6,
        top1_images=200,
        seeds=1,
        n_per_class=20,
    ),
    'fig3.ipynb': dict(
        epochs=[1, 2],
        finetune_epochs=1,
        cka_images=24,
        epoch_length=64,
        ci=6,
        top1_images=200,
        seeds=1,
        n_per_class=20,
    ),
    'fig4.ipynb': dict(full_epochs=1, finetune_epochs=1, n_per_pair=1, seeds=1, n_per_class=20),
    'tab_aug.ipynb': dict(
        compositions='none;mask+cutmix+color',
        pretrain_epochs=1,
        finetune_epochs=1,
        top1_images=200,
        n_per_class=20,
    ),
}
CACHE = {}


def tmp_path_factory_root(p):
    "The pytest session's base temporary folder (parent of every test's tmp_path)."
    p = Path(p)
    while p.parent.name and not p.parent.name.startswith('pytest-'):
        p = p.parent
    return p.parent


def run(nb, tmp_path, **params):
    """Execute `nb` with `params` into tmp_path; the trained-run cache is shared by the tests of one session
    (Fig. 2 and Fig. 4 share runs)."""
    out = tmp_path / 'out'
    tmp_path.mkdir(parents=True, exist_ok=True)
    if 'dir' not in CACHE:
        CACHE['dir'] = str(tmp_path_factory_root(tmp_path) / 'shared_run_cache')
    if not nb.startswith('fig1'):
        params.setdefault('cache_dir', CACHE['dir'])
    pm.execute_notebook(
        str(ROOT / 'nbs' / nb),
        str(tmp_path / nb),
        parameters=dict(out_dir=str(out), **params),
        cwd=str(ROOT / 'nbs'),
        progress_bar=False,
        kernel_name='python3',
    )
    return out


def test_every_experiment_notebook_has_tiny_parameters():
    nbs = sorted(p.name for p in (ROOT / 'nbs').glob('*.ipynb') if p.name.startswith(('fig', 'tab_')))
    assert nbs and set(nbs) <= set(TINY), f'add tiny parameters for {set(nbs) - set(TINY)}'


@pytest.mark.parametrize('nb', sorted(TINY))
def test_papermill_reads_every_parameter_and_its_help(nb):
    "`papermill --help-notebook` lists each parameter with its help (a comment it cannot parse drops both)."
    import ast

    cells = json.loads((ROOT / 'nbs' / nb).read_text())['cells']
    src = ''.join(next(c for c in cells if 'parameters' in c['metadata'].get('tags', []))['source'])
    names = [n.target.id for n in ast.parse(src).body if isinstance(n, ast.AnnAssign)]
    found = pm.inspect_notebook(str(ROOT / 'nbs' / nb))
    assert list(found) == names, f'papermill reads {sorted(set(names) - set(found))} from {nb} as nothing'
    assert all(p['help'] for p in found.values()), [k for k, p in found.items() if not p['help']]
    # a help that names the presets' values ("None: the preset's (1 default, 100 paper)") names RECIPES' own
    from occlusion_mim.presets import RECIPES

    where = dict(
        full_epochs=lambda R: R['full_epochs'],
        pretrain_epochs=lambda R: R['full_epochs'],
        # the augmentation table fine-tunes for the recipe's `table_finetune_epochs` where it has them
        finetune_epochs=lambda R: (
            (nb == 'tab_aug.ipynb' and R.get('table_finetune_epochs')) or R['finetune']['epochs']
        ),
        cka_images=lambda R: R['cka_images'],
        seeds=lambda R: R['seeds'],
    )
    for k, p in found.items():
        m = re.search(r"None: the preset's \(([\d,]+)(?: default)?, ([\d,]+)(?: paper)?\)", p['help'])
        if m and k in where:
            said = [int(x.replace(',', '')) for x in m.groups()]
            assert said == [where[k](RECIPES[x]) for x in ('default', 'paper')], (nb, k, p['help'])


@pytest.mark.slow
@pytest.mark.parametrize('nb', sorted(TINY))
def test_experiment_notebook_runs(nb, tmp_path):
    stem = nb.removesuffix('.ipynb')
    out = run(nb, tmp_path, **TINY[nb])
    for ext in ('png', 'pdf', 'csv'):
        assert (out / f'{stem}.{ext}').stat().st_size > 0
    m = json.loads((out / 'manifest.json').read_text())
    assert m['params']['seed'] == 0 and 'torch' in m['versions']
    assert not list((ROOT / 'nbs').glob('outputs')), 'notebooks must not write into nbs/'


@pytest.mark.slow  # runs a notebook (papermill, a kernel)
def test_fig1_data(tmp_path):
    out = run('fig1.ipynb', tmp_path, **TINY['fig1.ipynb'])
    df = pd.read_csv(out / 'fig1.csv')
    assert set(df.augmentation) == {'mask', 'cutmix', 'color', 'mask+cutmix+color'}
    L = (64 // 8) ** 2
    masked = df[df.augmentation.str.contains('mask')].masked_patch_fraction
    assert (masked == round((L - int(L * 0.25)) / L, 4)).all()
    assert (df[df.augmentation == 'cutmix'].mean_abs_change > 0).all()
    # what is occluded in the pixels: all the masked patches alone; less once the paste uncovers some
    mask_only, comp = df[df.augmentation == 'mask'], df[df.augmentation == 'mask+cutmix+color']
    assert (mask_only.occluded_pixel_fraction == mask_only.masked_patch_fraction).all()
    assert (comp.occluded_pixel_fraction < comp.masked_patch_fraction).all()
    assert (df[df.augmentation.isin(['cutmix', 'color'])].occluded_pixel_fraction == 0).all()


@pytest.mark.slow  # runs a notebook (papermill, a kernel)
def test_fig1_fits_a_notebook_column(tmp_path):
    "Every composition (8 columns) in about 9.6 inches at 150 dpi: it was 15 inches of 7-pixel titles."
    from PIL import Image

    out = run('fig1.ipynb', tmp_path, n_images=1, size=64, patch_size=8)
    assert Image.open(out / 'fig1.png').width <= 1500


@pytest.mark.slow  # runs a notebook (papermill, a kernel)
@pytest.mark.parametrize(
    'params, message',
    [
        (dict(preset='papr'), "preset='papr'"),
        (dict(augmentations='mask;blur'), "'blur'"),
        (dict(mask_ratio=1.5), 'mask_ratio=1.5'),
        (dict(seed='abc'), "seed='abc' has type str; expected int"),
        (dict(images='/no/such/folder'), '/no/such/folder'),
    ],
)
def test_fig1_bad_parameters(tmp_path, params, message):
    with pytest.raises(pm.PapermillExecutionError) as e:
        run('fig1.ipynb', tmp_path, size=64, patch_size=8, **params)
    assert message in str(e.value)


@pytest.mark.slow
def test_fig3_data_and_claims(tmp_path):
    out = run('fig3.ipynb', tmp_path, **TINY['fig3.ipynb'])
    df, runs = pd.read_csv(out / 'fig3.csv'), pd.read_csv(out / 'fig3_runs.csv')
    assert set(runs.panel) == {'1E', '2E', '1E+aug', '2E+aug'}
    # 4 runs x (PT, FT) x 9 ratios, and the three baselines x 9 ratios
    assert len(df) == (4 * 2 + 3) * 9 and df.cka.between(-1e-9, 1 + 1e-9).all()
    assert set(df.model) == {'PT', 'FT', 'untrained', 'pixels, mean', 'pixels, patches'}
    assert ((df.cka_lo < df.cka) & (df.cka < df.cka_hi)).all()  # every value has its interval
    assert (runs.ft_n == 200).all()  # top-1 on the held-out images asked for
    claims = pd.read_csv(out / 'fig3_claims.csv')
    assert list(claims.claim) == ['C3', 'C4']
    from occlusion_mim.claims import VERDICTS

    assert claims.verdict.isin(VERDICTS[:-1]).all()
    # the instrument's own check sits in both claims: does CKA tell PT from the untrained encoder?
    assert claims.evidence.str.contains('PT - untrained, mean CKA (the instrument check)', regex=False).all()
    # the difference panels' data: every run's PT and FT minus the untrained encoder, PT minus the pixel mean,
    # recomputed from the curves in fig3.csv
    diff = pd.read_csv(out / 'fig3_diff.csv')
    assert len(diff) == 4 * 3 * 9 and set(diff.comparison) == {
        'PT - untrained',
        'FT - untrained',
        'PT - pixels, mean',
    }
    cka = df[df.panel != 'baseline'].set_index(['panel', 'model', 'ratio']).cka
    base_cka = df[df.panel == 'baseline'].set_index(['model', 'ratio']).cka
    for _, r in diff.iterrows():
        st, b = r.comparison.split(' - ')
        assert abs(r['diff'] - (cka[(r.panel, st, r.ratio)] - base_cka[(b, r.ratio)])) < 1e-9, r
    assert ((diff.lo <= diff['diff'] + 1e-12) & (diff['diff'] <= diff.hi + 1e-12)).all()
    assert (diff.hi - diff.lo).gt(0).mean() > 0.5  # paired jackknife bands (CKA can be 1.0 at 0.1 in both)
    base = runs[~runs.aug].sort_values('epochs')
    c3 = claims.set_index('claim').loc['C3']  # its shown effect: the change of PT mean CKA, recomputed here
    assert (
        abs(c3.estimate - (base.pt_cka.iloc[-1] - base.pt_cka.iloc[0])) < 1e-9 and c3.lo < c3.estimate < c3.hi
    )
    m = json.loads((out / 'manifest.json').read_text())
    assert m['params']['epochs_used'] == [1, 2]


@pytest.mark.slow
def test_fig3_seeds_are_combined(tmp_path):
    "Two seeds: every run and measurement repeats per seed; each claim's effect is the mean over the seeds."
    out = run('fig3.ipynb', tmp_path, **{**TINY['fig3.ipynb'], 'seeds': 2, 'with_aug': False})
    runs = pd.read_csv(out / 'fig3_runs.csv')
    assert sorted(set(runs.seed)) == [0, 1] and len(runs) == 4
    change = [
        r.sort_values('epochs').pt_cka.iloc[-1] - r.sort_values('epochs').pt_cka.iloc[0]
        for _, r in runs.groupby('seed')
    ]
    c3 = pd.read_csv(out / 'fig3_claims.csv').set_index('claim').loc['C3']
    assert c3.seeds == 2 and abs(c3.estimate - sum(change) / 2) < 1e-9
    half = 12.706 * abs(change[0] - change[1]) / 2**0.5 / 2**0.5  # t(1) x sd / sqrt(2)
    assert abs((c3.hi - c3.lo) / 2 - half) < 1e-9


@pytest.mark.slow
def test_tab_aug_seeds_are_combined(tmp_path):
    "Two seeds: each cell's top-1 is the mean of its runs, its interval t(1) x sd / sqrt(2) around it."
    p = {
        **TINY['tab_aug.ipynb'],
        'methods': 'mae',
        'compositions': 'none',
        'seeds': 2,
        'occlusion_free': False,
    }
    out = run('tab_aug.ipynb', tmp_path, **p)
    runs, cells = pd.read_csv(out / 'tab_aug.csv'), pd.read_csv(out / 'tab_aug_cells.csv')
    assert sorted(runs.seed) == [0, 1] and runs.ft_run.nunique() == 2 and (runs.top1_n == 200).all()
    cell = cells.set_index(['method', 'composition']).loc[('mae', 'none')]
    assert cell.seeds == 2 and abs(cell.top1 - runs.top1.mean()) < 1e-9
    half = 12.706 * abs(runs.top1.iloc[0] - runs.top1.iloc[1]) / 2**0.5 / 2**0.5
    assert abs((cell.hi - cell.lo) / 2 - half) < 1e-9 and abs((cell.hi + cell.lo) / 2 - cell.top1) < 1e-9


@pytest.mark.slow
def test_tab_aug_occlusion_free_control(tmp_path):
    """The control row turns the token masking off (mask ratio 0) and adds nothing; every other row keeps it.
    MoCo v3 (a column from the registry) masks no tokens: it has no control cell, and the table says so."""
    import math

    p = {**TINY['tab_aug.ipynb'], 'methods': 'mae,mocov3', 'compositions': 'none'}
    out = run('tab_aug.ipynb', tmp_path, **p)
    both = pd.read_csv(out / 'tab_aug.csv')
    assert list(both[both.method == 'mocov3'].composition) == ['none']
    runs = both[both.method == 'mae'].set_index('composition')
    assert list(runs.index) == ['none', 'no occlusion']
    assert (runs.token_mask['none'], runs.token_mask['no occlusion']) == (0.75, 0.0)
    assert not runs.loc['no occlusion', ['mask', 'cutmix', 'color']].any()
    used = json.loads((Path(CACHE['dir']) / runs.pt_run['no occlusion'] / 'run.json').read_text())['params']
    assert (used['mask_ratio'], used['source_aug']) == (0.0, 'none')
    # nothing masked: MAE's loss is the mean error over every patch, finite and positive (not 0 / 0)
    assert math.isfinite(runs.pt_loss['no occlusion']) and runs.pt_loss['no occlusion'] > 0
    md = (out / 'tab_aug.md').read_text()
    assert md.count('| 75% |') == 1 and md.count('| 0% |') == 1
    assert 'MoCo v3 top-1' in md and md.splitlines()[-1].endswith('| - |')  # the control: no MoCo v3 cell
    nb = (tmp_path / 'tab_aug.ipynb').read_text()
    assert 'token masking alone minus no occlusion at all' in nb


@pytest.mark.slow
def test_fig3_int_epochs_means_two_panels(tmp_path):
    out = run('fig3.ipynb', tmp_path, **{**TINY['fig3.ipynb'], 'epochs': 4, 'with_aug': False})
    assert list(pd.read_csv(out / 'fig3_runs.csv').panel) == ['1E', '4E']
    # the summary near the top is filled by the last cell: this run's numbers and verdicts, up there
    cells = json.loads((tmp_path / 'fig3.ipynb').read_text())['cells']
    slot = [c for c in cells if c['cell_type'] == 'code' and ''.join(c['source']).strip() == 'summary_slot()']
    assert len(slot) == 1 and cells.index(slot[0]) < 8, 'the summary slot belongs near the top'
    text = ''.join(''.join(o['data']['text/markdown']) for o in slot[0]['outputs'] if 'data' in o)
    assert text.startswith('**This run, in numbers**'), text
    assert '1E ' in text and '4E ' in text and 'C3 **' in text and 'C4 **' in text, text


def test_gallery_notebooks_run_the_code_in_nbs():
    "Each executed gallery notebook holds the code of its nbs/ notebook (plus papermill's parameters)."
    gallery = sorted((ROOT / 'docs' / 'gallery').glob('*.ipynb'))
    assert gallery, 'docs/gallery has no executed notebooks'

    def code(path):
        cells = json.loads(path.read_text())['cells']
        keep = [c for c in cells if 'injected-parameters' not in c.get('metadata', {}).get('tags', [])]
        return [''.join(c['source']) for c in keep if c['cell_type'] == 'code']

    for g in gallery:
        assert code(g) == code(ROOT / 'nbs' / g.name), f'{g} was run from other code than nbs/{g.name}'


def test_readme_claims_table_is_the_gallerys():
    "The README's claims table is the one the gallery's run wrote (docs/gallery/claims.md), row for row."

    def rows(path):
        return [line for line in path.read_text().splitlines() if line.startswith('| C')]

    gallery = rows(ROOT / 'docs' / 'gallery' / 'claims.md')
    assert len(gallery) >= 6, 'docs/gallery/claims.md has no claims table'
    assert rows(ROOT / 'README.md') == gallery, 'README.md: copy the claims table from docs/gallery/claims.md'


def test_gallery_shows_no_machine_paths_and_one_cache_line():
    "The executed gallery notebooks show relative paths and one line about the cache, not one per run."
    for g in sorted((ROOT / 'docs' / 'gallery').glob('*.ipynb')):
        cells = json.loads(g.read_text())['cells']
        text = json.dumps([c.get('outputs', []) for c in cells]) + json.dumps([c['source'] for c in cells])
        assert not re.search(r'(?<![\w.])/(home|work|tmp|Users|root)/', text), (
            f'{g.name} shows an absolute path'
        )
        assert 'cached: ' not in text, f'{g.name} lists the cached runs one by one'
        if g.stem != 'fig1':
            assert len(re.findall(r'training runs: \d+ from the cache', text)) == 1, g.name


def test_gallery_notebooks_store_the_installed_kernelspec():
    "Opening a gallery notebook in JupyterLab must not mark it modified: its kernelspec is the installed one."
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec('python3')
    for g in sorted((ROOT / 'docs' / 'gallery').glob('*.ipynb')):
        ks = json.loads(g.read_text())['metadata']['kernelspec']
        assert (ks['name'], ks['display_name']) == ('python3', spec.display_name), (g.name, ks)


@pytest.mark.slow
def test_fig2_and_fig4_share_the_full_set_mae(tmp_path):
    out2 = run('fig2.ipynb', tmp_path / 'a', **TINY['fig2.ipynb'])
    runs = pd.read_csv(out2 / 'fig2_runs.csv')
    mae_runs = set(runs.run[runs.data == 'Full-set'])
    assert (tmp_path / 'a' / 'fig2.ipynb').exists()
    # the lower row's data: each encoder minus the untrained one, PT minus the pixel mean (from fig2.csv)
    curves = pd.read_csv(out2 / 'fig2.csv').set_index(['model', 'ratio']).cka
    diff = pd.read_csv(out2 / 'fig2_diff.csv')
    assert len(diff) == 2 * 3 * 9
    for _, r in diff.iterrows():
        st, b = r.comparison.split(' - ')
        assert abs(r['diff'] - (curves[(f'{r.data} {st}', r.ratio)] - curves[(b, r.ratio)])) < 1e-9, r
    assert ((diff.lo <= diff['diff'] + 1e-12) & (diff['diff'] <= diff.hi + 1e-12)).all()
    c1 = pd.read_csv(out2 / 'fig2_claims.csv').set_index('claim').loc['C1']
    assert c1.verdict != 'not distinguishable from the baseline' or c1.baseline in (
        'the untrained encoder',
        'the pixel mean',
        'the untrained encoder; the pixel mean',
    )
    # two people in model-vs-human's raw-data format, on the generated stimuli's names (counted by hand:
    # subject-01 shape, texture, other -> 1/2; subject-02 texture -> 0; together 1 shape, 2 texture -> 1/3)
    people = tmp_path / 'people'
    people.mkdir()
    head = 'subj,session,trial,rt,object_response,category,condition,imagename\n'
    (people / 'cue-conflict_subject-01_session_1.csv').write_text(
        head + 'subject-01,1,1,700,circle,circle,0,circle1-square1.png\n'
        'subject-01,1,2,650,circle,square,0,square1-circle1.png\n'
        'subject-01,1,3,800,heart,triangle,0,triangle1-star1.png\n'
    )
    (people / 'cue-conflict_subject-02_session_1.csv').write_text(
        head + 'subject-02,1,1,600,square,circle,0,circle1-square1.png\n'
    )
    out4 = run('fig4.ipynb', tmp_path / 'b', human_data=str(people), **TINY['fig4.ipynb'])
    nb4 = (tmp_path / 'b' / 'fig4.ipynb').read_text()
    humans = pd.read_csv(out4 / 'fig4_humans.csv').set_index('subject')
    assert humans.shape_bias.to_dict() == {'subject-01': 0.5, 'subject-02': 0.0}
    assert 'people (2 subjects of human_data): shape bias 0.33 pooled' in nb4
    used = pd.read_csv(out4 / 'fig4_runs_used.csv').set_index('run')
    assert mae_runs <= set(used.index), 'Fig. 4 did not use the full-set MAE runs of Fig. 2'
    assert not used.trained_now[list(mae_runs)].any(), 'Fig. 4 retrained the MAE runs Fig. 2 had cached'
    assert re.search(r'\d+ training runs: \d+ from the cache, \d+ trained now', nb4)
    assert 'cached: ' not in nb4  # one summary line, not one line per run
    per = pd.read_csv(out4 / 'fig4.csv')
    five = {'supervised', 'mae', 'mocov3', 'r_mae', 'c_mae'}
    assert set(per.method) == five | {'mae, longer', 'r_mae, longer', 'c_mae, longer'}  # C6's longer runs
    # every shape bias recounted from the trials: shape decisions / (shape + texture decisions)
    trials = pd.read_csv(out4 / 'fig4_trials.csv')
    for (m, c), g in trials.groupby(['method', 'shape']):
        k, t = int((g.decision == g['shape']).sum()), int((g.decision == g.texture).sum())
        row = per[(per.method == m) & (per.category == c)].iloc[0]
        assert (row.n_trials, row.n_shape, row.n_texture) == (len(g), k, t), (m, c)
        assert k + t == 0 or abs(row.shape_bias - k / (k + t)) < 1e-12, (m, c)
    for m, g in trials.groupby('method'):
        k, t = (g.decision == g['shape']).sum(), (g.decision == g.texture).sum()
        assert abs(per[per.method == m]['mean'].iloc[0] - k / (k + t)) < 1e-12, m
    # each model's decisions in model-vs-human's format, read back: the same shape bias
    from occlusion_mim.shape_bias import read_decisions

    mvh = read_decisions(out4 / 'model-vs-human')
    assert sorted(mvh) == sorted(f"{m.replace(', longer', '-longer')}-seed0" for m in set(per.method))
    for m in set(per.method):
        got = mvh[f"{m.replace(', longer', '-longer')}-seed0"]
        assert got.mean == per[per.method == m]['mean'].iloc[0] and len(got.trials) == len(
            trials[trials.method == m]
        )
    claims = pd.read_csv(out4 / 'fig4_claims.csv')
    assert list(claims.claim) == [
        'C5',
        'C5 (pooled)',
        'C5 (category mean)',
        'C6',
        'C6 (pooled)',
        'C6 (category mean)',
    ]
    # C6's shown effect: MAE's pooled shape bias after the longer pretraining minus after the standard one
    c6 = claims.set_index('claim').loc['C6 (pooled)']
    pooled = per.groupby('method')['mean'].first()
    assert c6.effect == 'mae: longer - standard pretraining'
    assert abs(c6.estimate - (pooled['mae, longer'] - pooled['mae'])) < 1e-12
    assert 'mae, r_mae, c_mae' in c6.statement
    # each model's intervals: the paired bootstrap of its seed's decisions, recomputed from the trials
    import numpy as np
    from occlusion_mim.shape_bias import ShapeBias, bias_bootstrap

    s = pd.read_csv(out4 / 'fig4_summary.csv').set_index('method')
    sb = {
        m: ShapeBias(np.nan, np.nan, pd.DataFrame(), g, []) for m, g in trials.groupby('method', sort=False)
    }
    boot = bias_bootstrap(sb, n_boot=2000, seed=0)
    for m in sb:
        assert tuple(s.loc[m, ['shape_bias', 'lo', 'hi']]) == pytest.approx(boot.interval(m)), m
        want = boot.interval(m, 'category_mean')
        assert tuple(s.loc[m, ['category_mean', 'category_lo', 'category_hi']]) == pytest.approx(want), m


@pytest.mark.slow
@pytest.mark.parametrize(
    'nb, params, message',
    [
        ('fig3.ipynb', dict(epochs='many'), "epochs='many'"),
        ('fig3.ipynb', dict(preset='paper'), 'needs `imagenet`'),
        ('fig3.ipynb', dict(imagenet='/no/imagenet'), "imagenet='/no/imagenet'"),
        ('fig3.ipynb', dict(strong_aug='blur'), "'blur'"),
        ('fig2.ipynb', dict(one_image_epochs=0), 'one_image_epochs=0'),
        ('fig4.ipynb', dict(longer_epochs=1), 'longer_epochs=1'),
        ('fig4.ipynb', dict(methods='mae,byol'), "method='byol'"),
        ('fig4.ipynb', dict(preset='paper', imagenet='.'), 'needs `stimuli`'),
        ('tab_aug.ipynb', dict(methods='mae,byol'), "method='byol'"),
        ('tab_aug.ipynb', dict(compositions='mask+blur'), "'blur'"),
    ],
)
def test_bad_parameters_stop_before_training(tmp_path, nb, params, message):
    with pytest.raises(pm.PapermillExecutionError) as e:
        run(nb, tmp_path, **params)
    assert message in str(e.value)
    assert not list(tmp_path.glob('out/*.png')), 'nothing is written when the parameters are bad'


@pytest.mark.slow
def test_run_all_executes_and_collects(tmp_path):
    import subprocess, sys

    cache = tmp_path_factory_root(tmp_path) / 'shared_run_cache'
    # an earlier gallery: a subset's run replaces its own rows of run_all.csv and keeps the others
    (tmp_path / 'g').mkdir()
    earlier = pd.DataFrame(dict(notebook=['fig3', 'fig4'], preset='default', seconds=[999.0, 12.5], ok=True))
    earlier.to_csv(tmp_path / 'g' / 'run_all.csv', index=False)
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / 'scripts' / 'run_all.py'),
            '--only',
            'fig1,fig3',
            '--out',
            str(tmp_path / 'o'),
            '--gallery',
            str(tmp_path / 'g'),
            '-p',
            'n_images=2',
            '-p',
            'size=64',
            '-p',
            'patch_size=8',
            '-p',
            'epochs=[1]',
            '-p',
            'with_aug=False',
            '-p',
            'finetune_epochs=1',
            '-p',
            'cka_images=24',
            '-p',
            'epoch_length=64',
            '-p',
            'ci=6',
            '-p',
            'top1_images=200',
            '-p',
            f'cache_dir={cache}',
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    runs = pd.read_csv(tmp_path / 'o' / 'run_all.csv')
    assert list(runs.notebook) == ['fig1', 'fig3'] and runs.ok.all()
    for f in ('fig1.png', 'fig3.png', 'claims.md', 'run_all.csv'):
        assert (tmp_path / 'g' / f).stat().st_size > 0, f
    gallery_runs = pd.read_csv(tmp_path / 'g' / 'run_all.csv').set_index('notebook')
    assert list(gallery_runs.index) == ['fig1', 'fig3', 'fig4']
    assert gallery_runs.seconds['fig3'] == runs.set_index('notebook').seconds['fig3'] != 999.0
    assert gallery_runs.seconds['fig4'] == 12.5
    # the executed notebooks sit next to the figures, with the figure and the claims in their outputs
    nb = json.loads((tmp_path / 'g' / 'fig3.ipynb').read_text())
    outputs = [o for c in nb['cells'] if c['cell_type'] == 'code' for o in c['outputs']]
    assert any('image/png' in o.get('data', {}) for o in outputs)
    assert any('C3' in str(o.get('data', {}).get('text/markdown', '')) for o in outputs)
    assert '| C3 |' in (tmp_path / 'g' / 'claims.md').read_text()
    assert (tmp_path / 'o' / 'fig3.ipynb').exists()
    bad = subprocess.run(
        [sys.executable, str(ROOT / 'scripts' / 'run_all.py'), '--only', 'fig7'],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "unknown notebook(s) ['fig7']" in bad.stderr


def tiny_imagenet(root: Path, wnids=('n01440764', 'n01443537'), n_train=8, n_val=20) -> tuple[Path, Path]:
    """An ImageNet-layout folder (train/ and val/, one folder per WordNet id) of JPEG crops of the embedded
    photos, and a folder of ten such images (the few-image set); both as the paper preset expects them."""
    import numpy as np
    from PIL import Image
    from skimage import data

    photos = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket()]
    rng = np.random.default_rng(0)

    def crop(a):
        h, w = a.shape[:2]
        s = int(min(h, w) * rng.uniform(0.5, 0.9))
        y, x = rng.integers(0, h - s + 1), rng.integers(0, w - s + 1)
        return Image.fromarray(a[y : y + s, x : x + s]).resize((160, 160))

    for split, n in (('train', n_train), ('val', n_val)):
        for k, wnid in enumerate(wnids):
            d = root / 'imagenet' / split / wnid
            d.mkdir(parents=True)
            for i in range(n):
                crop(photos[2 * k + i % 2]).save(d / f'{wnid}_{i}.JPEG')
    ten = root / 'ten'
    ten.mkdir()
    for i in range(10):
        crop(photos[i % 4]).save(ten / f'{i}.jpg')
    return root / 'imagenet', ten


def run_all_cli(*args):
    "`scripts/run_all.py` with `args` in a subprocess; it must succeed (its output's end in the message)."
    import subprocess, sys

    r = subprocess.run(
        [sys.executable, str(ROOT / 'scripts' / 'run_all.py'), *map(str, args)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return r


@pytest.mark.slow
def test_paper_preset_smoke_run(tmp_path):
    """`run_all --preset paper --smoke` on a generated ImageNet-layout folder: every training of the paper
    recipe (ViT-S/16, 224 px, its augmentations and optimiser) runs 2 steps of a total batch of 8, split as
    2 x 4, then the figure is measured and drawn."""
    imagenet, ten = tiny_imagenet(tmp_path)
    cache = tmp_path / 'cache'
    run_all_cli(
        *('--preset', 'paper', '--smoke', '--only', 'fig3', '--out', tmp_path / 'o'),
        *('-p', f'imagenet={imagenet}', '-p', f'images={ten}', '-p', 'with_aug=False', '-p', 'epochs=[2]'),
        *('-p', 'device=cpu', '-p', f'cache_dir={cache}'),
    )
    runs = {
        p.name: json.loads((p / 'run.json').read_text())['params']
        for p in cache.iterdir()
        if p.name != '.claims'
    }
    assert sorted(n.split('-')[0] for n in runs) == ['finetune'] * 2 + ['pretrain'] * 2
    for name, p in runs.items():
        assert (p['total_batch'], p['batch_size'], p['accum_iter'], p['max_steps'], p['max_eval']) == (
            8,
            4,
            2,
            2,
            64,
        ), name
        assert p['model'].endswith('vit_small_patch16')
        assert pd.read_csv(cache / name / 'metrics.csv').step.max() == 2
        if p['mode'] == 'finetune':  # the paper's fine-tuning recipe, not the default preset's
            assert (p['auto_augment'], p['reprob'], p['epochs'], p['mixup']) == (
                'rand-m9-mstd0.5-inc1',
                0.25,
                100,
                0.8,
            )
            assert p['classes_used'] == ['n01440764', 'n01443537']
        else:
            assert p['epoch_length'] == 16 and p['blr'] == 1.5e-4
    cka = pd.read_csv(tmp_path / 'o' / 'fig3' / 'fig3.csv')
    assert {'PT', 'FT'} <= set(cka.stage) and cka.cka.notna().all()
    assert (tmp_path / 'o' / 'fig3' / 'fig3.png').stat().st_size > 0


def run_all_plan(tmp_path, *args):
    cache = tmp_path / 'empty_cache'
    run_all_cli('--plan', '--out', tmp_path / 'o', *args, '-p', f'cache_dir={cache}')
    assert not cache.exists() or not list(cache.iterdir()), 'a plan trained something'
    return pd.read_csv(tmp_path / 'o' / 'plan.csv')


@pytest.mark.slow
def test_plan_lists_each_run_once_across_notebooks(tmp_path):
    "Fig. 2 and Fig. 4 share the full-set MAE and its fine-tuning: the plan lists them once, for both."
    one = ('-p', 'full_epochs=1', '-p', 'finetune_epochs=1', '-p', 'methods=mae', '-p', 'seeds=1')
    plan = run_all_plan(tmp_path, '--only', 'fig2,fig4', *one)
    runs = plan[plan.run != 'total']
    assert runs.run.is_unique
    shared = runs[runs.notebooks == 'fig2,fig4']
    assert sorted(shared['mode']) == ['finetune', 'pretrain']  # the full-set MAE and its fine-tuned model
    # + fig2's one-image MAE, its fine-tuning and the fine-tuning from scratch; + fig4's MAE pretrained twice
    # as long for C6 (`longer_epochs`, 2) and its fine-tuning
    assert len(runs) == 7
    pt = shared[shared['mode'] == 'pretrain'].iloc[0]
    assert (pt.steps, pt.images) == (60000 // 64, 60000 // 64 * 64)  # one epoch of the 60,000 shapes
    longer = runs[(runs['mode'] == 'pretrain') & (runs.notebooks == 'fig4')]
    assert len(longer) == 1 and longer.steps.iloc[0] == 2 * (60000 // 64)  # two epochs: C6's longer run
    assert plan.iloc[-1].images == runs.images.sum()


@pytest.mark.slow
def test_tab_aug_plans_any_registered_method(tmp_path):
    """The augmentation table takes its columns from the method registry (R-MAE and MoCo v3 here, not only MAE
    and C-MAE) and fine-tunes for the default recipe's `table_finetune_epochs` (2), not the figures' 1."""
    from occlusion_mim.presets import RECIPES

    plan = run_all_plan(
        tmp_path, '--only', 'tab_aug', '-p', 'methods=r_mae,mocov3', '-p', 'compositions=mask'
    )
    runs = plan[plan.run != 'total']
    pt = runs[runs['mode'] == 'pretrain']
    # the occlusion-free control (mask ratio 0) only for a method that masks tokens: not MoCo v3
    assert sorted(r.split('-')[1].split('_vit')[0] for r in pt.run) == ['mocov3', 'r_mae', 'r_mae']
    ft = runs[runs['mode'] == 'finetune']
    assert len(ft) == 3 and set(ft.epochs) == {RECIPES['default']['table_finetune_epochs']} == {2}
    assert set(ft.steps) == {2 * (60000 // 32)}  # two passes over the 60,000 shapes at batch 32


@pytest.mark.slow
def test_paper_plan_estimates_gpu_hours(tmp_path):
    "The paper preset's plan: its recipes (total batches 4096 / 1024) and H200 hours from the measured rates."
    imagenet, ten = tiny_imagenet(tmp_path)
    plan = run_all_plan(
        tmp_path, '--preset', 'paper', '--only', 'fig3', '-p', f'imagenet={imagenet}', '-p', f'images={ten}'
    )
    runs = plan[plan.run != 'total'].set_index('run')
    assert len(runs) == 8  # 100 and 400 epochs, with and without +aug, each pretrained and fine-tuned
    pt = runs[runs['mode'] == 'pretrain']
    assert set(pt.total_batch) == {4096} and set(pt.epochs) == {100, 400}
    ft = runs[runs['mode'] == 'finetune']
    assert set(ft.total_batch) == {1024} and (ft.steps == 0).all()  # 16 images: no step of 1024
    one = pt[pt.epochs == 100].iloc[0]
    assert one.images == 100 * (1281167 // 4096) * 4096
    assert abs(one['NVIDIA H200 GPU-hours'] - one.images / 4397.4 / 3600) < 1e-9


def small_vit(pool: str, seed: int):
    "timm's ViT (the reference implementation of the public files) at a small size, 1,000 classes."
    import torch
    from timm.models.vision_transformer import VisionTransformer

    torch.manual_seed(seed)
    kw = dict(img_size=32, patch_size=8, embed_dim=64, depth=2, num_heads=2, num_classes=1000)
    return VisionTransformer(global_pool=pool, **kw).eval()


def public_files(root: Path) -> dict:
    """Files in the official formats of the public preset's checkpoints, with random weights (a small ViT
    stands in for ViT-B/16): MAE fine-tuned `{'model'}` (global pool, fc_norm), DeiT `{'model'}` (CLS token,
    norm), MoCo v3 linear classification `{'state_dict': {'module.' ...}, ...}`; and the timm models."""
    import torch

    root.mkdir(parents=True, exist_ok=True)
    ref = dict(supervised=small_vit('token', 1), mae=small_vit('avg', 2), mocov3=small_vit('token', 3))
    files = dict(
        supervised=root / 'deit_base_patch16_224-b5f2ef4d.pth',
        mae=root / 'mae_finetuned_vit_base.pth',
        mocov3=root / 'linear-vit-b-300ep.pth.tar',
    )
    torch.save({'model': ref['supervised'].state_dict()}, files['supervised'])
    torch.save({'model': ref['mae'].state_dict()}, files['mae'])
    lin = {f'module.{k}': v for k, v in ref['mocov3'].state_dict().items()}
    torch.save(
        {
            'epoch': 90,
            'arch': 'vit_base',
            'state_dict': lin,
            'best_acc1': torch.tensor(76.7),
            'optimizer': {},
        },
        files['mocov3'],
    )
    return files, ref


def cue_conflict_folder(root: Path, per_category: int = 2) -> Path:
    "A folder laid out as the real cue-conflict stimuli (`<shape>/<shape><i>-<texture><j>.png`), 16 classes."
    import numpy as np
    from PIL import Image
    from occlusion_mim.data import cue_conflict_imagenet_indices

    cats = sorted(cue_conflict_imagenet_indices())
    rng = np.random.default_rng(0)
    for k, c in enumerate(cats):
        (root / c).mkdir(parents=True)
        for i in range(per_category):
            t = cats[(k + 1 + i) % len(cats)]
            img = (rng.random((48, 48, 3)) * 255).astype('uint8')
            Image.fromarray(img).save(root / c / f'{c}{i + 1}-{t}{i + 1}.png')
    return root


@pytest.mark.slow
def test_public_preset_runs_offline_on_format_faithful_files(tmp_path, monkeypatch):
    """Fig. 4's public preset on files in each official format (random weights), offline: each model's shape
    bias equals the one timm's ViT with the same weights gives; R-MAE and C-MAE are shown as not trained."""
    check_public_fig4(tmp_path, monkeypatch, cue_conflict_folder(tmp_path / 'cue-conflict'), trials=32)


@pytest.mark.slow
def test_public_preset_on_the_real_stimuli_sample(tmp_path, monkeypatch, shared_data):
    "The same on the sample of the real cue-conflict stimuli (../shared/data; skipped without it)."
    from occlusion_mim.data import cue_conflict_table

    stim = shared_data / 'cue-conflict-sample'
    t = cue_conflict_table(stim)
    check_public_fig4(tmp_path, monkeypatch, stim, trials=int((t['shape'] != t.texture).sum()))


def check_public_fig4(tmp_path, monkeypatch, stim, trials: int):
    from occlusion_mim.shape_bias import shape_bias

    monkeypatch.setenv('OCCLUSION_MIM_OFFLINE', '1')
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))  # an empty hub cache: nothing downloaded
    files, ref = public_files(tmp_path / 'ckpt')
    out = run(
        'fig4.ipynb',
        tmp_path,
        preset='public',
        stimuli=str(stim),
        device='cpu',
        public_supervised=str(files['supervised']),
        public_mae=str(files['mae']),
        public_mocov3=str(files['mocov3']),
    )
    s = pd.read_csv(out / 'fig4_summary.csv').set_index('method')
    assert list(s.index) == ['supervised', 'mae', 'mocov3']
    for m, model in ref.items():
        want = shape_bias(model, stim, 'imagenet', size=32)
        assert s.loc[m, 'trials'] == trials and s.loc[m, 'decided'] == want.decided, m
        assert abs(s.loc[m, 'shape_bias'] - want.mean) < 1e-9, m
    nb = (tmp_path / 'fig4.ipynb').read_text()
    assert "not trained (no imagenet given): ['r_mae', 'c_mae']" in nb
    c = pd.read_csv(out / 'fig4_claims.csv')
    assert c.verdict.iloc[0] == 'not tested'  # C5 needs all five methods


@pytest.mark.slow  # runs a notebook (papermill, a kernel)
def test_public_checkpoint_missing_names_the_url(tmp_path, monkeypatch):
    "Offline, a public checkpoint not yet downloaded stops the notebook with its URL and how to pass a file."
    monkeypatch.setenv('OCCLUSION_MIM_OFFLINE', '1')
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    stim = cue_conflict_folder(tmp_path / 'cue-conflict', 1)
    with pytest.raises(pm.PapermillExecutionError) as e:
        run('fig4.ipynb', tmp_path, preset='public', stimuli=str(stim), methods='mae', device='cpu')
    assert 'https://dl.fbaipublicfiles.com/mae/finetune/mae_finetuned_vit_base.pth' in str(e.value)
    assert 'pass that file' in str(e.value)


@pytest.mark.slow
def test_fig2_public_preset_full_set_panel_offline(tmp_path, monkeypatch):
    """Fig. 2's public preset: the full-set panel from MAE's pretrained (encoder only) and fine-tuned files in
    their official formats, with the baselines, on the ImageNet-layout folder's validation images, offline."""
    import torch
    from occlusion_mim.cka import masked_vs_full_cka
    from occlusion_mim.checkpoints import public_model
    from occlusion_mim.experiments import eval_images

    monkeypatch.setenv('OCCLUSION_MIM_OFFLINE', '1')
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    imagenet, _ = tiny_imagenet(tmp_path)
    pt = small_vit('token', 5)
    pt.reset_classifier(0)  # MAE's pretraining file: the encoder, its final norm, no head
    torch.save({'model': pt.state_dict()}, tmp_path / 'mae_pretrain_vit_base.pth')
    ft = small_vit('avg', 6)
    torch.save({'model': ft.state_dict()}, tmp_path / 'mae_finetuned_vit_base.pth')
    out = run(
        'fig2.ipynb',
        tmp_path,
        preset='public',
        imagenet=str(imagenet),
        public_pretrained=str(tmp_path / 'mae_pretrain_vit_base.pth'),
        public_finetuned=str(tmp_path / 'mae_finetuned_vit_base.pth'),
        cka_images=24,
        ci=6,
        device='cpu',
    )
    cka = pd.read_csv(out / 'fig2.csv')
    assert set(cka.model) == {'Full-set PT', 'Full-set FT', 'untrained', 'pixels, mean', 'pixels, patches'}
    x = eval_images(str(imagenet), 24, 32, seed=0)
    want = masked_vs_full_cka(public_model(str(tmp_path / 'mae_pretrain_vit_base.pth'))[0], x, seed=0, ci=0)
    got = cka[cka.model == 'Full-set PT'].sort_values('ratio')
    assert abs(got.cka.to_numpy() - want.sort_values('ratio').cka.to_numpy()).max() < 1e-6
    assert (got.cka.to_numpy() != cka[cka.model == 'untrained'].sort_values('ratio').cka.to_numpy()).any()
    claims = pd.read_csv(out / 'fig2_claims.csv')
    assert list(claims.verdict) == ['not tested', 'not tested']  # no one-image model without `images`
