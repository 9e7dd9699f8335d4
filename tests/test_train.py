"""Trainer integration tests: exact resume after SIGKILL (mid-step, mid-save, at random times), a 2-process
gloo run equal to a 1-process run with the same global batch, clear errors before training, NaN handling,
and falling pretraining losses on the embedded photos."""

import os, sys, json, signal, subprocess, time
from pathlib import Path
import pandas as pd
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
BASE = [
    'pretrain',
    '--model',
    'mae_vit_nano_patch8',
    '--data',
    'shapes',
    '--n-per-class',
    '6',
    '--batch-size',
    '12',
    '--epochs',
    '3',
    '--blr',
    '1e-3',
    '--save-every',
    '1',
    '--log-every',
    '1',
    '--quiet',
    '--device',
    'cpu',
]

# a tiny fine-tuning run (nano ViT, 60 generated images)
FT = [
    'finetune',
    '--model',
    'vit_nano_patch8',
    '--data',
    'shapes',
    '--n-per-class',
    '6',
    '--batch-size',
    '12',
    '--epochs',
    '2',
    '--blr',
    '1e-3',
    '--save-every',
    '1',
    '--quiet',
    '--device',
    'cpu',
]


def _arg(args, name, value):
    "`args` with option `name` set to `value` (replaced when present, else added)."
    args = list(args)
    if name in args:
        args[args.index(name) + 1] = str(value)
        return args
    return args + [name, str(value)]


def cli(args, out, env=None, check=True, timeout=300):
    e = dict(os.environ, **(env or {}))
    e.pop('OCCLUSION_MIM_FAULT', None) if not env or 'OCCLUSION_MIM_FAULT' not in env else None
    r = subprocess.run(
        [sys.executable, '-m', 'occlusion_mim.train', *args, '--out', str(out)],
        capture_output=True,
        text=True,
        env=e,
        timeout=timeout,
    )
    if check:
        assert r.returncode == 0, r.stderr[-3000:]
    return r


def weights(run):
    return torch.load(Path(run) / 'checkpoint.pt', map_location='cpu', weights_only=True)['model']


def assert_bitwise_equal(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


@pytest.mark.slow
@pytest.mark.parametrize('fault', ['step:4', 'save:3', 'step:9', 'save:8'])
def test_resume_after_sigkill_is_exact(reference, tmp_path, fault):
    out = tmp_path / 'run'
    r = cli(BASE, out, env={'OCCLUSION_MIM_FAULT': fault}, check=False)
    assert r.returncode == -signal.SIGKILL, r.stderr[-2000:]
    ck = torch.load(
        out / 'checkpoint.pt', map_location='cpu', weights_only=True
    )  # the latest checkpoint is always readable
    assert ck['step'] >= 1
    cli(BASE, out)  # re-running the command resumes
    assert_bitwise_equal(weights(out), weights(reference))
    m, mr = pd.read_csv(out / 'metrics.csv'), pd.read_csv(reference / 'metrics.csv')
    assert list(m.step) == list(mr.step)  # no duplicated or missing rows
    pd.testing.assert_series_equal(m.loss, mr.loss)
    assert not list(out.glob('*.tmp'))


@pytest.mark.slow
def test_resume_after_kills_at_random_times(reference, tmp_path):
    out = tmp_path / 'run'
    for delay in (3.0, 4.5, 6.0):
        p = subprocess.Popen(
            [sys.executable, '-m', 'occlusion_mim.train', *BASE, '--out', str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        if (out / 'checkpoint.pt').exists():
            torch.load(out / 'checkpoint.pt', map_location='cpu', weights_only=True)
    cli(BASE, out)
    assert_bitwise_equal(weights(out), weights(reference))


@pytest.mark.slow
@pytest.mark.parametrize('model', ['mae_vit_nano_patch8', 'c_mae_vit_nano_patch8'])
def test_two_processes_match_one(tmp_path, model):
    """MAE: bitwise the same run; C-MAE: runs (its projector's BatchNorm keeps per-process statistics on CPUs,
    where torch has no SyncBatchNorm, so it is not the one-process run; its InfoNCE is checked below)."""
    one, two = tmp_path / 'one', tmp_path / 'two'
    args = [
        'pretrain',
        '--model',
        model,
        '--data',
        'shapes',
        '--n-per-class',
        '8',
        '--epochs',
        '2',
        '--blr',
        '1e-3',
        '--log-every',
        '1',
        '--quiet',
        '--device',
        'cpu',
        '--precision',
        'fp32',
    ]
    cli([*args, '--batch-size', '16'], one)
    r = subprocess.run(
        [
            sys.executable,
            '-m',
            'torch.distributed.run',
            '--nproc_per_node',
            '2',
            '--master_port',
            '29533',
            '-m',
            'occlusion_mim.train',
            *args,
            '--batch-size',
            '8',
            '--out',
            str(two),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    m1, m2 = pd.read_csv(one / 'metrics.csv'), pd.read_csv(two / 'metrics.csv')
    assert list(m1.step) == list(m2.step) and len(m1) > 5
    if model.startswith('c_mae'):
        assert (
            m2.loss.notna().all() and json.loads((two / 'run.json').read_text())['params']['world_size'] == 2
        )
        return
    assert (m1.loss - m2.loss).abs().max() < 1e-5, (m1.loss - m2.loss).abs().max()
    a, b = weights(one), weights(two)
    assert max((a[k].float() - b[k].float()).abs().max().item() for k in a) < 1e-5
    assert json.loads((two / 'run.json').read_text())['params']['world_size'] == 2


@pytest.mark.slow
def test_total_batch_is_the_same_run_on_two_processes(tmp_path):
    """`--total-batch 16` on two processes (8 each, as two accumulated micro-batches of 4: `--batch-size 4`)
    is the one-process run with one batch of 16: the same losses and weights up to float rounding, and
    run.json records the split and lr = blr x 16 / 256."""
    one, two = tmp_path / 'one', tmp_path / 'two'
    args = ['pretrain', '--model', 'mae_vit_nano_patch8', '--data', 'shapes', '--n-per-class', '8']
    args += ['--epochs', '2', '--blr', '1e-3', '--log-every', '1', '--quiet', '--device', 'cpu']
    args += ['--precision', 'fp32']
    cli([*args, '--batch-size', '16'], one)
    r = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port', '29537']
        + ['-m', 'occlusion_mim.train', *args, '--total-batch', '16', '--batch-size', '4', '--out', str(two)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    p = json.loads((two / 'run.json').read_text())['params']
    assert (p['world_size'], p['total_batch'], p['batch_size'], p['accum_iter']) == (2, 16, 4, 2)
    assert abs(p['lr'] - 1e-3 * 16 / 256) < 1e-15 and p['effective_batch'] == 16
    m1, m2 = pd.read_csv(one / 'metrics.csv'), pd.read_csv(two / 'metrics.csv')
    assert list(m1.step) == list(m2.step) and len(m1) > 5
    assert (m1.loss - m2.loss).abs().max() < 1e-5 and (m1.lr - m2.lr).abs().max() < 1e-15
    a, b = weights(one), weights(two)
    assert max((a[k].float() - b[k].float()).abs().max().item() for k in a) < 1e-4


@pytest.mark.parametrize(
    'args, message',
    [
        (['--data', '/no/such/folder'], '/no/such/folder'),
        (['--model', 'mae_vit_nano_patch9'], "did you mean 'mae_vit_nano_patch8'"),
        (['--batch-size', '1000'], 'fewer than one optimiser step'),
        (['--precision', 'fp8'], "precision='fp8'"),
    ],
)
def test_bad_input_fails_before_training(tmp_path, args, message):
    r = cli([*BASE, *args], tmp_path / 'run', check=False)
    assert r.returncode == 2 and message in r.stderr, r.stderr[-2000:]
    assert 'Traceback' not in r.stderr
    assert not (tmp_path / 'run' / 'checkpoint.pt').exists()


def test_init_of_the_wrong_architecture(reference, tmp_path):
    r = cli(
        ['finetune', '--model', 'vit_cpu_patch8', '--init', str(reference / 'checkpoint.pt'), '--quiet'],
        tmp_path / 'ft',
        check=False,
    )
    assert r.returncode == 2 and 'does not fit' in r.stderr and 'Traceback' not in r.stderr, r.stderr[-2000:]


@pytest.mark.slow
def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    out = tmp_path / 'run'
    r = cli(BASE, out, env={'OCCLUSION_MIM_FAULT': 'nan:5'}, check=False)
    assert r.returncode == 2 and 'non-finite loss nan at step 4' in r.stderr, r.stderr[-2000:]
    ck = torch.load(out / 'checkpoint.pt', map_location='cpu', weights_only=True)
    assert ck['step'] == 4 and all(
        torch.isfinite(v).all() for v in ck['model'].values() if v.is_floating_point()
    )


@pytest.mark.slow
@pytest.mark.parametrize('model', ['mae', 'r_mae', 'c_mae', 'mocov3'])
def test_pretraining_loss_falls_on_the_embedded_photos(tmp_path, model):
    out = tmp_path / 'run'
    cli(
        [
            'pretrain',
            '--model',
            f'{model}_vit_nano_patch8',
            '--data',
            'photos:10',
            '--epoch-length',
            '160',
            '--batch-size',
            '16',
            '--epochs',
            '8',
            '--blr',
            '2e-3',
            '--warmup-epochs',
            '1',
            '--log-every',
            '1',
            '--quiet',
            '--device',
            'cpu',
        ],
        out,
    )
    m = pd.read_csv(out / 'metrics.csv').dropna(subset=['loss'])
    first, last = m.loss.iloc[:5].mean(), m.loss.iloc[-5:].mean()
    assert last < first, (model, first, last)


@pytest.mark.slow
def test_the_default_presets_finetuning_learns_the_shapes(tmp_path):
    """The default preset's fine-tuning recipe, as the notebooks run it (`RECIPES['default']`), trains its
    classifier from scratch (the hardest start it meets: the supervised baseline) to >= 80% top-1 of 10
    classes on the 2,000 held-out shapes (about 2 minutes on 2 CPU cores, fp32)."""
    from occlusion_mim.runs import cli_args
    from occlusion_mim.presets import RECIPES, finetune_config

    c = finetune_config(RECIPES['default'], None, 'shapes', device='cpu', quiet=True)
    assert (c.precision, c.epochs, c.n_per_class) == ('fp32', 1, 6000)
    r = cli(cli_args(c), out=tmp_path / 'ft', timeout=1800)  # cli's --out comes last, so it is the one used
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res['val_top1'] >= 80, res


@pytest.mark.slow
def test_gradient_accumulation_matches_the_large_batch(tmp_path):
    args = [
        'pretrain',
        '--model',
        'mae_vit_nano_patch8',
        '--data',
        'shapes',
        '--n-per-class',
        '8',
        '--epochs',
        '2',
        '--blr',
        '1e-3',
        '--log-every',
        '1',
        '--quiet',
        '--device',
        'cpu',
        '--precision',
        'fp32',
    ]
    cli([*args, '--batch-size', '16'], tmp_path / 'big')
    cli([*args, '--batch-size', '8', '--accum-iter', '2'], tmp_path / 'acc')
    m1, m2 = pd.read_csv(tmp_path / 'big' / 'metrics.csv'), pd.read_csv(tmp_path / 'acc' / 'metrics.csv')
    assert list(m1.step) == list(m2.step)
    a, b = weights(tmp_path / 'big'), weights(tmp_path / 'acc')
    # same samples and masks; only the order of float sums differs (AdamW normalises tiny gradients, so allow
    # 1e-4;
    # other masks (mask ratio 0.5 instead of 0.75) move them by 7e-4; measured here: 3e-5)
    assert max((a[k].float() - b[k].float()).abs().max().item() for k in a) < 1e-4


@pytest.mark.slow
def test_metrics_csv_is_one_table_whatever_the_logging(tmp_path):
    """Checkpoints with nothing logged yet (log_every > save_every), evaluation rows between step rows, a kill
    and a resume: one readable table."""
    from occlusion_mim.train import METRIC_COLUMNS

    args = _arg(FT, '--log-every', 3)
    out = tmp_path / 'run'
    r = cli(args, out, env={'OCCLUSION_MIM_FAULT': 'step:2'}, check=False)
    assert r.returncode == -signal.SIGKILL, r.stderr[-2000:]
    cli(args, out)
    m = pd.read_csv(out / 'metrics.csv')
    assert list(m.columns) == METRIC_COLUMNS
    assert list(m.step) == [3, 5, 6, 9, 10]  # 5 steps an epoch: log rows at 3, 6, 9; epoch rows at 5, 10
    assert m.val_top1.notna().tolist() == [False, True, False, False, True]


def test_persistent_workers_give_the_same_run(reference, tmp_path):
    """Worker processes live for the whole run and take each epoch from the sampler: the same weights as
    loading in-process."""
    cli(BASE + ['--num-workers', '2'], tmp_path / 'run')
    assert_bitwise_equal(weights(tmp_path / 'run'), weights(reference))


def test_compile_option_reaches_the_step(tmp_path, monkeypatch):
    "--compile runs the training forwards through torch.compile (here with a counting backend, to stay fast)."
    from occlusion_mim.train import train, TrainConfig

    compiled, real = [], torch.compile

    def counting(gm, example_inputs):
        compiled.append(len(example_inputs))
        return gm.forward

    monkeypatch.setattr(torch, 'compile', lambda m, **kw: real(m, backend=counting))
    cfg = dict(mode='pretrain', model='mae_vit_nano_patch8', data='shapes', n_per_class=2, batch_size=4)
    cfg['epochs'] = 1
    r = train(TrainConfig(**cfg, compile=True, quiet=True, device='cpu', out=str(tmp_path / 'run')))
    assert compiled, "the compiled forward was never called"
    eager = train(TrainConfig(**cfg, compile=False, quiet=True, device='cpu', out=str(tmp_path / 'eager')))
    # the counting backend runs the captured graph eagerly: the same run, step for step
    assert r['step'] == eager['step'] == 5
    assert abs(r['loss'] - eager['loss']) <= 1e-5 * abs(eager['loss']), (r['loss'], eager['loss'])


def test_a_cpu_run_keeps_freed_memory(tmp_path, monkeypatch):
    "A run on the CPU asks glibc, once, to keep the memory its steps free (`keep_freed_memory`)."
    import occlusion_mim.train as tr

    calls = []
    monkeypatch.setattr(tr, 'keep_freed_memory', lambda: calls.append(True) or True)
    cfg = dict(mode='pretrain', model='mae_vit_nano_patch8', data='shapes', n_per_class=2, batch_size=4)
    tr.train(tr.TrainConfig(**cfg, epochs=1, quiet=True, device='cpu', out=str(tmp_path / 'run')))
    assert calls == [True]


def test_layer_decay_scales_each_blocks_first_step(tmp_path):
    """After one fine-tuning step with layer decay 0.5 (depth 2), each parameter moved by
    lr x 0.5 ** (depth + 1 - layer) (Adam's first step is about lr per element): stem 1/8, block 0 1/4,
    block 1 1/2, norm and head 1."""
    from occlusion_mim.train import TrainConfig, check_config, setup, train_step, _set_lr
    from occlusion_mim.data import to_float

    c = TrainConfig(
        mode='finetune',
        model='vit_nano_patch8',
        data='shapes',
        n_per_class=6,
        batch_size=12,
        layer_decay=0.5,
        warmup_epochs=0,
        weight_decay=0.0,
        device='cpu',
        precision='fp32',
        quiet=True,
        out=str(tmp_path / 'run'),
    )
    s = setup(check_config(c))
    items = [s.data[i] for i in range(12)]
    x, y = to_float(torch.stack([it[0] for it in items])), torch.tensor([it[1] for it in items])
    before = {n: p.detach().clone() for n, p in s.model.named_parameters()}
    lr = _set_lr(s, 0)
    train_step(s, x, y, 0)
    # stem, blocks and head; the encoder's final norm is left out: timm's grouping puts it with the last block
    # (scale 0.5 here), where MAE's own rule would give it the head's (its global-pool fine-tuning drops it)
    layer = {'encoder.patch_embed': 0, 'encoder.blocks.0.': 1, 'encoder.blocks.1.': 2, 'similarity.': 3}
    seen = set()
    for n, p in s.model.named_parameters():
        k = next((k for k in layer if n.startswith(k)), None)
        if k is None or p.numel() < 16:
            continue
        moved = (p.detach() - before[n]).abs().flatten()
        step = moved[moved > 0].median().item()
        assert abs(step / (lr * 0.5 ** (3 - layer[k])) - 1) < 0.05, (n, step, lr)
        seen.add(k)
    assert seen == set(layer), seen


def _info_nce_on_rank(rank, world, init, q, k, out):
    import torch.distributed as dist
    from occlusion_mim.models import info_nce

    dist.init_process_group('gloo', init_method=init, rank=rank, world_size=world)
    n = q.shape[0] // world
    torch.save(info_nce(q[rank * n : (rank + 1) * n], k[rank * n : (rank + 1) * n]), f'{out}/{rank}.pt')
    dist.destroy_process_group()


def test_info_nce_over_two_processes_is_the_one_process_loss(tmp_path):
    "Each process: its queries against the gathered keys, positives offset by its rank; the mean: the loss."
    from occlusion_mim.models import info_nce

    g = torch.Generator().manual_seed(0)
    q, k = torch.randn(8, 16, generator=g), torch.randn(8, 16, generator=g)
    init = f"file://{tmp_path / 'rendezvous'}"
    torch.multiprocessing.spawn(_info_nce_on_rank, args=(2, init, q, k, str(tmp_path)), nprocs=2)
    two = (torch.load(tmp_path / '0.pt') + torch.load(tmp_path / '1.pt')) / 2
    assert abs(two.item() - info_nce(q, k).item()) < 1e-6
