"""What TensorBoard logging costs a run (issue 28): the default preset's MAE pretraining on the generated
shapes (`vit_mini2_patch4`, its batch and logging every 10 steps), for a fixed number of optimiser steps, with
and without `--no-tensorboard`, in fresh processes that alternate. Prints each side's seconds, the ratio, and
that the two runs' losses are the same (the log changes nothing trained).

    python benchmarks/tensorboard_cost.py [--steps 200] [--rounds 3]"""

import argparse, json, statistics, subprocess, sys

CHILD = r'''
import json, sys, time, tempfile
from occlusion_mim.presets import RECIPES, pretrain_config
from occlusion_mim.train import train
import dataclasses
steps, off = int(sys.argv[1]), sys.argv[2] == 'off'
c = pretrain_config(RECIPES['default'], 'mae', 'shapes', 1, seed=0, device='cpu')
with tempfile.TemporaryDirectory() as d:
    c = dataclasses.replace(c, out=d, max_steps=steps, quiet=True, no_tensorboard=off)
    t = time.perf_counter()
    r = train(c)
    print(json.dumps(dict(seconds=time.perf_counter() - t, loss=r['loss'], step=r['step'])))
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--steps', type=int, default=200)
    ap.add_argument('--rounds', type=int, default=3)
    a = ap.parse_args()
    got = {'on': [], 'off': []}
    for _ in range(a.rounds):
        for side in ('off', 'on'):
            out = subprocess.run(
                [sys.executable, '-c', CHILD, str(a.steps), side], capture_output=True, text=True
            )
            if out.returncode:
                sys.exit(out.stderr[-2000:])
            got[side].append(json.loads(out.stdout.strip().splitlines()[-1]))
    for side, rs in got.items():
        print(f"tensorboard {side}: {[round(r['seconds'], 2) for r in rs]} s for {rs[0]['step']} steps")
    on = statistics.median(r['seconds'] for r in got['on'])
    off = statistics.median(r['seconds'] for r in got['off'])
    print(f"on / off (medians): {on / off:.3f}")
    same = {r['loss'] for r in got['on'] + got['off']}
    print(f"final losses: {sorted(same)} ({'the same' if len(same) == 1 else 'DIFFERENT'})")


if __name__ == '__main__':
    main()
