"""A user's own method reaches the `occlusion-mim` command (issue 27): by `--plugin MODULE`, and as an
installed package's entry point of the `occlusion_mim.plugins` group, with no change to the package."""

import json, os, subprocess, sys
import pytest

PARTS = (
    "from occlusion_mim.models import register_method\n"
    "register_method('huber_mae', 'mask', 'pixels', 'reconstruction', label='Huber MAE')\n"
)
RUN = ['--model', 'huber_mae_vit_nano_patch8', '--data', 'shapes', '--n-per-class', '2', '--batch-size', '8']
RUN += ['--max-steps', '1', '--quiet', '--device', 'cpu']


def cli(args, path, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != 'OCCLUSION_MIM_PLUGINS'}
    env['PYTHONPATH'] = os.pathsep.join([str(path), env.get('PYTHONPATH', '')])
    cmd = [sys.executable, '-m', 'occlusion_mim.train', *args, '--out', str(tmp_path / 'run')]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)


@pytest.fixture
def parts(tmp_path):
    d = tmp_path / 'plugins'
    d.mkdir()
    (d / 'my_parts.py').write_text(PARTS)
    return d


def trained_model(tmp_path):
    return json.loads((tmp_path / 'run' / 'run.json').read_text())['params']['model']


@pytest.mark.parametrize('where', ['before the mode', 'after the mode'])
def test_plugin_option_brings_a_users_method(tmp_path, parts, where):
    args = ['--plugin', 'my_parts', 'pretrain', *RUN]
    if where == 'after the mode':
        args = ['pretrain', *RUN, '--plugin=my_parts']
    r = cli(args, parts, tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert trained_model(tmp_path) == 'huber_mae_vit_nano_patch8'


def test_without_the_plugin_the_method_is_unknown_and_said(tmp_path, parts):
    r = cli(['pretrain', *RUN], parts, tmp_path)
    assert r.returncode == 2 and "'huber_mae_vit_nano_patch8'" in r.stderr and 'Traceback' not in r.stderr
    r = cli(['--plugin', 'no_such_parts', 'pretrain', *RUN], parts, tmp_path)
    assert r.returncode == 2 and "plugin 'no_such_parts' cannot be imported" in r.stderr, r.stderr


def test_an_installed_packages_entry_point_is_loaded(tmp_path, parts):
    info = parts / 'my_parts-0.1.dist-info'
    info.mkdir()
    (info / 'METADATA').write_text('Metadata-Version: 2.1\nName: my-parts\nVersion: 0.1\n')
    (info / 'entry_points.txt').write_text('[occlusion_mim.plugins]\nhuber = my_parts\n')
    r = cli(['pretrain', *RUN], parts, tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert trained_model(tmp_path) == 'huber_mae_vit_nano_patch8'
