"""The siamese views through the real training loop (Appendix A): the extra source augmentations reach the
encoder's input only; the target is computed from the clean shared crop. Checked by recording what the
online encoder, the target and the similarity receive during `train()` on a dataset of known images."""

import pytest
import torch
import torch.nn.functional as F
from torchvision.transforms.v2.functional import to_dtype
from occlusion_mim import models
from occlusion_mim.train import train

N, SIZE, P = 4, 32, 8


class KnownImages(torch.utils.data.Dataset):
    "Four fixed uint8 images, no random transform: the clean batch the loop makes from them is known exactly."

    classes = ['a', 'b']

    def __init__(self):
        g = torch.Generator().manual_seed(0)
        self.x = (torch.rand(N, 3, SIZE, SIZE, generator=g) * 200 + 40).to(torch.uint8)  # no black pixels

    def __len__(self):
        return N

    def __getitem__(self, i):
        return self.x[i], i % 2


MEAN, STD = (
    torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1),
    torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1),
)


def normalize(x):
    return (x - MEAN) / STD


def patchify(x, p):
    "(N, 3, H, W) -> (N, L, p*p*3) in MAE's order, written out independently of the package."
    n, c, h, w = x.shape
    return (
        x.reshape(n, c, h // p, p, w // p, p)
        .permute(0, 2, 4, 3, 5, 1)
        .reshape(n, (h // p) * (w // p), p * p * c)
    )


def clean_batch(ds):
    return normalize(to_dtype(ds.x, torch.float32, scale=True))  # uint8 -> [0, 1] as torchvision does


def norm_pix(x):
    t = patchify(x, P)
    mean, var = t.mean(-1, keepdim=True), t.var(-1, keepdim=True)
    return (t - mean) / (var + 1e-6) ** 0.5


def same_rows(a, b):
    """Every row of `a` equals, bitwise, some row of `b`, and the other way round (batch order is the
    sampler's)."""
    a, b = a.flatten(1), b.flatten(1)
    return all(any(torch.equal(r, s) for s in b) for r in a) and all(
        any(torch.equal(r, s) for s in a) for r in b
    )


def black_patches(x):
    "Per image, the number of patches that are exactly the normalised black of the source mask."
    black = normalize(torch.zeros(1, 3, SIZE, SIZE))
    eq = (x == black).all(1).float()  # (N, H, W)
    return (F.avg_pool2d(eq[:, None], P)[:, 0] == 1).flatten(1).sum(1)


@pytest.fixture
def record(monkeypatch):
    "Record the online encoder's input, the target encoder's input and the similarity's target argument."
    seen = dict(online=[], target_encoder=[], similarity_target=[])
    forward_encoder = models.ViTEncoder.forward_encoder

    def spy_encoder(self, imgs, *a, **kw):
        key = 'online' if any(p.requires_grad for p in self.parameters()) else 'target_encoder'
        seen[key].append(imgs.detach().clone())
        return forward_encoder(self, imgs, *a, **kw)

    monkeypatch.setattr(models.ViTEncoder, 'forward_encoder', spy_encoder)
    for cls in (models.Reconstruction, models.Contrastive):

        def spy_similarity(self, latent, mask, ids_restore, target, _f=cls.forward):
            seen['similarity_target'].append(target.detach().clone())
            return _f(self, latent, mask, ids_restore, target)

        monkeypatch.setattr(cls, 'forward', spy_similarity)
    return seen


def run(tmp_path, method, source_aug='none', ds=None):
    "One pretraining epoch (one batch) of `method` on `ds` (default: `KnownImages`); returns the dataset."
    ds = KnownImages() if ds is None else ds
    train(
        mode='pretrain',
        model=f'{method}_vit_nano_patch8',
        dataset=ds,
        batch_size=N,
        epochs=1,
        blr=1e-3,
        source_aug=source_aug,
        precision='fp32',
        device='cpu',
        quiet=True,
        out=str(tmp_path / 'run'),
    )
    return ds


@pytest.mark.parametrize('source_aug', ['mask', 'color', 'mask+cutmix+color'])
def test_mae_reconstructs_the_clean_crop(tmp_path, record, source_aug):
    ds = run(tmp_path, 'mae', source_aug)
    clean = clean_batch(ds)
    (online,), (target,) = record['online'], record['similarity_target']
    assert same_rows(target, norm_pix(clean)), (
        'the reconstruction target is not the norm-pix patches of the clean crop'
    )
    assert not same_rows(online, clean), 'the source augmentation did not reach the encoder input'
    if source_aug == 'mask':
        assert black_patches(online).tolist() == [12] * N  # 75% of the 16 patches blackened
        assert black_patches(clean).tolist() == [0] * N


@pytest.mark.parametrize('method', ['r_mae', 'c_mae', 'c_mae_masktoken'])
@pytest.mark.parametrize('source_aug', ['mask', 'color'])
def test_momentum_target_encodes_the_clean_crop(tmp_path, record, method, source_aug):
    ds = run(tmp_path, method, source_aug)
    clean = clean_batch(ds)
    (online,), (target_input,) = record['online'], record['target_encoder']
    assert same_rows(target_input, clean), "the target encoder's input is not the clean crop"
    assert not same_rows(online, clean)


def test_without_source_augmentation_both_see_the_crop(tmp_path, record):
    ds = run(tmp_path, 'r_mae', 'none')
    clean = clean_batch(ds)
    assert same_rows(record['online'][0], clean) and same_rows(record['target_encoder'][0], clean)


class BlackImages(KnownImages):
    def __init__(self):
        self.x = torch.zeros(N, 3, SIZE, SIZE, dtype=torch.uint8)


def test_mocov3_views_are_made_in_pixel_space(tmp_path, record):
    "Black images stay black through MoCo v3's crops and colour in pixel space (on normalised values: grey)."
    run(tmp_path, 'mocov3', ds=BlackImages())
    assert len(record['online']) == 2 and record['online'][0].shape == (N, 3, SIZE, SIZE)
    for view in record['online']:
        assert (view * STD + MEAN).abs().max() < 1e-5


def test_mocov3_draws_two_different_views(tmp_path, record):
    "MoCo v3's two crops of the same images differ (two independent draws, not one view twice)."
    run(tmp_path, 'mocov3')
    a, b = record['online']
    assert a.shape == b.shape == (N, 3, SIZE, SIZE)
    assert not any(torch.equal(a[i], b[i]) for i in range(N)), 'the two views of an image are the same'


def test_r_mae_targets_are_layer_normalised_tokens():
    """R-MAE's target: the EMA encoder's patch tokens, each normalised to mean 0, variance 1 without affine,
    checked on an EMA encoder whose own final norm is far from the identity (at initialisation it already
    gives normalised tokens, which would hide a missing normalisation)."""
    m = models.create_model('r_mae_vit_nano_patch8')
    with torch.no_grad():
        m.target.encoder.norm.weight.uniform_(0.5, 3.0)
        m.target.encoder.norm.bias.uniform_(-1.0, 1.0)
    x = normalize(torch.rand(N, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(1)))
    t = m.target(x)
    z = m.target.encoder.forward_encoder(x, 0.0)[0][:, 1:]
    assert t.shape == (N, (SIZE // P) ** 2, 64)  # patch tokens only, no CLS
    assert z.mean(-1).abs().max() > 0.1  # the raw tokens are not normalised
    assert t.mean(-1).abs().max() < 1e-5 and (t.var(-1, unbiased=False) - 1).abs().max() < 1e-3
    expected = (z - z.mean(-1, keepdim=True)) / (z.var(-1, unbiased=False, keepdim=True) + 1e-6).sqrt()
    assert torch.allclose(t, expected, atol=1e-5)
