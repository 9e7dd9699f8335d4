"""One MAE pretraining step (forward, backward, AdamW) of ViT-S/16 with the 8 x 512 decoder at 224 px: the
project's fast path against the plain public algorithm (tests/reference_mae.py, on timm blocks) in fp32 and
under bf16 autocast, in the same run, with the same weights, images and masks.

    python benchmarks/mae_step.py [--batch 8] [--steps 6] [--device cpu|cuda] [--compile] [--min-ratio 1.3]

The fast path is `TrainStep`'s default (bf16 autocast, fused AdamW, math attention on CPUs, the last decoder
block and the prediction only at masked patches); `--compile` adds it under `torch.compile`
(`TrainStep(compile=True)`, the `--compile` option of the trainer) as a fourth runner. Prints images/s for
each, the fast paths' ratios to both references and the first-step losses (which must agree); exits 1 if the
best fast path's ratio to the bf16 reference is below --min-ratio. On a GPU it also prints the model-FLOP
utilisation of the fast path (bf16 dense peak given with --peak-tflops)."""

import argparse, os, sys, time
from pathlib import Path
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'tests'))
from reference_mae import ReferenceMAE
from occlusion_mim.models import create_model, ARCHS, HEAD_SIZES
from occlusion_mim.train import make_optimizer, TrainStep


def mae_flops(cfg, batch, ratio=0.75):
    "Model FLOPs of one training step (forward + backward = 3x forward), counting matmuls only."
    L = (cfg['img_size'] // cfg['patch_size']) ** 2
    keep = int(L * (1 - ratio)) + 1
    D = cfg['embed_dim']
    Dd = cfg['decoder_embed_dim']
    # qkv+proj+mlp (12 d^2 per token) and attention
    block = lambda n, d: 2 * n * (12 * d * d) + 2 * 2 * n * n * d
    enc = L * 2 * 3 * cfg['patch_size'] ** 2 * D + cfg['depth'] * block(keep, D)
    dec = (
        2 * keep * D * Dd + cfg['decoder_depth'] * block(L + 1, Dd) + 2 * L * Dd * 3 * cfg['patch_size'] ** 2
    )
    return 3 * batch * (enc + dec)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--batch', type=int, default=8)
    p.add_argument('--steps', type=int, default=6)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--arch', default='vit_small_patch16')
    p.add_argument(
        '--compile', action='store_true', help='torch.compile the fast path (off: no gain measured on CPUs)'
    )
    p.add_argument('--min-ratio', type=float, default=1.3)
    p.add_argument('--peak-tflops', type=float, default=989.0)
    a = p.parse_args(argv)
    dev = torch.device(a.device)
    cfg = {**ARCHS[a.arch], **{k: v for k, v in HEAD_SIZES[a.arch].items() if k.startswith('decoder_')}}
    L = (cfg['img_size'] // cfg['patch_size']) ** 2
    g = torch.Generator().manual_seed(0)
    x = torch.rand(a.batch, 3, cfg['img_size'], cfg['img_size'], generator=g).to(dev)
    noises = [torch.rand(a.batch, L, generator=g).to(dev) for _ in range(a.steps + 2)]
    torch.manual_seed(0)
    ref = ReferenceMAE(**cfg).to(dev)
    state = {k: v.clone() for k, v in ref.state_dict().items()}
    torch.save({'model': state}, '/tmp/_mae_bench.pth')
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)

    def ref_runner(dtype):
        m = ReferenceMAE(**cfg).to(dev)
        m.load_state_dict(state)
        opt = torch.optim.AdamW(m.parameters(), lr=1.5e-4, betas=(0.9, 0.95), weight_decay=0.05)

        def step(noise):
            with torch.autocast(dev.type, dtype=dtype or torch.float32, enabled=dtype is not None):
                loss = m(x, 0.75, noise)[0]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            return loss

        return step

    def ours_runner(compile):
        from occlusion_mim.checkpoints import load_pretrained

        m = create_model(f'mae_{a.arch}').to(dev)
        load_pretrained(m, '/tmp/_mae_bench.pth', strict=True)
        step = TrainStep(m, make_optimizer(m, lr=1.5e-4), precision='bf16', compile=compile, device=dev)
        return lambda noise: step(x, noise=noise).loss

    FAST, COMP = 'occlusion_mim fast path', 'fast path + torch.compile'
    runners = {
        'reference fp32': ref_runner(None),
        'reference bf16 autocast': ref_runner(torch.bfloat16),
        FAST: ours_runner(False),
    }
    if a.compile:
        runners[COMP] = ours_runner(True)
    first, best = {}, {k: float('inf') for k in runners}
    for k, run in runners.items():
        t = time.perf_counter()
        first[k] = run(noises[0]).item()
        sync()
        print(
            f"{k:26s} first step {time.perf_counter() - t:6.1f} s (includes compile), loss {first[k]:.5f}",
            flush=True,
        )
        run(noises[1])
        sync()
    for i in range(a.steps):  # interleaved, so machine noise hits all alike
        for k, run in runners.items():
            sync()
            t = time.perf_counter()
            run(noises[2 + i])
            sync()
            best[k] = min(best[k], time.perf_counter() - t)
    print(
        f"\nMAE step, {a.arch}, decoder {cfg['decoder_depth']}x{cfg['decoder_embed_dim']}, {cfg['img_size']} "
        f"px, batch {a.batch}, "
        f"device {dev}{' (' + torch.cuda.get_device_name(0) + ')' if dev.type == 'cuda' else ''}, threads "
        f"{torch.get_num_threads()}, best of {a.steps}"
    )
    for k in runners:
        print(f"{k:26s} {a.batch / best[k]:8.2f} images/s  ({best[k] * 1e3:8.1f} ms/step)")
    fast = [k for k in (FAST, COMP) if k in runners]
    for k in fast:
        r32 = best['reference fp32'] / best[k]
        r16 = best['reference bf16 autocast'] / best[k]
        print(
            f"{k}: {r32:.2f}x the reference fp32, {r16:.2f}x the reference bf16 autocast (target >= "
            f"{a.min_ratio}x)"
        )
    d = max(abs(first[k] - first['reference fp32']) for k in fast)
    print(
        "first-step losses: " + ", ".join(f"{k} {v:.5f}" for k, v in first.items()) + f" (max |diff| {d:.2e})"
    )
    ok = d < 0.05
    if not ok:
        print("LOSSES DISAGREE")
    if dev.type == 'cuda':
        for k in fast:
            mfu = mae_flops(cfg, a.batch) / best[k] / (a.peak_tflops * 1e12)
            print(f"{k}: model-FLOP utilisation (bf16, peak {a.peak_tflops} TFLOP/s) {100 * mfu:.1f}%")
    top = max(best['reference bf16 autocast'] / best[k] for k in fast)
    return 0 if ok and top >= a.min_ratio else 1


if __name__ == '__main__':
    sys.exit(main())
