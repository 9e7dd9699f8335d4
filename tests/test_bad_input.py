"""Bad input at the Python API a user types into: each row an entry point, the bad value tried and the start
of the one error it gets (no deep traceback, nothing written). `tests/BAD_INPUT.md` is this table rendered
(regenerate it with `python tests/test_bad_input.py`); the command line's rows are in test_train.py and
test_faults.py (`test_bad_input_fails_before_training`, `test_bad_options_are_clear_errors`)."""

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
    assert says in str(e.value), str(e.value)
    assert not (tmp_path / 'run' / 'checkpoint.pt').exists() and not (tmp_path / 'run' / 'run.json').exists()


def render() -> str:
    rows = ['| entry point | bad value | error |', '| --- | --- | --- |']
    rows += [f'| `{e}` | {b} | {k.__name__}: "{s} ..." |' for e, b, _, k, s in TABLE]
    head = '# Bad input at the Python API\n\nGenerated from `tests/test_bad_input.py` (one test per row).\n\n'
    return head + '\n'.join(rows) + '\n'


def test_the_table_in_tests_is_current():
    assert (ROOT / 'tests' / 'BAD_INPUT.md').read_text() == render(), 'run python tests/test_bad_input.py'


if __name__ == '__main__':
    (ROOT / 'tests' / 'BAD_INPUT.md').write_text(render())
