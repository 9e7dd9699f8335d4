"""Same-run A/B of the `default` preset's training steps between two checkouts (issue 25): the fine-tuning run
and the MAE pretraining runs (ten photos, and the full set of generated shapes) as each checkout's own
`RECIPES['default']` defines them, through its own trainer (data path included), for a fixed number of
optimiser steps, in fresh processes that alternate A, B, A, B, ... Prints each side's images/s, the ratio B/A,
and the share of this CPU's measured GEMM peak the step reaches (FLOPs of one forward + backward counted by
`torch.utils.flop_counter`, peak from a 1024^3 matmul in the same process and precision).

    git worktree add /tmp/before 463472a
    python benchmarks/default_step.py /tmp/before . [--steps 40] [--rounds 3] [--a-precision auto|fp32]

`--a-precision`: A's precision (its own `auto`: bf16 on a CPU with native bf16; or fp32, the precision
B's recipe names): both are worth reading. Writes benchmarks/results/default_step.csv."""

import argparse, json, os, statistics, subprocess, sys
from pathlib import Path

CHILD = r'''
import json, sys, time, tempfile, dataclasses, warnings
warnings.filterwarnings('ignore')
import torch, pandas as pd
try:
    from occlusion_mim.presets import RECIPES, finetune_config, pretrain_config
except ImportError:  # a checkout from before `experiments` was split (issue 27)
    from occlusion_mim.experiments import RECIPES, finetune_config, pretrain_config
from occlusion_mim.train import train, build_model
from occlusion_mim.models import create_model, parse_model_name
kind, steps, precision = sys.argv[1], int(sys.argv[2]), sys.argv[3]
R = RECIPES['default']
from occlusion_mim.train import TrainConfig
# the `*_same` kinds: one configuration (the default preset's before issue 25, in fp32) on both sides, so the
# ratio is the code's alone and the losses can be compared step by step
SAME = dict(model='vit_micro_patch4', batch_size=64, precision='fp32', device='cpu', crop_min=0.9)
c = {
    'finetune': lambda: finetune_config(R, None, 'shapes', device='cpu'),
    'mae_photos': lambda: pretrain_config(R, 'mae', 'photos:10', 16, device='cpu'),
    'mae_shapes': lambda: pretrain_config(R, 'mae', 'shapes', device='cpu'),
    'finetune_same': lambda: TrainConfig(mode='finetune', data='shapes', n_per_class=200, blr=4e-3, **SAME),
    'mae_photos_same': lambda: TrainConfig(
        mode='pretrain',
        data='photos:10',
        epoch_length=1024,
        blr=1e-3,
        **{**SAME, 'model': 'mae_vit_micro_patch4'},
    ),
}[kind]()
over = dict(max_steps=steps, quiet=True, eval_every=10**6, epochs=max(c.epochs, 1000), log_every=1)
if precision != 'recipe':
    over['precision'] = precision
with tempfile.TemporaryDirectory() as d:
    c = dataclasses.replace(c, out=d, **over)
    if c.data == 'shapes':  # rendered before the clock starts, as a notebook renders a set once for its runs
        from occlusion_mim.data import ShapesTextures
        from occlusion_mim.models import ARCHS
        ShapesTextures(c.n_per_class, ARCHS[parse_model_name(c.model)[1]]['img_size'], seed=c.seed).tensors()
    train(c)
    m = pd.read_csv(f'{d}/metrics.csv')
    ips = float(m.images_per_s.iloc[-1])
    losses = m.dropna(subset=['loss']).groupby('step').loss.first().tolist()
    used = json.loads(open(f'{d}/run.json').read())['params'].get('precision_used')
# FLOPs of one training step's forward + backward, per image, and the GEMM peak in that precision
model, _ = build_model(dataclasses.replace(c, init=''), 10, torch.device('cpu'))
model.train()
n = 8
size = model.encoder.img_size
x = torch.rand(n, 3, size, size)
kw = dict(labels=torch.zeros(n, dtype=torch.long))
if c.mode == 'pretrain':
    kw = dict(noise=torch.rand(n, model.encoder.num_patches))
from torch.utils.flop_counter import FlopCounterMode
with FlopCounterMode(display=False) as fc:
    model(x, **kw).loss.backward()
flops = fc.get_total_flops() / n
dt = {'bf16': torch.bfloat16}.get(used, torch.float32)
a, b = torch.randn(1024, 1024, dtype=dt), torch.randn(1024, 1024, dtype=dt)
for _ in range(3): a @ b
t = time.perf_counter(); k = 20
for _ in range(k): a @ b
peak = 2 * 1024**3 * k / (time.perf_counter() - t)
print(json.dumps(dict(kind=kind, model=c.model, batch=c.batch_size, precision=used, images_per_s=ips,
                      losses=losses, gflop_per_image=flops / 1e9, peak_gflops=peak / 1e9,
                      peak_share=ips * flops / peak, path=__import__('occlusion_mim').__file__)))
'''


def run(root, kind, steps, precision):
    env = dict(os.environ, PYTHONPATH=str(Path(root).resolve()))
    r = subprocess.run(
        [sys.executable, '-c', CHILD, kind, str(steps), precision],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
    )
    if r.returncode:
        raise RuntimeError(f"{root} {kind}: {r.stderr[-2000:]}")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out['path'].startswith(str(Path(root).resolve())), out['path']
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('a', help='checkout A (before)')
    p.add_argument('b', help='checkout B (after)')
    p.add_argument('--steps', type=int, default=40, help='optimiser steps a side runs per round')
    p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--a-precision', default='auto', help="A's precision: 'auto' (its own default) or 'fp32'")
    p.add_argument(
        '--kinds',
        nargs='*',
        default=['finetune', 'mae_photos', 'mae_shapes', 'finetune_same', 'mae_photos_same'],
        help="each side's own recipe (finetune, mae_photos, mae_shapes) or the same run on both (*_same)",
    )
    p.add_argument('--out', default='benchmarks/results/default_step.csv')
    a = p.parse_args(argv)
    rows = []
    for kind in a.kinds:
        ratios = []
        for k in range(a.rounds):
            ra = run(a.a, kind, a.steps, 'recipe' if kind.endswith('_same') else a.a_precision)
            rb = run(a.b, kind, a.steps, 'recipe')
            ratios.append(rb['images_per_s'] / ra['images_per_s'])
            for side, r in (('A', ra), ('B', rb)):
                rows.append(
                    dict(
                        side=side,
                        round=k,
                        a_precision=a.a_precision,
                        **{x: y for x, y in r.items() if x not in ('path', 'losses')},
                    )
                )
                print(
                    f"{kind} round {k} {side}: {r['model']} batch {r['batch']} {r['precision']}: "
                    f"{r['images_per_s']:.0f} images/s, {r['gflop_per_image']:.3f} GFLOP/image, "
                    f"{100 * r['peak_share']:.0f}% of the {r['peak_gflops']:.0f} GFLOP/s GEMM peak",
                    flush=True,
                )
        if kind.endswith('_same'):  # the same run on both sides: its losses, step by step
            la, lb = ra['losses'], rb['losses']
            worst = max(abs(x - y) for x, y in zip(la, lb))
            print(f"== {kind}: {len(la)} steps, largest |loss A - loss B| {worst:.2e} (first {la[0]:.6f})")
        print(
            f"== {kind}: B/A {', '.join(f'{x:.2f}' for x in ratios)}; "
            f"median {statistics.median(ratios):.2f}x",
            flush=True,
        )
    import pandas as pd

    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    old = pd.read_csv(a.out) if Path(a.out).exists() else None
    df = pd.DataFrame(rows)
    if old is not None:
        df = pd.concat([old[old.a_precision != a.a_precision], df], ignore_index=True)
    df.to_csv(a.out, index=False)


if __name__ == '__main__':
    sys.exit(main())
