"""Behaviours of the science that no test checked before issue 29, each pinned to a value: the schedule's
shape, what top-1 counts, a checkpoint with one bad number, the run cache's content key, CKA with CLS
pooling and the level of a jackknife interval; and (below the line) the gaps mutation run 3 found in the
trainer, the checkpoints, the augmentations and the run cache (tests/MUTATION.md). They run against the
package, so a mutation tool sees them."""

import dataclasses
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from occlusion_mim.train import TrainConfig, lr_at, evaluate
from occlusion_mim.checkpoints import NonFiniteLoss, save_checkpoint
from occlusion_mim.runs import data_fingerprint, run_key
from occlusion_mim.cka import jackknife_interval, linear_cka, mask_noise, masked_vs_full_cka
from occlusion_mim.data import normalize
from occlusion_mim.models import create_model


def test_the_cosine_schedule_ends_at_min_lr_and_is_halfway_at_its_middle():
    c = TrainConfig(epochs=10, warmup_epochs=2, min_lr=1e-5)
    base = 1e-3
    assert lr_at(c, base, 0.0) == 0.0
    assert lr_at(c, base, 1.0) == pytest.approx(base / 2, rel=1e-12)  # half the warm-up: half the lr
    assert lr_at(c, base, 2.0) == pytest.approx(base, rel=1e-12)  # the end of the warm-up: the peak
    assert lr_at(c, base, 6.0) == pytest.approx((base + 1e-5) / 2, rel=1e-12)  # halfway after the warm-up
    assert lr_at(c, base, 4.0) == pytest.approx(1e-5 + (base - 1e-5) * (1 + np.cos(np.pi / 4)) / 2, rel=1e-12)
    assert lr_at(c, base, 10.0) == pytest.approx(1e-5, rel=1e-12)  # the last step's end: min_lr
    assert lr_at(c, base, 9.9) > 1e-5


class RankedClassifier(nn.Module):
    "Logits that rank each image's true class (stored in its first pixel) at place `rank` (0: first)."

    def __init__(self, rank: int, classes: int = 10):
        super().__init__()
        self.rank, self.classes = rank, classes

    def logits(self, x):
        from occlusion_mim.data import denormalize

        y = (denormalize(x)[:, 0, 0, 0] * 255).round().long()
        order = (y[:, None] + 1 + torch.arange(self.classes)) % self.classes  # other classes first, then y
        scores = torch.zeros(len(y), self.classes)
        for place in range(self.classes):  # place 0 gets the highest score
            scores[torch.arange(len(y)), order[:, place]] = float(self.classes - place)
        ranked = scores.clone()
        # move the true class to `rank`: it takes the score of that place, the ones above it shift down
        top = scores.argsort(1, descending=True)
        others = top[top != y[:, None]].view(len(y), -1)
        order = torch.cat([others[:, : self.rank], y[:, None], others[:, self.rank :]], 1)
        ranked[torch.arange(len(y))[:, None], order] = torch.arange(self.classes, 0, -1).float()
        return ranked


def test_top1_counts_the_first_place_only():
    data = [(torch.full((3, 4, 4), y, dtype=torch.uint8), y) for y in range(10) for _ in range(3)]
    second = evaluate(RankedClassifier(rank=1), data, batch_size=7, device='cpu')
    assert (second['val_top1'], second['val_top5']) == (0.0, 100.0)
    first = evaluate(RankedClassifier(rank=0), data, batch_size=7, device='cpu')
    assert (first['val_top1'], first['val_top5']) == (100.0, 100.0)
    sixth = evaluate(RankedClassifier(rank=5), data, batch_size=7, device='cpu')
    assert (sixth['val_top1'], sixth['val_top5']) == (0.0, 0.0)


def test_a_checkpoint_with_one_non_finite_number_is_never_written(tmp_path):
    model = nn.Linear(4, 3)
    opt = torch.optim.AdamW(model.parameters())
    model(torch.ones(2, 4)).sum().backward()
    opt.step()
    path = tmp_path / 'checkpoint.pt'
    save_checkpoint(path, model, opt, None, TrainConfig(), 0, 0, 1)  # finite: written
    before = path.read_bytes()
    with torch.no_grad():
        model.weight[1, 2] = float('nan')  # one entry of one tensor
    with pytest.raises(NonFiniteLoss, match='weight'):
        save_checkpoint(path, model, opt, None, TrainConfig(), 0, 0, 2)
    assert path.read_bytes() == before  # the last finite checkpoint is kept
    with torch.no_grad():
        model.weight[1, 2] = 0.0
        opt.state[model.bias]['exp_avg_sq'][0] = float('inf')  # one entry of the optimiser's state
    with pytest.raises(NonFiniteLoss):
        save_checkpoint(path, model, opt, None, TrainConfig(), 0, 0, 3)
    assert path.read_bytes() == before


def test_the_cache_key_follows_the_folder_content_not_its_stat(tmp_path):
    root = tmp_path / 'imgs'
    (root / 'a').mkdir(parents=True)
    for i in range(3):
        (root / 'a' / f'{i}.bin').write_bytes(bytes([i]) * 100)
    c = TrainConfig(data=str(root))
    fp, key = data_fingerprint(str(root)), run_key(c)
    copy = tmp_path / 'copy'
    shutil.copytree(root, copy)  # a byte-identical copy elsewhere: the same content fingerprint
    assert data_fingerprint(str(copy)) == fp
    shutil.rmtree(root)
    shutil.copytree(copy, root, copy_function=shutil.copyfile)  # and back in its place, with new times
    assert data_fingerprint(str(root)) == fp
    assert run_key(c) == key  # the data's path is part of the key, its files' times are not
    f = root / 'a' / '1.bin'
    st = f.stat()
    f.write_bytes(bytes([9]) * 100)  # other bytes, the same size
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the same modification time
    assert f.stat().st_size == st.st_size and f.stat().st_mtime_ns == st.st_mtime_ns
    assert data_fingerprint(str(root)) != fp
    assert run_key(c) != key


def test_masked_vs_full_cka_with_cls_pooling_is_linear_cka_of_the_cls_features():
    torch.manual_seed(0)
    model = create_model('mae_vit_nano_patch8').eval()
    x = torch.rand(12, 3, 32, 32)
    df = masked_vs_full_cka(model, x, ratios=(0.25, 0.5), seed=3, pool='cls', batch_size=5)
    noise = mask_noise(12, model.encoder.num_patches, 3)
    full = model.encoder.encode(normalize(x), pool='cls')
    for r, got in zip(df.ratio, df.cka):
        masked = model.encoder.encode(normalize(x), mask_ratio=r, noise=noise, pool='cls')
        assert got == pytest.approx(linear_cka(masked, full), abs=1e-6), r
    mean = masked_vs_full_cka(model, x, ratios=(0.5,), seed=3, pool='mean')
    assert mean.cka[0] != pytest.approx(df.cka[1], abs=1e-4)  # the pooling matters


def test_a_jackknife_interval_has_the_level_it_is_called():
    jack = np.array([0.50, 0.52, 0.49, 0.51, 0.53, 0.48])
    lo, hi, se = jackknife_interval(0.5, jack, 0.95)
    G = len(jack)
    assert se == pytest.approx(np.sqrt((G - 1) / G * ((jack - jack.mean()) ** 2).sum()), rel=1e-12)
    assert (hi - 0.5) / se == pytest.approx(1.959964, abs=1e-6)
    lo90, hi90, _ = jackknife_interval(0.5, jack, 0.90)
    assert (hi90 - 0.5) / se == pytest.approx(1.644854, abs=1e-6)
    # and through the CKA protocol: its `level` reaches the interval
    torch.manual_seed(0)
    model = create_model('mae_vit_nano_patch8').eval()
    x = torch.rand(20, 3, 32, 32)
    for level, z in ((0.95, 1.959964), (0.8, 1.281552)):
        r = masked_vs_full_cka(model, x, ratios=(0.5,), ci=5, level=level).iloc[0]
        assert (r.cka_hi - r.cka) / r.cka_se == pytest.approx(z, abs=1e-5), level
        assert (r.cka - r.cka_lo) / r.cka_se == pytest.approx(z, abs=1e-5), level


def test_the_paste_box_has_the_drawn_size_and_place():
    from occlusion_mim.augment import CutMixPaste
    import math
    import torch.nn.functional as F

    cm = CutMixPaste(area=(0.1, 0.3), ratio=(3 / 4, 4 / 3), scale=(0.5, 1.5))
    H = W = 32
    b = cm.boxes(64, H, W, torch.Generator().manual_seed(5))
    u = torch.rand(64, 7, generator=torch.Generator().manual_seed(5), dtype=torch.float64)  # the same draws
    area = (0.1 + u[:, 0] * 0.2) * H * W
    asp = torch.exp(math.log(3 / 4) + u[:, 1] * (math.log(4 / 3) - math.log(3 / 4)))
    sh, sw = (area / asp).sqrt().round().clamp(1, H), (area * asp).sqrt().round().clamp(1, W)
    s = 0.5 + u[:, 2]
    assert b[:, 2].tolist() == sh.long().tolist() and b[:, 3].tolist() == sw.long().tolist()
    assert b[:, 6].tolist() == (sh * s).round().clamp(1, H).long().tolist()
    assert b[:, 7].tolist() == (sw * s).round().clamp(1, W).long().tolist()
    # applied: the pixels change inside the destination box only, which holds the source box resized
    torch.manual_seed(0)
    x = torch.rand(64, 3, H, W)
    out = cm.apply(x, dict(boxes=b))
    for i in range(64):
        st, sl, h, w, dt, dl, dh, dw, on = b[i].tolist()
        inside = torch.zeros(H, W, dtype=torch.bool)
        inside[dt : dt + dh, dl : dl + dw] = True
        assert torch.equal(out[i][:, ~inside], x[i][:, ~inside]), i
        want = F.interpolate(x[i : i + 1, :, st : st + h, sl : sl + w], size=(dh, dw), mode='bilinear')
        assert torch.allclose(out[i, :, dt : dt + dh, dl : dl + dw], want[0], atol=1e-6), i


def test_grayscale_is_drawn_at_its_own_rate_independently_of_the_jitter():
    from occlusion_mim.augment import ColorAugment, gray

    d = ColorAugment(p=0.8, grayscale_p=0.2, compile=False).draw(40000, torch.Generator().manual_seed(0))
    j, g = d['jitter'], d['gray']
    assert abs(j.float().mean() - 0.8) < 0.01 and abs(g.float().mean() - 0.2) < 0.01
    assert abs(g[~j].float().mean() - 0.2) < 0.015 and abs(g[j].float().mean() - 0.2) < 0.01  # independent
    x = torch.rand(8, 3, 16, 16)
    only_gray = ColorAugment(p=0.0, grayscale_p=1.0, compile=False)(x)  # no jitter, always grayscale
    assert torch.allclose(only_gray, gray(x), atol=1e-6)
    assert torch.equal(ColorAugment(p=0.0, grayscale_p=0.0, compile=False)(x), x)


def test_mocov3_views_are_flipped_half_the_time_each_exactly_the_flipped_crop():
    from torchvision.ops import roi_align
    from occlusion_mim.augment import TwoViews

    N, H, W = 2000, 8, 8
    x = torch.rand(N, 3, H, W)
    views = TwoViews(scale=(0.3, 1.0), colour=False)
    got = views.view(x, torch.Generator().manual_seed(1))
    u = torch.rand(N, 5, generator=torch.Generator().manual_seed(1))  # the view's own draws
    area = (0.3 + u[:, 0] * 0.7) * H * W
    asp = torch.exp(np.log(3 / 4) + u[:, 1] * (np.log(4 / 3) - np.log(3 / 4)))
    h, w = (area / asp).sqrt().clamp(1, H), (area * asp).sqrt().clamp(1, W)
    y0, x0 = u[:, 2] * (H - h), u[:, 3] * (W - w)
    boxes = torch.stack([torch.arange(N, dtype=torch.float), x0, y0, x0 + w, y0 + h], 1)
    crop = roi_align(x, boxes, (H, W), spatial_scale=1.0, sampling_ratio=2, aligned=True)
    flip = u[:, 4] < 0.5
    assert abs(flip.float().mean() - 0.5) < 0.03
    assert torch.equal(got[flip], crop[flip].flip(-1)) and torch.equal(got[~flip], crop[~flip])


# found by mutation run 3 (session 17): each test below kills a mutant that survived the tests before it


def test_the_paste_boxes_are_placed_by_their_own_draws():
    "Each corner of the source and destination boxes comes from its own uniform draw (not a shared one)."
    from occlusion_mim.augment import CutMixPaste
    import math

    cm = CutMixPaste(area=(0.1, 0.3), ratio=(3 / 4, 4 / 3), scale=(0.5, 1.5))
    H, W = 32, 40
    b = cm.boxes(256, H, W, torch.Generator().manual_seed(6))
    u = torch.rand(256, 7, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    area = (0.1 + u[:, 0] * 0.2) * H * W
    asp = torch.exp(math.log(3 / 4) + u[:, 1] * (math.log(4 / 3) - math.log(3 / 4)))
    sh, sw = (area / asp).sqrt().round().clamp(1, H), (area * asp).sqrt().round().clamp(1, W)
    dh, dw = (sh * (0.5 + u[:, 2])).round().clamp(1, H), (sw * (0.5 + u[:, 2])).round().clamp(1, W)
    assert b[:, 0].tolist() == (u[:, 3] * (H - sh + 1)).floor().long().tolist()
    assert b[:, 1].tolist() == (u[:, 4] * (W - sw + 1)).floor().long().tolist()
    assert b[:, 4].tolist() == (u[:, 5] * (H - dh + 1)).floor().long().tolist()
    assert b[:, 5].tolist() == (u[:, 6] * (W - dw + 1)).floor().long().tolist()


def test_a_patch_of_one_pixel_masks_pixels():
    from occlusion_mim.augment import PatchMask

    x = torch.ones(2, 3, 4, 4)
    out = PatchMask(0.5, patch_size=1)(x, torch.Generator().manual_seed(0))
    assert (out == 0).all(1).flatten(1).sum(1).tolist() == [8, 8]  # half of the 16 pixels, all channels
    with pytest.raises(ValueError, match='patch_size=0'):
        PatchMask(0.5, patch_size=0)


def test_randaugment_policies_are_checked_by_timm():
    from occlusion_mim.config import check_auto_augment

    assert check_auto_augment('rand-m9-mstd0.5-inc1') == 'rand-m9-mstd0.5-inc1'
    assert check_auto_augment('rand-m7-n3') == 'rand-m7-n3'
    for bad in ('augmix-m5', 'rand-x9', 'original'):
        with pytest.raises(ValueError, match=f"--auto-augment '{bad}' is not a timm RandAugment policy"):
            check_auto_augment(bad)


def test_a_previous_checkpoint_is_checked_against_the_runs_sums(tmp_path):
    "checkpoint.prev.pt with other (loadable) bytes is refused: its sum is the one beside checkpoint.pt."
    from occlusion_mim.checkpoints import CheckpointCorrupt, load_latest_checkpoint

    model = nn.Linear(4, 3)
    opt = torch.optim.AdamW(model.parameters())
    path = tmp_path / 'run' / 'checkpoint.pt'
    path.parent.mkdir()
    for step in (1, 2):
        save_checkpoint(path, model, opt, None, TrainConfig(), 0, 0, step)
    prev = path.with_name('checkpoint.prev.pt')
    assert prev.exists()
    ck, f, note = load_latest_checkpoint(path)
    assert (f, ck['step']) == (path, 2)
    path.write_bytes(path.read_bytes()[:100])  # the newest torn: the previous one is taken
    ck, f, note = load_latest_checkpoint(path)
    assert (f, ck['step']) == (prev, 1) and note
    other = tmp_path / 'other' / 'checkpoint.pt'
    other.parent.mkdir()
    save_checkpoint(other, model, opt, None, TrainConfig(), 0, 0, 7)
    prev.write_bytes(other.read_bytes())  # a good checkpoint, but not the one this run summed
    with pytest.raises(CheckpointCorrupt, match='fails its checksum'):
        load_latest_checkpoint(path)


def test_a_cache_root_is_made_with_its_parents(tmp_path):
    from occlusion_mim.runs import cache_root

    d = cache_root(tmp_path / 'a' / 'b')
    assert d == (tmp_path / 'a' / 'b').resolve() and d.is_dir()


def test_a_cache_entry_with_a_torn_done_json_says_why(tmp_path):
    from occlusion_mim.runs import cache_entry_problem

    (tmp_path / 'done.json').write_text('{"seconds": 1')
    assert cache_entry_problem(tmp_path) == f"{tmp_path / 'done.json'} cannot be read: JSONDecodeError"


def test_a_free_run_folder_is_not_waited_for(tmp_path, capsys):
    from occlusion_mim.runs import wait_for_holder

    assert wait_for_holder(tmp_path) is False
    assert capsys.readouterr().out == ''


def test_a_wait_says_its_progress_every_wait_say_seconds(tmp_path, monkeypatch, capsys):
    "Six looks at a held folder, 10 s apart on the clock: a progress line at 40 s and 80 s, not at each look."
    import types
    from occlusion_mim import runs

    holders = iter([4321] * 7 + [None])
    clock = iter(range(1000, 2000, 10))  # not from 0: a sum and a difference of times differ
    fake_time = types.SimpleNamespace(monotonic=lambda: float(next(clock)), sleep=lambda s: None)
    monkeypatch.setattr(runs, 'entry_holder', lambda out: next(holders))
    monkeypatch.setattr(runs, 'time', fake_time)
    monkeypatch.setattr(runs, 'WAIT_SAY', 30.0)
    (tmp_path / 'run').mkdir()
    (tmp_path / 'run' / 'metrics.csv').write_text('epoch,step,loss\n0.5,12,1.0\n')
    assert runs.wait_for_holder(tmp_path / 'run') is True
    said = capsys.readouterr().out.splitlines()
    assert said == [
        'waiting for run: process 4321 is training it (epoch 0.50, step 12)',
        '  still waiting: process 4321, epoch 0.50, step 12, 40 s',
        '  still waiting: process 4321, epoch 0.50, step 12, 80 s',
        '  run released after 90 s',
    ]


def test_run_keys_written_before_still_find_their_runs(tmp_path, monkeypatch):
    """A folder's fingerprint and a run's key are pinned: a change to how either is computed orphans every
    cached run (issue 27's rule: the cached run keys stay the same)."""
    from occlusion_mim.runs import data_fingerprint, run_key

    monkeypatch.chdir(tmp_path)
    (tmp_path / 'imgs' / 'a').mkdir(parents=True)
    for i in range(3):
        (tmp_path / 'imgs' / 'a' / f'{i}.bin').write_bytes(bytes([i]) * 100)
    assert data_fingerprint('imgs') == 'f52a46f51ee9534a'
    assert run_key(TrainConfig(data='imgs', device='cpu')) == '39bc15391b2a'
    assert run_key(TrainConfig(device='cpu')) == '596a95dfb136'  # embedded data: no fingerprint


def test_an_epochs_order_is_its_seeds_whatever_the_global_generator():
    from occlusion_mim.train import EpochBatches

    def order(seed, epoch, global_seed):
        torch.manual_seed(global_seed)
        return [i for b in EpochBatches(12, 3, seed, epoch) for _, i in b]  # (epoch, index) pairs

    first = order(0, 0, global_seed=1)
    assert sorted(first) == list(range(12)) and first != list(range(12))
    assert order(0, 0, global_seed=2) == first  # the global generator plays no part
    assert order(0, 1, global_seed=1) != first and order(1, 0, global_seed=1) != first


def test_a_loaded_checkpoint_gives_back_numpys_generator_state(tmp_path):
    from occlusion_mim.checkpoints import load_checkpoint

    model = nn.Linear(4, 3)
    opt = torch.optim.AdamW(model.parameters())
    np.random.seed(11)
    save_checkpoint(tmp_path / 'checkpoint.pt', model, opt, None, TrainConfig(), 0, 0, 1)
    after_save = np.random.rand(3)
    ck = load_checkpoint(tmp_path / 'checkpoint.pt')
    np.random.set_state(ck['rng']['numpy'])
    assert np.array_equal(np.random.rand(3), after_save)


def test_the_views_of_a_step_have_their_own_stream_per_micro_batch_only_with_accumulation():
    """Without accumulation a step's views come from (seed, 'views', step, process), as every cached run drew
    them; with it each micro-batch has its own."""
    import types
    from occlusion_mim.core import stream_generator
    from occlusion_mim.train import view_generator

    def draw(g):
        return torch.rand(4, generator=g)

    one = types.SimpleNamespace(step=5, rank=1, c=TrainConfig(seed=3, accum_iter=1))
    assert torch.equal(draw(view_generator(one, 0)), draw(stream_generator(3, 'views', 5, 1)))
    two = types.SimpleNamespace(step=5, rank=1, c=TrainConfig(seed=3, accum_iter=2))
    assert torch.equal(draw(view_generator(two, 1)), draw(stream_generator(3, 'views', 5, 1, 1)))
    assert not torch.equal(draw(view_generator(two, 0)), draw(view_generator(two, 1)))


def test_a_run_folder_holding_another_run_is_refused_naming_the_option(tmp_path):
    from occlusion_mim.checkpoints import RunFolderError
    from occlusion_mim.train import train

    run = dict(model='mae_vit_nano_patch8', n_per_class=2, batch_size=4, max_steps=1, max_eval=4)
    train(out=str(tmp_path / 'run'), quiet=True, no_tensorboard=True, seed=0, **run)
    with pytest.raises(RunFolderError, match=r"other defining options: seed 0 \(folder\) vs 1 \(now\)"):
        train(out=str(tmp_path / 'run'), quiet=True, no_tensorboard=True, seed=1, **run)


def test_a_total_batch_with_no_divisor_up_to_the_batch_size_is_one_image_per_micro_batch():
    from occlusion_mim.train import resolve_batch

    r = resolve_batch(TrainConfig(total_batch=7, batch_size=4), world=1)  # 7 is prime: 1 x 7
    assert (r.batch_size, r.accum_iter) == (1, 7)
    r = resolve_batch(TrainConfig(total_batch=24, batch_size=5), world=2)  # 12 per process: 4 x 3
    assert (r.batch_size, r.accum_iter) == (4, 3)


def test_a_grad_scalers_state_is_saved(tmp_path):
    "fp16 training's loss scale resumes with the run (a GPU's path; the scaler's state is plain numbers)."
    model = nn.Linear(4, 3)
    opt = torch.optim.AdamW(model.parameters())
    scaler = torch.amp.GradScaler('cpu', init_scale=512.0)
    save_checkpoint(tmp_path / 'checkpoint.pt', model, opt, scaler, TrainConfig(), 0, 0, 1)
    ck = torch.load(tmp_path / 'checkpoint.pt', weights_only=True)
    assert ck['scaler']['scale'] == 512.0


def test_a_full_disk_is_one_error_saying_the_free_space_and_keeping_the_last_checkpoint(
    tmp_path, monkeypatch
):
    from occlusion_mim import checkpoints

    model = nn.Linear(4, 3)
    opt = torch.optim.AdamW(model.parameters())
    path = tmp_path / 'checkpoint.pt'
    save_checkpoint(path, model, opt, None, TrainConfig(), 0, 0, 1)
    before = path.read_bytes()

    def full(obj, f):
        raise RuntimeError('basic_ios::clear: iostream error')  # what torch says on a full disk

    monkeypatch.setattr(checkpoints.torch, 'save', full)
    with pytest.raises(OSError, match=r'GiB free on its disk; the last checkpoint .* is kept'):
        save_checkpoint(path, model, opt, None, TrainConfig(), 0, 0, 2)
    assert path.read_bytes() == before


def test_run_cached_says_what_it_trains_unless_told_not_to(tmp_path, capsys):
    from occlusion_mim.runs import run_cached

    run = dict(model='mae_vit_nano_patch8', n_per_class=2, batch_size=4, max_steps=1, max_eval=4)
    run_cached(TrainConfig(no_tensorboard=True, **run), cache=tmp_path)
    assert 'training: pretrain-mae_vit_nano_patch8-' in capsys.readouterr().out
    run_cached(TrainConfig(no_tensorboard=True, seed=1, **run), cache=tmp_path, verbose=False)
    assert 'training:' not in capsys.readouterr().out


def test_a_crop_that_cannot_fit_falls_back_to_the_centre_after_ten_tries_as_torchvision():
    "torchvision's RandomResizedCrop tries 10 times (4 uniforms each here), then takes a centred crop."
    from occlusion_mim.augment import random_resized_crop_params

    g = torch.Generator().manual_seed(0)
    assert random_resized_crop_params(10, 10, scale=(0.9, 1.0), ratio=(10, 20), generator=g) == (4, 0, 1, 10)
    ref = torch.Generator().manual_seed(0)
    torch.rand(10 * 4, generator=ref)  # what the ten tries drew
    assert torch.equal(torch.rand(3, generator=g), torch.rand(3, generator=ref))
