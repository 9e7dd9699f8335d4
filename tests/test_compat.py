"""Checkpoints written before the transform / target / similarity slots (commit 3c54686) still load, strictly,
into the models `create_model` builds now, and give the loss the old code computed (MoCo v3 excepted: its
views are now made in pixel space, so its loss differs by design)."""

from pathlib import Path
import pytest
import torch
from occlusion_mim.models import create_model
from occlusion_mim.checkpoints import load_pretrained, save_model
from occlusion_mim.data import normalize

DATA = Path(__file__).parent / 'data'
OLD = torch.load(DATA / 'models_v1.pt', map_location='cpu', weights_only=True)


def batch():
    x = normalize(torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(1)))
    noise = torch.rand(4, 16, generator=torch.Generator().manual_seed(2))
    return x, noise, torch.tensor([0, 1, 2, 3])


@pytest.mark.parametrize('name', sorted(OLD['models']))
def test_old_state_dict_loads_strictly_and_gives_the_old_loss(name):
    old = OLD['models'][name]
    m = create_model(name, num_classes=10).eval()
    m.load_state_dict(old['model'])  # strict: the same keys and shapes
    x, noise, y = batch()
    with torch.no_grad():
        loss = m(x, noise=noise, labels=y, generator=torch.Generator().manual_seed(3)).loss.item()
    if name.startswith('mocov3'):
        assert loss == loss and loss != pytest.approx(
            old['loss'], abs=1e-6
        )  # the pixel-space views changed it
    else:
        assert loss == pytest.approx(old['loss'], abs=1e-6, rel=0)


def test_old_files_load_through_load_pretrained(tmp_path):
    old = OLD['models']['mae_vit_nano_patch8']['model']
    src = create_model('mae_vit_nano_patch8')
    src.load_state_dict(old)
    save_model(src, tmp_path / 'old.pt')
    ft = create_model('vit_nano_patch8', num_classes=10)
    res = load_pretrained(ft, tmp_path / 'old.pt')
    assert torch.equal(ft.encoder.blocks[0].attn.qkv.weight, old['encoder.blocks.0.attn.qkv.weight'])
    assert not [k for k in res.missing if k.startswith('encoder.')]
