"""Same-run A/B of the MAE training step (forward, backward, AdamW through `TrainStep`) between two checkouts
of the project, e.g. before and after a refactor: the two run alternately in fresh processes, several
rounds, the same weights, images and masks, and the script prints each side's images/s and the ratio B/A
per round and overall.

    git worktree add /tmp/before <commit>
    python benchmarks/ab_step.py /tmp/before . [--arch vit_small_patch16] [--batch 8] [--steps 6] [--rounds 4]

A side's `TrainStep` is taken from `occlusion_mim.train` (or, for checkouts before the move,
`occlusion_mim.models`)."""

import argparse, json, os, statistics, subprocess, sys
from pathlib import Path

CHILD = r'''
import json, sys, time, torch
from occlusion_mim.models import create_model
try:
    from occlusion_mim.train import TrainStep, make_optimizer
except ImportError:
    from occlusion_mim.models import TrainStep, make_optimizer
arch, batch, steps, precision = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
torch.manual_seed(0)
m = create_model(f'mae_{arch}')
n = m.encoder.num_patches
g = torch.Generator().manual_seed(0)
x = torch.rand(batch, 3, m.encoder.img_size, m.encoder.img_size, generator=g)
noises = [torch.rand(batch, n, generator=g) for _ in range(steps + 2)]
step = TrainStep(m, make_optimizer(m, lr=1.5e-4), precision=precision)
for k in range(2):
    step(x, noise=noises[k])
t = time.perf_counter()
for k in range(steps):
    loss = step(x, noise=noises[k + 2]).loss
speed = batch * steps / (time.perf_counter() - t)
print(json.dumps(dict(images_per_s=speed, loss=loss.item(), path=__import__('occlusion_mim').__file__)))
'''


def run(root, a):
    env = dict(os.environ, PYTHONPATH=str(Path(root).resolve()))
    args = [sys.executable, '-c', CHILD, a.arch, str(a.batch), str(a.steps), a.precision]
    r = subprocess.run(args, env=env, cwd=root, capture_output=True, text=True, check=True)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out['path'].startswith(str(Path(root).resolve())), out['path']
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('a', help='checkout A (e.g. before)')
    p.add_argument('b', help='checkout B (e.g. after)')
    p.add_argument('--arch', default='vit_small_patch16')
    p.add_argument('--batch', type=int, default=8)
    p.add_argument('--steps', type=int, default=6)
    p.add_argument('--rounds', type=int, default=4)
    p.add_argument('--precision', default='auto')
    a = p.parse_args(argv)
    ratios = []
    for k in range(a.rounds):
        first, second = (a.a, a.b) if k % 2 == 0 else (a.b, a.a)  # alternate who goes first
        res = {first: run(first, a), second: run(second, a)}
        ra, rb = res[a.a], res[a.b]
        ratios.append(rb['images_per_s'] / ra['images_per_s'])
        print(
            f"round {k + 1}: A {ra['images_per_s']:.2f} img/s, B {rb['images_per_s']:.2f} img/s, B/A "
            f"{ratios[-1]:.3f}; "
            f"losses {ra['loss']:.6f} / {rb['loss']:.6f}",
            flush=True,
        )
    print(f"B/A median {statistics.median(ratios):.3f} (rounds: {', '.join(f'{r:.3f}' for r in ratios)})")


if __name__ == '__main__':
    main()
