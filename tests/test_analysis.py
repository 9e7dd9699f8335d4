"""Shape bias on the real cue-conflict sample with classifiers whose decisions are known (skipped without
../shared), and the package's ImageNet index map against the shared copy."""

import json
import pytest
import torch
from occlusion_mim.shape_bias import shape_bias, label_space, load_stimuli
from occlusion_mim.data import cue_conflict_imagenet_indices


def test_package_index_map_equals_the_shared_one(shared_data):
    assert cue_conflict_imagenet_indices() == json.loads(
        (shared_data / 'cue_conflict_16class_imagenet_indices.json').read_text()
    )


@pytest.mark.parametrize('answer, expected', [('shape', 1.0), ('texture', 0.0), ('alternate', None)])
def test_shape_bias_of_known_classifiers_on_the_real_sample(shared_data, answer, expected):
    folder = shared_data / 'cue-conflict-sample'
    table, load = load_stimuli(folder)
    # the classifier recognises each stimulus by its pixels (images are distinct) and answers from the table
    ids = {load(i, None).sum().item(): i for i in range(len(table))}
    assert len(ids) == len(table)
    space = label_space('imagenet')
    answers = {}
    for i, r in table.iterrows():
        k = int(
            r['name'].split('/')[-1].split('-')[0].lstrip('abcdefghijklmnopqrstuvwxyz')
        )  # the shape instance number
        answers[i] = r['shape'] if answer == 'shape' or (answer == 'alternate' and k % 2) else r.texture

    def fn(x):
        mean, std = (
            torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1),
            torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1),
        )
        raw = x * std + mean
        out = torch.full((len(x), 1000), -20.0)
        for j, im in enumerate(raw):
            i = min(ids, key=lambda s: abs(s - im.sum().item()))
            out[j, space[answers[ids[i]]][-1]] = 8.0
        return out

    res = shape_bias(fn, folder, batch_size=16)
    assert len(res.trials) == 64 and (res.trials.outcome != 'other').all()
    if expected is None:  # odd instance numbers answer the shape: count them by hand
        conflict = table[~table.same]
        odd = sum(
            int(n.split('/')[-1].split('-')[0].lstrip('abcdefghijklmnopqrstuvwxyz')) % 2
            for n in conflict['name']
        )
        expected = odd / len(conflict)
        assert 0 < expected < 1
    assert res.mean == pytest.approx(expected, abs=1e-12)
