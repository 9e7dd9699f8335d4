"""Data integration tests: the real cue-conflict sample, package data shipped in the wheel, bad input."""

import subprocess, sys, zipfile
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from occlusion_mim.data import (
    cue_conflict_table,
    CueConflictImages,
    cue_conflict_imagenet_indices,
    image_folder,
    imagenet100_wnids,
    few_image_set,
    write_cue_conflict,
    SHAPES,
)

ROOT = Path(__file__).resolve().parents[1]


def test_real_cue_conflict_sample(shared_data):
    t = cue_conflict_table(shared_data / 'cue-conflict-sample')
    assert len(t) == 80 and t.same.sum() == 16
    assert sorted(set(t['shape'])) == sorted(cue_conflict_imagenet_indices())
    ds = CueConflictImages(shared_data / 'cue-conflict-sample', drop_same=True)
    img, s, tx = ds[0]
    assert len(ds) == 64 and img.size == (224, 224) and s != tx


def test_package_data_matches_shared(shared_data):
    assert imagenet100_wnids() == sorted((shared_data / 'imagenet100_wnids.txt').read_text().split())
    import json

    assert cue_conflict_imagenet_indices() == json.loads(
        (shared_data / 'cue_conflict_16class_imagenet_indices.json').read_text()
    )


@pytest.mark.slow  # builds a wheel in a subprocess
def test_wheel_carries_package_data(tmp_path):
    """`pip wheel .` builds a wheel with the modules and the class lists; installed alone it imports and reads
    them."""
    r = subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '--no-deps', '-q', '-w', str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    whl = next(tmp_path.glob('occlusion_mim-*.whl'))
    names = zipfile.ZipFile(whl).namelist()
    for f in (
        'occlusion_mim/data.py',
        'occlusion_mim/augment.py',
        'occlusion_mim/resources/imagenet100_wnids.txt',
        'occlusion_mim/resources/cue_conflict_16class_imagenet_indices.json',
    ):
        assert f in names, f
    target = tmp_path / 'site'
    subprocess.run(
        [sys.executable, '-m', 'pip', 'install', '--no-deps', '-q', '--target', str(target), str(whl)],
        check=True,
    )
    code = (
        "import occlusion_mim.data as d, pathlib; assert str(pathlib.Path(d.__file__)).startswith(%r), "
        "d.__file__; "
        "print(len(d.imagenet100_wnids()), len(d.cue_conflict_imagenet_indices()))" % str(target)
    )
    r = subprocess.run(
        [sys.executable, '-c', code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={'PYTHONPATH': str(target), 'PATH': '/usr/bin:/bin'},
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ['100', '16']


def test_generated_cue_conflict_on_disk(tmp_path):
    out = write_cue_conflict(tmp_path / 'cc', n_per_pair=2, size=24, seed=1)
    t = cue_conflict_table(out)
    assert len(t) == len(SHAPES) ** 2 * 2 and t.same.sum() == len(SHAPES) * 2
    assert all(Image.open(p).size == (24, 24) for p in t.path[:5])
    assert not list(out.rglob('*.tmp'))


def test_bad_inputs_name_the_culprit(tmp_path):
    with pytest.raises(FileNotFoundError, match='accepted layouts'):
        image_folder(tmp_path / 'missing')
    (tmp_path / 'root' / 'train' / 'n01440764').mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match='n01440764'):
        image_folder(tmp_path / 'root')
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / 'root' / 'train' / 'n01440764' / 'a.png')
    with pytest.raises(ValueError, match='n0000000x'):
        image_folder(tmp_path / 'root', classes=['n0000000x'])
    with pytest.raises(ValueError, match="'photos:nope'|'nope'"):
        few_image_set('photos:nope', n_images=1)
