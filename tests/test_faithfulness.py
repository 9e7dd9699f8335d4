"""The project's MAE is the public algorithm: an independent implementation (tests/reference_mae.py),
saved as a public-style checkpoint and loaded with `load_pretrained`, gives the same loss, prediction
and mask for the same images and noise (fp32, within 1e-6), for ViT-S/16 and a small preset, at
several mask ratios; gradients agree too. The default model predicts only the masked patches (the loss uses
nothing else); with `predict_visible=True` every prediction equals the reference's."""

import pytest
import torch
from reference_mae import ReferenceMAE
from occlusion_mim.models import create_model, ARCHS, HEAD_SIZES
from occlusion_mim.checkpoints import load_pretrained


def pair(arch, tmp_path, seed=0):
    cfg = {**ARCHS[arch], **{k: v for k, v in HEAD_SIZES[arch].items() if k.startswith('decoder_')}}
    torch.manual_seed(seed)
    ref = ReferenceMAE(**cfg)
    torch.save({'model': ref.state_dict()}, tmp_path / 'mae.pth')
    ours = create_model(f'mae_{arch}')
    res = load_pretrained(ours, tmp_path / 'mae.pth', strict=True)
    assert res.format == 'mae' and not res.missing and not res.unexpected
    return ref, ours, cfg


@pytest.mark.parametrize(
    'arch, batch, ratios', [('vit_small_patch16', 2, (0.75,)), ('vit_cpu_patch8', 4, (0.1, 0.5, 0.75, 0.9))]
)
def test_same_loss_as_reference(arch, batch, ratios, tmp_path):
    ref, ours, cfg = pair(arch, tmp_path)
    L = (cfg['img_size'] // cfg['patch_size']) ** 2
    g = torch.Generator().manual_seed(1)
    x = torch.rand(batch, 3, cfg['img_size'], cfg['img_size'], generator=g)
    for r in ratios:
        noise = torch.rand(batch, L, generator=g)
        with torch.no_grad():
            l_ref, p_ref, m_ref = ref(x, r, noise)
            out = ours(x, mask_ratio=r, noise=noise)
        assert torch.equal(out.mask, m_ref)
        assert abs(out.loss.item() - l_ref.item()) <= 1e-6, (r, out.loss.item(), l_ref.item())
        m = m_ref.bool()
        torch.testing.assert_close(
            out.pred[m], p_ref[m], atol=1e-5, rtol=1e-5
        )  # masked patches: the reference's predictions
        assert out.pred[~m].abs().sum() == 0  # visible ones are not predicted
        ours.similarity.predict_visible = True
        with torch.no_grad():
            full = ours(x, mask_ratio=r, noise=noise)
        ours.similarity.predict_visible = False
        assert abs(full.loss.item() - l_ref.item()) <= 1e-6
        torch.testing.assert_close(full.pred, p_ref, atol=1e-5, rtol=1e-5)


def test_same_gradients_as_reference(tmp_path):
    ref, ours, cfg = pair('vit_nano_patch8', tmp_path)
    x = torch.rand(3, 3, 32, 32)
    noise = torch.rand(3, 16)
    ref(x, 0.75, noise)[0].backward()
    ours(x, noise=noise).loss.backward()
    torch.testing.assert_close(
        ours.encoder.blocks[0].attn.qkv.weight.grad, ref.blocks[0].attn.qkv.weight.grad, atol=1e-6, rtol=1e-5
    )
    torch.testing.assert_close(
        ours.similarity.decoder.mask_token.grad, ref.mask_token.grad, atol=1e-6, rtol=1e-5
    )
