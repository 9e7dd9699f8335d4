"""Bad input at every entry point a user types into: the Python API, the `occlusion-mim` command (every
subcommand and option, `--slurm`'s keys), every notebook parameter (`papermill -p` / `-y`) and `run_all -p`.
Each row: the entry point, the bad value tried and the start of the one error it gets (no deep traceback,
nothing written). `tests/BAD_INPUT.md` is these tables rendered (regenerate it with `python
tests/test_bad_input.py`)."""

import ast, contextlib, ctypes, io, json, os, re, shlex
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


def _m():
    from occlusion_mim.models import create_model

    return create_model('mae_vit_nano_patch8')


def _create(*a, **k):
    from occlusion_mim.models import create_model

    return create_model(*a, **k)


def _load(path):
    from occlusion_mim.checkpoints import load_pretrained

    return load_pretrained(_m(), path)


def _train(tmp, **k):
    from occlusion_mim.train import train

    return train(out=str(tmp / 'run'), quiet=True, **k)


def _cka(x, **k):
    from occlusion_mim.cka import masked_vs_full_cka

    return masked_vs_full_cka(_m(), x, **k)


def _sb(model, stimuli, *a):
    from occlusion_mim.shape_bias import shape_bias

    return shape_bias(model, stimuli, *a)


def _fn(x):
    return torch.zeros(len(x), 1000)


def _read(path):
    from occlusion_mim.shape_bias import read_decisions

    return read_decisions(path)


def _export(run, out):
    from occlusion_mim.export import export_run

    return export_run(run, out)


def _locked(t: Path) -> Path:
    "A file no one but root may read (mode 000): `{t}/locked.pt`."
    p = t / 'locked.pt'
    p.write_text('anything')
    p.chmod(0)
    return p


class _CapHeader(ctypes.Structure):
    _fields_ = [('version', ctypes.c_uint32), ('pid', ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ('effective', ctypes.c_uint32),
        ('permitted', ctypes.c_uint32),
        ('inheritable', ctypes.c_uint32),
    ]


def _unprivileged(fn, *a):
    """`fn(*a)` as a user who cannot read a mode-000 file. Root reads any file (the tests run as root here):
    for the call, this thread drops the two capabilities that let it (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH),
    so root reads as the owner of its files does, by their mode bits."""
    if os.geteuid() != 0:
        return fn(*a)
    libc = ctypes.CDLL(None, use_errno=True)
    head, caps = _CapHeader(0x20080522, 0), (_CapData * 2)()  # _LINUX_CAPABILITY_VERSION_3, this thread
    assert libc.capget(ctypes.byref(head), caps) == 0, os.strerror(ctypes.get_errno())
    had = caps[0].effective
    caps[0].effective &= ~0b110  # bits 1 and 2
    assert libc.capset(ctypes.byref(head), caps) == 0, os.strerror(ctypes.get_errno())
    try:
        return fn(*a)
    finally:
        caps[0].effective = had
        assert libc.capset(ctypes.byref(head), caps) == 0, os.strerror(ctypes.get_errno())


def _load_locked(t: Path):
    from occlusion_mim.checkpoints import load_pretrained

    m = _m()
    return _unprivileged(load_pretrained, m, _locked(t))


X = torch.rand(4, 3, 32, 32)
# (entry point, the bad value, how it is called (tmp: a fresh folder), the error's type, what it says)
TABLE = [
    ('create_model', 'not a string', lambda t: _create(3), TypeError, 'a model name is a string'),
    ('create_model', 'empty name', lambda t: _create(''), ValueError, "model='' is not one of"),
    ('create_model', 'unknown name', lambda t: _create('mae_vit_nano'), ValueError, "model='mae_vit_nano'"),
    (
        'create_model',
        'mask ratio 1.5',
        lambda t: _create('mae_vit_nano_patch8', mask_ratio=1.5),
        ValueError,
        'mask_ratio=1.5 is outside [0, 1)',
    ),
    (
        'create_model',
        'mask ratio NaN',
        lambda t: _create('mae_vit_nano_patch8', mask_ratio=float('nan')),
        ValueError,
        'mask_ratio=nan is outside',
    ),
    (
        'create_model',
        'negative depth',
        lambda t: _create('mae_vit_nano_patch8', depth=-1),
        ValueError,
        "sizes are whole numbers of at least 1; got {'depth': -1}",
    ),
    (
        'create_model',
        'unknown option',
        lambda t: _create('mae_vit_nano_patch8', colour=1),
        ValueError,
        "unknown option(s) ['colour']",
    ),
    (
        'load_pretrained',
        'missing file',
        lambda t: _load('/no/file.pt'),
        FileNotFoundError,
        'checkpoint /no/file.pt does not exist',
    ),
    ('load_pretrained', 'a folder', lambda t: _load(t), ValueError, 'is a folder; give the checkpoint file'),
    (
        'load_pretrained',
        'unreadable file',
        _load_locked,
        PermissionError,
        "Permission denied: '{t}/locked.pt'",
    ),
    (
        'load_pretrained',
        'wrong format (text)',
        lambda t: _load(ROOT / 'README.md'),
        ValueError,
        'is not a checkpoint',
    ),
    (
        'train',
        'negative epochs',
        lambda t: _train(t, epochs=-1),
        ValueError,
        '--epochs=-1 must be at least 1',
    ),
    ('train', 'wrong type', lambda t: _train(t, epochs='5'), ValueError, "--epochs='5' must be a int"),
    (
        'train',
        'NaN learning rate',
        lambda t: _train(t, blr=float('nan')),
        ValueError,
        '--blr=nan must be a finite number',
    ),
    (
        'train',
        'huge batch',
        lambda t: _train(t, model='mae_vit_nano_patch8', n_per_class=2, batch_size=10**6),
        ValueError,
        'fewer than one optimiser step',
    ),
    ('train', 'empty data', lambda t: _train(t, data=''), ValueError, '--data is empty'),
    (
        'train',
        'missing data folder',
        lambda t: _train(t, data='/no/folder'),
        FileNotFoundError,
        '--data /no/folder: no such folder',
    ),
    ('train', 'unknown model', lambda t: _train(t, model='nope'), ValueError, "model='nope' is not one of"),
    ('masked_vs_full_cka', 'one image', lambda t: _cka(X[:1]), ValueError, 'needs at least 2 images; got 1'),
    (
        'masked_vs_full_cka',
        'ratio 1.0',
        lambda t: _cka(X, ratios=(1.0,)),
        ValueError,
        'ratio=1.0 is outside the open interval (0, 1)',
    ),
    ('masked_vs_full_cka', 'no ratios', lambda t: _cka(X, ratios=()), ValueError, 'ratios is empty'),
    (
        'masked_vs_full_cka',
        'unknown pooling',
        lambda t: _cka(X, pool='max'),
        ValueError,
        "pool='max' is not one of",
    ),
    (
        'masked_vs_full_cka',
        'wrong image size',
        lambda t: _cka(torch.rand(4, 3, 48, 48)),
        ValueError,
        "image size 48x48 does not match the model's 32x32",
    ),
    (
        'masked_vs_full_cka',
        'NaN images',
        lambda t: _cka(torch.full((4, 3, 32, 32), float('nan'))),
        ValueError,
        'non-finite value(s)',
    ),
    (
        'shape_bias',
        'missing stimuli folder',
        lambda t: _sb(_fn, '/no/stimuli'),
        FileNotFoundError,
        'cue-conflict folder /no/stimuli does not exist',
    ),
    (
        'shape_bias',
        'folder of the wrong layout',
        lambda t: _sb(_fn, t),
        FileNotFoundError,
        'has no category folders',
    ),
    (
        'shape_bias',
        'unknown label space',
        lambda t: _sb(_fn, t, 'klingon'),
        ValueError,
        "label_space='klingon' is not one of",
    ),
    ('shape_bias', 'not a classifier', lambda t: _sb(5, t), TypeError, 'model_or_fn must be a model'),
    (
        'read_decisions',
        'missing file',
        lambda t: _read('/no/raw.csv'),
        FileNotFoundError,
        '/no/raw.csv does not exist',
    ),
    (
        'read_decisions',
        'unreadable file',
        lambda t: _unprivileged(_read, _locked(t)),
        PermissionError,
        "Permission denied: '{t}/locked.pt'",
    ),
    (
        'read_decisions',
        'folder without raw data',
        lambda t: _read(t),
        FileNotFoundError,
        'holds no model-vs-human cue-conflict file',
    ),
    (
        'export_run',
        'not a run folder',
        lambda t: _export(t, t / 'out'),
        FileNotFoundError,
        'is not a run folder: it needs run.json and checkpoint.pt',
    ),
]


@pytest.mark.parametrize('entry, bad, call, kind, says', TABLE, ids=[f'{r[0]}: {r[1]}' for r in TABLE])
def test_bad_input_is_one_clear_error(tmp_path, entry, bad, call, kind, says):
    with pytest.raises(kind) as e:
        call(tmp_path)
    assert says in str(e.value).replace(str(tmp_path), '{t}'), str(e.value)
    assert not (tmp_path / 'run' / 'checkpoint.pt').exists() and not (tmp_path / 'run' / 'run.json').exists()


# the command line: `occlusion-mim ...` as its console script runs it (`occlusion_mim.slurm.main`), in this
# process; a training row gets a small run's options after its mode (they never reach training: the row fails
# first); {t} is a fresh folder holding an empty folder `empty/`, a text file `notes.txt` and a file no one
# may read, `locked.pt` (its row runs unprivileged: `_unprivileged`)
RUN = '--out {t}/run --n-per-class 2 --batch-size 4 --max-steps 1 --quiet --no-tensorboard'
MODELS = dict(pretrain='mae_vit_nano_patch8', finetune='vit_nano_patch8', probe='vit_nano_patch8')
CLI = [
    ('pretrian', "argument mode: invalid choice: 'pretrian'"),
    ('', 'the following arguments are required: mode'),
    ('pretrain --colour red', 'unrecognized arguments: --colour red'),
    ('--plugin no_such_module pretrain', "no_such_module"),
    ('pretrain --model ""', "model='' is not one of"),
    ('pretrain --model mae_vit_nano', "model='mae_vit_nano' is not one of"),
    ('pretrain --method byol', "method='byol' is not one of"),
    (
        'pretrain --method mae --model c_mae_vit_nano_patch8',
        '--method mae contradicts --model c_mae_vit_nano_patch8',
    ),
    ('pretrain --model vit_nano_patch8', 'is a supervised ViT; pretrain one of'),
    ('finetune --model mae_vit_nano_patch8', 'finetune takes the architecture name'),
    ('pretrain --data ""', '--data is empty'),
    ('pretrain --data /no/folder', '--data /no/folder: no such folder'),
    ('pretrain --data {t}/empty', 'holds no images'),
    ('pretrain --data {t}/notes.txt', 'data root {t}/notes.txt is not a folder; accepted layouts'),
    ("pretrain --data $'a\nb'", "--data='a\\nb' holds a control character"),
    ('pretrain --out ""', '--out is empty'),
    ('pretrain --epochs 0', '--epochs=0 must be at least 1'),
    ('pretrain --epochs 2.5', "argument --epochs: invalid int value: '2.5'"),
    ('pretrain --epochs ""', "argument --epochs: invalid int value: ''"),
    ('pretrain --batch-size -1', '--batch-size=-1 must be at least 1'),
    ('pretrain --accum-iter 0', '--accum-iter=0 must be at least 1'),
    ('pretrain --total-batch -1', '--total-batch=-1 must be 0 (off) or more'),
    ('pretrain --total-batch 64 --accum-iter 2', '--total-batch 64 and --accum-iter 2: give one'),
    ('pretrain --blr x', "argument --blr: invalid float value: 'x'"),
    ('pretrain --blr nan', '--blr=nan must be a finite number'),
    ('pretrain --blr -1', '--blr=-1.0 must be in [0, inf)'),
    ('pretrain --blr 0', 'a learning rate is needed'),
    ('pretrain --lr inf', '--lr=inf must be a finite number'),
    ('pretrain --lr -0.1', '--lr=-0.1 must be in [0, inf)'),
    ('pretrain --lr 0.01 --min-lr 0.1', '--min-lr=0.1 is above --lr=0.01'),
    ('pretrain --min-lr -1', '--min-lr=-1.0 must be in [0, inf)'),
    ('pretrain --warmup-epochs -1', '--warmup-epochs=-1.0 must be in [0, inf)'),
    ('pretrain --weight-decay -0.05', '--weight-decay=-0.05 must be in [0, inf)'),
    ('pretrain --beta2 1', "--beta2=1.0 must be in (0, 1), or 0 for the mode's default"),
    ('finetune --layer-decay 0', '--layer-decay=0.0 must be in (0, 1]'),
    ('finetune --layer-decay 1.5', '--layer-decay=1.5 must be in (0, 1]'),
    ('pretrain --mask-ratio 1', 'mask_ratio=1.0 is outside [0, 1)'),
    ('pretrain --model mocov3_vit_nano_patch8 --mask-ratio 0.5', 'MoCo v3 masks no patches'),
    ('pretrain --model c_mae_vit_nano_patch8 --loss huber', "loss='huber' is not one of: infonce, l2"),
    ('pretrain --loss l2', '--loss l2 applies to C-MAE'),
    ('pretrain --source-aug blur', "augmentation='blur' is not one of"),
    ('pretrain --momentum 1.5', '--momentum=1.5 must be in [0, 1]'),
    ('pretrain --drop-path 1', '--drop-path=1.0 must be in [0, 1)'),
    ('finetune --label-smoothing 1', '--label-smoothing=1.0 must be in [0, 1)'),
    ('finetune --mixup -1', '--mixup=-1.0 must be in [0, inf)'),
    ('finetune --cutmix -0.5', '--cutmix=-0.5 must be in [0, inf)'),
    ('finetune --auto-augment rand-x9', "--auto-augment 'rand-x9' is not a timm RandAugment policy"),
    ('pretrain --auto-augment rand-m9', '--auto-augment / --reprob are fine-tuning augmentations'),
    ('finetune --reprob 2', '--reprob=2.0 must be a probability in [0, 1]'),
    ('pretrain --pool max', "pool='max' is not one of"),
    ('finetune --freeze-patch-embed', '--freeze-patch-embed applies to pretraining'),
    ('pretrain --model mocov3_vit_nano_patch8 --moco-crops none', "moco_crops='none' is not one of"),
    ('pretrain --moco-crops original', '--moco-crops original applies to pretraining MoCo v3'),
    ('finetune --num-classes -1', '--num-classes=-1 must be in [0, inf)'),
    ('finetune --init /no/file.pt', '--init /no/file.pt does not exist'),
    (
        'finetune --init {t}/notes.txt',
        'is not a checkpoint: the file is neither a zip archive (torch.save) nor a pickle',
    ),
    ('finetune --init {t}/locked.pt', "[Errno 13] Permission denied: '{t}/locked.pt'"),
    ('probe', 'probe needs --init'),
    ('pretrain --epoch-length 0', '--epoch-length=0 must be in [1, inf)'),
    ('pretrain --n-per-class 0', '--n-per-class=0 must be in [1, inf)'),
    ('pretrain --crop-min 1.5', '--crop-min=1.5 must be in [0, 1]'),
    ('pretrain --on-corrupt ignore', "on_corrupt='ignore' is not one of: error, skip"),
    ('pretrain --decode gpu', "decode='gpu' is not one of: workers, device"),
    ('pretrain --decode device', '--decode device reads the image files of a --data folder'),
    ('pretrain --precision fp8', "precision='fp8' is not one of: auto, bf16, fp16, fp32"),
    ('pretrain --device tpu', "device='tpu' is not one of: auto, cpu, cuda"),
    ('pretrain --seed -1', '--seed=-1 must be in [0, 2**63)'),
    ('pretrain --seed 9223372036854775808', '--seed=9223372036854775808 must be in [0, 2**63)'),
    ('pretrain --save-every -1', '--save-every=-1 must be 0 (at epoch ends only) or more'),
    ('pretrain --max-steps -1', '--max-steps=-1 must be 0 (off) or more'),
    ('pretrain --max-eval -1', '--max-eval=-1 must be 0 (off) or more'),
    ('pretrain --eval-every 0', '--eval-every=0 must be at least 1'),
    ('pretrain --num-workers -1', '--num-workers=-1 must be in [0, inf)'),
    ('pretrain --log-every 0', '--log-every=0 must be at least 1'),
    ('pretrain --slurm nodes=x', "slurm launcher: nodes='x' is not a int"),
    ('pretrain --slurm colour=red', "slurm launcher: 'colour=red' is not key=value with a known key"),
    ('pretrain --slurm partition', "slurm launcher: 'partition' is not key=value with a known key"),
    ("pretrain --slurm 'partition=gpu;rm'", "slurm launcher: partition='gpu;rm' holds ';'"),
    ("pretrain --slurm $'partition=gpu\nx'", "slurm launcher: partition='gpu\\nx' holds '\\n'"),
    ('export', 'the following arguments are required: run, out'),
    ('export {t}/empty {t}/out', 'is not a run folder: it needs run.json and checkpoint.pt'),
    ('export /no/run {t}/out', '/no/run'),
]


def _argv(line: str, t: Path) -> list:
    "The row's command line as the shell splits it ($'...' quotes a newline), a training row's run added."
    argv = shlex.split(re.sub(r"\$'([^']*)'", lambda m: shlex.quote(m.group(1)), line))
    argv = [a.format(t=t) for a in argv]
    mode = next((a for a in argv if a in MODELS), None)
    if mode is None or argv[:1] == ['export']:
        return argv
    at = argv.index(mode) + 1
    return argv[:at] + ['--model', MODELS[mode]] + RUN.format(t=t).split() + argv[at:]


@pytest.mark.parametrize('line, says', CLI, ids=[r[0] or '(nothing)' for r in CLI])
def test_command_line_bad_input_is_one_clear_error(tmp_path, monkeypatch, line, says):
    from occlusion_mim import slurm
    from occlusion_mim.models import PLUGIN_ENV

    monkeypatch.setenv(PLUGIN_ENV, '')  # --plugin sets it for the processes a run starts; undone after
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'notes.txt').write_text('not an image')
    _locked(tmp_path)
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = (
                _unprivileged(slurm.main, _argv(line, tmp_path))
                if 'locked' in line
                else slurm.main(_argv(line, tmp_path))
            )
        except SystemExit as e:
            code = e.code
    said = err.getvalue()
    assert code == 2, (code, said, out.getvalue()[-2000:])
    assert says in said.replace(str(tmp_path), '{t}'), said
    assert 'Traceback' not in said and 'error:' in said, said
    assert not (tmp_path / 'run').exists() and not (tmp_path / 'out').exists(), 'nothing is written'


def test_the_command_line_table_tries_every_option():
    "Each option of every subcommand has a row: a new option joins the table or this test fails."
    from occlusion_mim.train import TrainConfig
    import dataclasses

    tried = {a for line, _ in CLI for a in line.split() if a.startswith('--')}
    options = {'--' + f.name.replace('_', '-') for f in dataclasses.fields(TrainConfig) if f.name != 'mode'}
    # the switches that take no value, and the ones whose every value is valid (a path to write, a flag)
    free = {'--compile', '--quiet', '--no-tensorboard'}
    assert options - free - tried == set()
    assert {'--plugin', '--slurm'} <= tried


# notebook parameters: the notebook's cells up to its parameter checks, run in this process with the values
# injected as papermill injects them (a cell after the `parameters` cell); the slow tests of test_experiments
# run a few of these through papermill itself
NOTEBOOKS = ('fig1', 'fig2', 'fig3', 'fig4', 'tab_aug')


def notebook_checks(name: str, tmp: Path, **params) -> dict:
    """Run notebook `name` up to the cell that checks its parameters (`declared_params` or `check_params`)
    with `params` injected; the namespace it leaves."""
    from papermill.translators import PythonTranslator  # papermill's own literals: nan is float('nan')

    nb = json.loads((ROOT / 'nbs' / f'{name}.ipynb').read_text())
    code = [''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'code']
    tags = [c['metadata'].get('tags', []) for c in nb['cells'] if c['cell_type'] == 'code']
    first = next(i for i, t in enumerate(tags) if 'parameters' in t)
    last = next(i for i, s in enumerate(code) if 'check_params(' in s or 'declared_params(' in s)
    folders = {k: str(tmp / k.removesuffix('_dir')) for k in ('out_dir', 'cache_dir') if k in declared(name)}
    injected = '\n'.join(f'{k} = {PythonTranslator.translate(v)}' for k, v in {**folders, **params}.items())
    ns = {'__name__': '__main__'}
    with contextlib.redirect_stdout(io.StringIO()):
        for src in [code[first], injected, *code[first + 1 : last + 1]]:
            exec(compile(src, f'{name}.ipynb', 'exec'), ns)
    return ns


def declared(name: str) -> dict:
    "A notebook's parameters as its `parameters` cell declares them: {name: annotation}."
    nb = json.loads((ROOT / 'nbs' / f'{name}.ipynb').read_text())
    cell = next(c for c in nb['cells'] if 'parameters' in c['metadata'].get('tags', []))
    tree = ast.parse(''.join(cell['source']))
    return {
        a.target.id: ast.unparse(a.annotation).strip('\'"') for a in tree.body if isinstance(a, ast.AnnAssign)
    }


def wrong_type(annotation: str):
    "A value of a type the annotation does not allow."
    if 'str' in annotation:
        return 5 if 'bool' not in annotation and 'int' not in annotation else 2.5
    return 'x' if 'list' not in annotation else 2.5


# every parameter of every notebook, given a value of the wrong type: one error naming it, nothing trained
TYPE_ROWS = [(nb, k, wrong_type(a)) for nb in NOTEBOOKS for k, a in declared(nb).items()]
# values of the right type that no run can use
VALUE_ROWS = [
    ('fig1', dict(preset='papr'), "preset='papr' is not one of"),
    ('fig1', dict(augmentations='mask;blur'), "augmentation='blur' is not one of"),
    ('fig1', dict(mask_ratio=1.5), 'mask_ratio=1.5'),
    ('fig1', dict(mask_ratio=float('nan')), 'mask_ratio=nan'),
    ('fig1', dict(n_images=0), 'n_images=0 must be at least 1'),
    ('fig1', dict(size=60), 'size=60 is not divisible by patch_size=16'),
    ('fig1', dict(crop='left'), "crop='left' is not one of"),
    ('fig1', dict(images='/no/such/folder'), '/no/such/folder'),
    ('fig2', dict(preset='paper'), 'the paper preset needs `imagenet`'),
    ('fig2', dict(imagenet='/no/imagenet'), "imagenet='/no/imagenet'"),
    ('fig2', dict(one_image_epochs=0), 'one_image_epochs=0 must be at least 1'),
    ('fig2', dict(seeds=0), 'seeds=0 must be at least 1'),
    ('fig2', dict(ci=1), 'ci=1: give 0 (no intervals) or 2 to'),
    ('fig2', dict(device='tpu'), "device='tpu' is not one of"),
    ('fig3', dict(epochs='many'), "epochs='many' is not a int"),
    ('fig3', dict(epochs=[0, 4]), 'every epoch count must be at least 1'),
    ('fig3', dict(strong_aug='blur'), "augmentation='blur' is not one of"),
    ('fig3', dict(preset='paper'), 'the paper preset needs `imagenet`'),
    ('fig3', dict(images='/no/ten'), '/no/ten'),
    ('fig3', dict(seeds=0), 'seeds=0 must be at least 1'),
    ('fig3', dict(ci=1), 'ci=1: give 0 (no intervals) or 2 to'),
    ('fig4', dict(methods='mae,byol'), "method='byol' is not one of"),
    ('fig4', dict(methods=' , '), 'methods is empty'),
    ('fig4', dict(classifier='knn'), "classifier='knn' is not one of"),
    ('fig4', dict(longer_epochs=1), 'longer_epochs=1'),
    ('fig4', dict(n_per_pair=0), 'n_per_pair=0 must be at least 1'),
    ('fig4', dict(stimuli='/no/stimuli'), "stimuli='/no/stimuli'"),
    ('fig4', dict(preset='paper', imagenet='.'), 'the paper preset needs `stimuli`'),
    ('tab_aug', dict(methods='mae,byol'), "method='byol' is not one of"),
    ('tab_aug', dict(compositions='mask+blur'), "augmentation='blur' is not one of"),
    ('tab_aug', dict(pretrain_epochs=0), 'pretrain_epochs=0 must be at least 1'),
    ('tab_aug', dict(seeds=0), 'seeds=0 must be at least 1'),
]


@pytest.mark.parametrize('nb, name, bad', TYPE_ROWS, ids=[f'{r[0]}: {r[1]}={r[2]!r}' for r in TYPE_ROWS])
def test_every_notebook_parameter_of_the_wrong_type_is_refused(tmp_path, monkeypatch, nb, name, bad):
    monkeypatch.chdir(ROOT / 'nbs')  # papermill's working folder
    with pytest.raises((TypeError, ValueError)) as e:
        notebook_checks(nb, tmp_path, **{name: bad})
    assert f'{name}={bad!r}' in str(e.value), str(e.value)
    assert not (tmp_path / 'cache').exists()


@pytest.mark.parametrize('nb, params, says', VALUE_ROWS, ids=[f'{r[0]}: {r[1]}' for r in VALUE_ROWS])
def test_notebook_parameter_values_no_run_can_use_are_refused(tmp_path, monkeypatch, nb, params, says):
    monkeypatch.chdir(ROOT / 'nbs')
    with pytest.raises((TypeError, ValueError, FileNotFoundError)) as e:
        notebook_checks(nb, tmp_path, **params)
    assert says in str(e.value), str(e.value)
    assert not (tmp_path / 'cache').exists()


def test_notebook_checks_pass_good_parameters(tmp_path, monkeypatch):
    "The runner itself: the defaults pass every notebook's checks (a row fails for its value, not the runner)"
    monkeypatch.chdir(ROOT / 'nbs')
    for nb in NOTEBOOKS:
        ns = notebook_checks(nb, tmp_path / nb)
        assert ns['preset'] == 'default', nb


# run_all -p: a key no notebook has (a typo) stops before any notebook runs; a bad value is the notebook's row
RUN_ALL = [
    ('--only fig3 -p epoch=5', "-p epoch=...: none of fig3 has a parameter 'epoch'"),
    ('--only fig3 -p epochs', "-p 'epochs': expected KEY=VALUE"),
    ('--only fig9', "--only: unknown notebook(s) ['fig9']"),
    ('--preset papr', "argument --preset: invalid choice: 'papr'"),
]


@pytest.mark.parametrize('line, says', RUN_ALL, ids=[r[0] for r in RUN_ALL])
def test_run_all_bad_input_stops_before_any_notebook(tmp_path, line, says):
    import importlib.util

    spec = importlib.util.spec_from_file_location('run_all', ROOT / 'scripts' / 'run_all.py')
    run_all = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_all)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as e:
        run_all.main(shlex.split(line) + ['--out', str(tmp_path / 'o')])
    assert e.value.code == 2 and says in err.getvalue(), err.getvalue()
    assert not (tmp_path / 'o').exists()


def render() -> str:
    api = ['| entry point | bad value | error |', '| --- | --- | --- |']
    api += [f'| `{e}` | {b} | {k.__name__}: "{s} ..." |' for e, b, _, k, s in TABLE]
    cli = ['| command | error (on stderr; exit status 2) |', '| --- | --- |']
    cli += [f'| `occlusion-mim {line}` | "{s} ..." |'.replace('\n', '\\n') for line, s in CLI]
    nbv = ['| notebook | parameters | error |', '| --- | --- | --- |']
    nbv += [f'| {n} | `{p}` | "{s} ..." |' for n, p, s in VALUE_ROWS]
    types = {n: ', '.join(f'`{k}={v!r}`' for m, k, v in TYPE_ROWS if m == n) for n in NOTEBOOKS}
    nbt = ['| notebook | each of these alone |', '| --- | --- |'] + [
        f'| {n} | {t} |' for n, t in types.items()
    ]
    ra = ['| command | error (exit status 2) |', '| --- | --- |']
    ra += [f'| `python scripts/run_all.py {line}` | "{s} ..." |' for line, s in RUN_ALL]
    return '\n'.join(
        [
            '# Bad input, end to end',
            '',
            'Generated from `tests/test_bad_input.py` (one test per row; regenerate with `python '
            'tests/test_bad_input.py`). Each',
            'bad value gets one error naming it, before anything is trained or written.',
            '',
            '## The Python API',
            '',
            '`{t}` is a fresh folder; `{t}/locked.pt` a file no one may read (as root, its rows run',
            'without the right to read any file).',
            '',
            *api,
            '',
            '## The command line',
            '',
            'A training row also gets a small run\'s options after its mode (`--model`, `--out`, a tiny data '
            'set); `{t}` is a',
            'folder holding an empty folder `empty/`, a text file `notes.txt` and a file no one may read, '
            '`locked.pt`',
            '(as root, its row runs without the right to read any file). The `--slurm` rows are refused '
            'before',
            'anything is submitted.',
            '',
            *cli,
            '',
            '## Notebook parameters (`papermill -p` / `-y`)',
            '',
            'Values of the right type that no run can use:',
            '',
            *nbv,
            '',
            'Every parameter of every notebook, given a value of a type it does not take: one error naming '
            'the parameter',
            '(`parameter seed=\'x\' has type str; expected int`, or the choices it takes).',
            '',
            *nbt,
            '',
            '## `run_all -p`',
            '',
            *ra,
            '',
        ]
    )


def test_the_table_in_tests_is_current():
    assert (ROOT / 'tests' / 'BAD_INPUT.md').read_text() == render(), 'run python tests/test_bad_input.py'


if __name__ == '__main__':
    (ROOT / 'tests' / 'BAD_INPUT.md').write_text(render())
