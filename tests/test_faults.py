"""The fault suite: each way a run folder, a checkpoint or the run cache could lose or mix work, tried as a
user would, with the promise it checks. Tiny CPU runs (nano models, 60 generated images)."""

import os, sys, json, signal, subprocess, time
from pathlib import Path
import pytest
import torch

from test_train import BASE, FT, cli, weights, assert_bitwise_equal, _arg

pytestmark = (
    pytest.mark.slow
)  # every test here starts, kills or resumes real runs (`pytest -m 'not slow'` skips)

ROOT = Path(__file__).resolve().parents[1]


def _all_finite(ck):
    from occlusion_mim.checkpoints import nonfinite_tensors

    return not nonfinite_tensors(ck['model'], ck['optimizer']['state'])


# --- 1. a non-finite run never writes its weights --------------------------------------------------------
def test_exploding_weights_are_never_saved(tmp_path):
    out = tmp_path / 'run'
    r = cli(_arg(BASE, '--blr', '1e6'), out, check=False)
    assert r.returncode == 2 and 'non-finite' in r.stderr and 'lower learning rate' in r.stderr, r.stderr
    assert 'Traceback' not in r.stderr
    ck = torch.load(out / 'checkpoint.pt', map_location='cpu', weights_only=True)
    assert _all_finite(ck), 'a checkpoint with non-finite weights or optimiser state was written'


def test_a_nan_stop_resumes_from_the_last_finite_checkpoint(tmp_path):
    "A NaN at step 5 stops the run; the same command (the cause gone) resumes at step 4 and finishes."
    out, ref = tmp_path / 'run', tmp_path / 'ref'
    r = cli(BASE, out, env={'OCCLUSION_MIM_FAULT': 'nan:5'}, check=False)
    assert r.returncode == 2 and 'resumes from that checkpoint' in r.stderr, r.stderr
    cli(BASE, out)
    cli(BASE, ref)
    assert_bitwise_equal(weights(out), weights(ref))


# --- 2. exact resume from a checkpoint in the middle of an epoch, every method and mode ---------------------
PT = _arg(BASE, '--epochs', '2')
CASES = {
    'mae, drop path': _arg(PT, '--drop-path', '0.1'),
    'r_mae, drop path': _arg(_arg(PT, '--model', 'r_mae_vit_nano_patch8'), '--drop-path', '0.1'),
    'c_mae, drop path, source aug': _arg(
        _arg(_arg(PT, '--model', 'c_mae_vit_nano_patch8'), '--drop-path', '0.1'),
        '--source-aug',
        'cutmix+color',
    ),
    'mocov3, drop path': _arg(_arg(PT, '--model', 'mocov3_vit_nano_patch8'), '--drop-path', '0.1'),
    'finetune, drop path, mixup, cutmix': FT + ['--drop-path', '0.1', '--mixup', '0.8', '--cutmix', '1.0'],
}


@pytest.mark.parametrize('case', list(CASES))
def test_resume_mid_epoch_is_exact(tmp_path, case):
    "Killed at step 3 of 5 in the first epoch (after the checkpoint of step 2), then rerun: bitwise the same."
    args = CASES[case]
    ref, out = tmp_path / 'ref', tmp_path / 'run'
    cli(args, ref)
    r = cli(args, out, env={'OCCLUSION_MIM_FAULT': 'step:3'}, check=False)
    assert r.returncode == -signal.SIGKILL, r.stderr[-2000:]
    ck = torch.load(out / 'checkpoint.pt', map_location='cpu', weights_only=True)
    assert (ck['epoch'], ck['step_in_epoch']) == (0, 2)  # mid-epoch
    cli(args, out)
    assert_bitwise_equal(weights(out), weights(ref))


# --- 3. one run per folder ------------------------------------------------------------------------------
def test_a_second_process_on_the_same_folder_is_refused(tmp_path):
    out = tmp_path / 'run'
    long = [*_arg(BASE, '--epochs', '200'), '--out', str(out)]
    p = subprocess.Popen([sys.executable, '-m', 'occlusion_mim.train', *long], stderr=subprocess.DEVNULL)
    try:
        t0 = time.time()
        while not (out / 'run.json').exists() and time.time() - t0 < 120:
            time.sleep(0.2)
        r = cli(BASE, out, check=False)
        assert r.returncode == 2 and f'in use by process {p.pid}' in r.stderr, r.stderr
        assert p.poll() is None  # the first run is untouched
    finally:
        p.kill()
        p.wait()
    # the lock is freed: a new process takes the folder and trains on to its first save (where it is killed,
    # wherever the first process had got to: a fault at a fixed step would never come if it had passed it)
    r = cli(_arg(BASE, '--epochs', '200'), out, env={'OCCLUSION_MIM_FAULT': 'save:1'}, check=False)
    assert r.returncode == -9, r.stderr


@pytest.mark.parametrize(
    'option, value, said',
    [
        ('--seed', '1', "seed 0 (folder) vs 1 (now)"),
        ('--mask-ratio', '0.5', 'mask_ratio 0.75 (folder) vs 0.5 (now)'),
        ('--epochs', '5', 'epochs 3 (folder) vs 5 (now)'),
        ('--n-per-class', '7', 'n_per_class 6 (folder) vs 7 (now)'),
    ],
)
def test_a_rerun_with_other_defining_options_is_refused(tmp_path, option, value, said):
    out = tmp_path / 'run'
    cli(BASE, out, env={'OCCLUSION_MIM_FAULT': 'step:2'}, check=False)
    before = (out / 'run.json').read_text()
    r = cli(_arg(BASE, option, value), out, check=False)
    assert r.returncode == 2 and said in r.stderr and 'Traceback' not in r.stderr, r.stderr
    assert (out / 'run.json').read_text() == before


def test_a_rerun_may_change_the_learning_rate_and_says_so(tmp_path):
    out = tmp_path / 'run'
    cli(BASE, out, env={'OCCLUSION_MIM_FAULT': 'step:2'}, check=False)
    cli(_arg(BASE, '--blr', '5e-4'), out)
    resumes = json.loads((out / 'run.json').read_text())['params']['resumes']
    assert resumes[0]['step'] == 1 and resumes[0]['changed']['blr'] == [1e-3, 5e-4], resumes


# --- 4. --init continues pretraining ----------------------------------------------------------------------
def test_pretrain_init_loads_the_encoder_and_decoder(tmp_path):
    from occlusion_mim.train import TrainConfig, check_config, setup

    src = tmp_path / 'src'
    cli(_arg(BASE, '--epochs', '1'), src)
    c = check_config(
        TrainConfig(
            mode='pretrain',
            model='mae_vit_nano_patch8',
            data='shapes',
            n_per_class=6,
            batch_size=12,
            device='cpu',
            seed=5,
            init=str(src / 'checkpoint.pt'),
            out=str(tmp_path / 'cont'),
        )
    )
    s = setup(c)
    saved = weights(src)
    assert_bitwise_equal(s.model.state_dict(), saved)  # every tensor, decoder included
    assert 'loaded' in s.init_note


def test_pretrain_init_of_a_text_file_is_a_clear_error(tmp_path):
    bad = tmp_path / 'notes.txt'
    bad.write_text('not weights\n' * 10)
    r = cli([*BASE, '--init', str(bad)], tmp_path / 'run', check=False)
    assert r.returncode == 2 and str(bad) in r.stderr and 'Traceback' not in r.stderr, r.stderr


# --- 7. a corrupt checkpoint never costs the run ---------------------------------------------------------
def _flip_bytes(path, at=0.5, n=16):
    b = bytearray(Path(path).read_bytes())
    i = int(len(b) * at)
    b[i : i + n] = bytes(x ^ 0xFF for x in b[i : i + n])
    Path(path).write_bytes(bytes(b))


def test_a_corrupt_checkpoint_falls_back_to_the_previous_one(reference, tmp_path):
    out = tmp_path / 'run'
    cli(BASE, out, env={'OCCLUSION_MIM_FAULT': 'step:5'}, check=False)
    assert (out / 'checkpoint.prev.pt').exists()
    _flip_bytes(out / 'checkpoint.pt')
    r = cli(BASE, out)
    assert 'fails its checksum' in r.stderr and 'resuming from checkpoint.prev.pt (step 3)' in r.stderr, (
        r.stderr
    )
    assert_bitwise_equal(weights(out), weights(reference))


@pytest.mark.parametrize('damage', ['flip', 'truncate', 'empty'])
def test_no_good_checkpoint_is_a_clear_error(tmp_path, damage):
    out = tmp_path / 'run'
    cli(BASE, out, env={'OCCLUSION_MIM_FAULT': 'step:5'}, check=False)
    for f in ('checkpoint.pt', 'checkpoint.prev.pt'):
        p = out / f
        if damage == 'flip':
            _flip_bytes(p)
        else:
            p.write_bytes(p.read_bytes()[: p.stat().st_size // 2] if damage == 'truncate' else b'')
    r = cli(BASE, out, check=False)
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr
    assert str(out / 'checkpoint.pt') in r.stderr and 'checkpoint.prev.pt' in r.stderr, r.stderr
    assert 'start the run over' in r.stderr


def test_files_written_atomically_respect_the_umask(tmp_path):
    out = tmp_path / 'run'
    old = os.umask(0o022)
    try:
        cli(_arg(BASE, '--epochs', '1'), out)
    finally:
        os.umask(old)
    for f in ('run.json', 'metrics.csv', 'checkpoint.pt', 'checkpoint.pt.sha256'):
        assert (out / f).stat().st_mode & 0o777 == 0o644, f


# --- 6. fine-tuning on a one-split folder validates on held-out images -------------------------------------
def test_finetuning_on_a_one_split_folder_holds_out_its_validation_images(tmp_path):
    from PIL import Image
    from occlusion_mim.train import TrainConfig, check_config, setup

    root = tmp_path / 'set'
    for c in ('a', 'b'):
        (root / c).mkdir(parents=True)
        for k in range(10):
            Image.new('RGB', (32, 32), (25 * k, 100 if c == 'a' else 0, 0)).save(root / c / f'{k}.png')
    out = tmp_path / 'ft'
    r = cli(_arg(_arg(_arg(FT, '--data', root), '--epochs', 1), '--batch-size', 6), out)
    assert 'held out for validation' in r.stderr, r.stderr
    note = json.loads((out / 'run.json').read_text())['params']['data_note']
    assert 'held out for validation' in note and "'train' part has 18 images" in note
    s = setup(
        check_config(
            TrainConfig(mode='finetune', model='vit_nano_patch8', data=str(root), batch_size=6, device='cpu')
        )
    )
    train_files = {f for f, _ in s.data.samples}
    val_files = {f for f, _ in s.val.samples}
    assert len(val_files) == 2 and not train_files & val_files and len(train_files | val_files) == 20


# --- errors that name the bad value and the fix, before any training --------------------------------------
@pytest.mark.parametrize(
    'args, message',
    [
        (['--log-every', '0'], '--log-every=0 must be at least 1'),
        (['--eval-every', '0'], '--eval-every=0 must be at least 1'),
        (['--on-corrupt', 'ignore'], "on_corrupt='ignore'"),
        (['--drop-path', '1.5'], '--drop-path=1.5'),
        (['--model', 'mocov3_vit_nano_patch8', '--mask-ratio', '0.5'], 'MoCo v3 masks no patches'),
        (['--data', 'photos:abc'], "'abc' not among astronaut"),
        (['--data', 'photos:40'], 'photos:N takes 1 to 15 embedded photographs'),
        (['--init', 'RANDOM'], 'RANDOM'),
    ],
)
def test_bad_options_are_clear_errors(tmp_path, args, message):
    if 'RANDOM' in args:
        (tmp_path / 'rand.pt').write_bytes(os.urandom(4096))
        args = [str(tmp_path / 'rand.pt') if a == 'RANDOM' else a for a in args]
        message = str(tmp_path / 'rand.pt')
    r = cli([*BASE, *args], tmp_path / 'run', check=False)
    assert r.returncode == 2 and message in r.stderr and 'Traceback' not in r.stderr, r.stderr


def test_fewer_classes_than_the_data_is_a_clear_error(tmp_path):
    r = cli([*FT, '--num-classes', '3'], tmp_path / 'run', check=False)
    assert r.returncode == 2 and '--num-classes 3 is fewer than the 10 classes' in r.stderr, r.stderr


def test_an_unwritable_output_folder_is_found_before_any_compute(tmp_path, monkeypatch):
    from occlusion_mim.core import output_dir

    f = tmp_path / 'a_file'
    f.write_text('x')
    monkeypatch.setenv('OCCLUSION_MIM_OUTPUTS', str(f))
    with pytest.raises(OSError, match='OCCLUSION_MIM_OUTPUTS'):
        output_dir('fig3')
    with pytest.raises(OSError, match=str(f / 'sub')):
        output_dir('fig3', f / 'sub')


def _image_set(root, corrupt=()):
    from PIL import Image

    for c in ('a', 'b'):
        (root / c).mkdir(parents=True)
        for k in range(10):
            Image.new('RGB', (32, 32), (25 * k, 100 if c == 'a' else 0, 0)).save(root / c / f'{k}.png')
    for name in corrupt:
        (root / name).write_bytes(b'' if 'empty' in name else (root / 'a' / '0.png').read_bytes()[:40])
    return root


def test_unreadable_images_stop_the_run_before_training_or_are_skipped(tmp_path):
    root = _image_set(tmp_path / 'set', corrupt=['a/empty.png', 'b/truncated.png'])
    args = _arg(_arg(_arg(FT, '--data', root), '--epochs', 1), '--batch-size', 6)
    r = cli(args, tmp_path / 'run', check=False)
    assert r.returncode == 2 and 'empty.png' in r.stderr and '--on-corrupt skip' in r.stderr, r.stderr
    assert 'Traceback' not in r.stderr and not (tmp_path / 'run' / 'checkpoint.pt').exists()
    r = cli([*args, '--on-corrupt', 'skip'], tmp_path / 'run2')
    note = json.loads((tmp_path / 'run2' / 'run.json').read_text())['params']['data_note']
    assert "'train' part has 20 images" in note and '2 unreadable image(s) skipped' in note, note


def test_a_full_disk_is_a_clear_error_and_keeps_the_last_checkpoint(tmp_path, monkeypatch):
    import occlusion_mim.train as T

    out = tmp_path / 'run'
    cli(BASE, out, env={'OCCLUSION_MIM_FAULT': 'step:3'}, check=False)
    before = (out / 'checkpoint.pt').read_bytes()

    def full_disk(obj, f, *a, **k):
        raise RuntimeError('[enforce fail at inline_container.cc:626] . basic_ios::clear: iostream error')

    monkeypatch.setattr(T.torch, 'save', full_disk)
    c = T.TrainConfig(
        mode='pretrain',
        model='mae_vit_nano_patch8',
        data='shapes',
        n_per_class=6,
        batch_size=12,
        epochs=3,
        blr=1e-3,
        save_every=1,
        log_every=1,
        quiet=True,
        device='cpu',
        out=str(out),
    )
    with pytest.raises(OSError, match='GiB free on its disk') as e:
        T.train(c)
    assert 'checkpoint.pt' in str(e.value) and 'rerun the command to resume' in str(e.value)
    assert (out / 'checkpoint.pt').read_bytes() == before and not list(out.glob('.checkpoint*.tmp'))
