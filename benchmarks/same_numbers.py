"""Which CPU facts move the default preset's numbers (issue 25, "the same numbers on every CPU"): the
default fine-tuning run (and the MAE pretraining on the generated shapes) for a fixed number of steps, in
fresh processes that differ in one fact each: the number of threads, and the instruction set torch's kernels,
MKL and oneDNN may use (AVX-512 or AVX2, forced down by ATEN_CPU_CAPABILITY, MKL_ENABLE_INSTRUCTIONS and
ONEDNN_MAX_CPU_ISA: an AVX2 laptop's kernels on this machine). Each is compared with the reference (this
machine's own instruction set, 2 threads: the gallery's): the first step whose loss differs, the largest loss
difference, and, for one step's gradients, the parameters whose gradients differ.

    python benchmarks/same_numbers.py [--steps 400] [--kinds finetune,mae_shapes]

Writes benchmarks/results/same_numbers.csv."""

import argparse, json, os, subprocess, sys
from pathlib import Path

CHILD = r'''
import json, sys, tempfile, dataclasses, warnings
warnings.filterwarnings('ignore')
import torch
torch.set_num_threads(int(sys.argv[3]))
import pandas as pd
from occlusion_mim.presets import RECIPES, finetune_config, pretrain_config
from occlusion_mim.train import train, build_model
kind, steps = sys.argv[1], int(sys.argv[2])
R = RECIPES['default']
c = finetune_config(R, None, 'shapes', device='cpu') if kind == 'finetune' else pretrain_config(
    R, 'mae', 'shapes', device='cpu')
# one step's gradients, from the same weights and batch on every side
torch.manual_seed(0)
model, _ = build_model(c, 10, torch.device('cpu'))
size = model.encoder.patch_embed.img_size[0]
x, y = torch.rand(32, 3, size, size), torch.randint(0, 10, (32,))
torch.manual_seed(1)
out = model(x, labels=y) if kind == 'finetune' else model(x)
out.loss.backward()
grads = {n: p.grad.flatten().tolist() for n, p in model.named_parameters() if p.grad is not None}
with tempfile.TemporaryDirectory() as d:
    c = dataclasses.replace(c, out=d, max_steps=steps, quiet=True, eval_every=10**6, log_every=1)
    train(c)
    m = pd.read_csv(f'{d}/metrics.csv')
    losses = m.dropna(subset=['loss']).groupby('step').loss.first().tolist()
print(json.dumps(dict(losses=losses, grads=grads, capability=torch.backends.cpu.get_cpu_capability(),
                      threads=torch.get_num_threads())))
'''

AVX2 = dict(ATEN_CPU_CAPABILITY='avx2', MKL_ENABLE_INSTRUCTIONS='AVX2', ONEDNN_MAX_CPU_ISA='AVX2')


def run(kind, steps, threads, env_extra):
    env = {**os.environ, **env_extra}
    r = subprocess.run(
        [sys.executable, '-c', CHILD, kind, str(steps), str(threads)], capture_output=True, text=True, env=env
    )
    if r.returncode:
        sys.exit(f"{kind} threads={threads} {env_extra}: failed\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def compare(ref, other):
    la, lb = ref['losses'], other['losses']
    diffs = [abs(a - b) for a, b in zip(la, lb)]
    first = next((i + 1 for i, d in enumerate(diffs) if d), None)
    differing = [n for n in ref['grads'] if ref['grads'][n] != other['grads'][n]]
    return dict(
        first_step_differing=first,
        max_loss_diff=max(diffs),
        final_loss_diff=diffs[-1],
        grads_differing=len(differing),
        grads_total=len(ref['grads']),
        which=' '.join(sorted({n.split('.')[-2] if '.' in n else n for n in differing})),
    )


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--steps', type=int, default=400)
    p.add_argument('--kinds', default='finetune,mae_shapes')
    a = p.parse_args()
    import pandas as pd

    rows = []
    for kind in a.kinds.split(','):
        ref = run(kind, a.steps, 2, {})
        for name, threads, env in [
            ('same machine, 2 threads again', 2, {}),
            ('1 thread', 1, {}),
            ('4 threads', 4, {}),
            ('AVX2 kernels, 2 threads', 2, AVX2),
        ]:
            o = run(kind, a.steps, threads, env)
            row = dict(
                kind=kind, variant=name, capability=o['capability'], threads=o['threads'], **compare(ref, o)
            )
            print(row, flush=True)
            rows.append(row)
    out = Path(__file__).parent / 'results' / 'same_numbers.csv'
    pd.DataFrame(rows).to_csv(out, index=False)
    print(pd.DataFrame(rows).drop(columns='which').to_string(index=False))
    print(f"wrote {out}")


if __name__ == '__main__':
    main()
