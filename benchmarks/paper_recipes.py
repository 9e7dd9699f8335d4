"""Each training type of the `paper` preset through the real trainer, briefly: MAE, R-MAE, C-MAE and MoCo v3
pretraining, fine-tuning (RandAugment, random erasing, mixup / cutmix, layer decay) and the supervised DeiT-S
recipe, at ViT-S/16 and 224 px, on a generated ImageNet-layout folder. For each: images/s of the whole trainer
(data loading included) and whether the loss fell (the mean of the last quarter of the logged losses below the
first quarter's); the plan's GPU-hours use one TrainStep's rate (`occlusion_mim/resources/step_rates.csv`), so
the ratio printed here is the trainer's overhead over that assumption.

    python benchmarks/paper_recipes.py --device cuda --steps 60 --out /tmp/paper_recipes   # on a GPU, ~6 min
    python benchmarks/paper_recipes.py --device cpu --steps 2 --total-batch 8 --arch vit_nano_patch8  # check

The recipes are the preset's (`occlusion_mim.presets.RECIPES['paper']`) except the schedule, shortened to
the run (warm-up over the first 10% of the steps, cosine to the end), and the total batch when given. Writes
paper_recipes.csv (kind, model, images_per_s, plan_images_per_s, ratio, first_loss, last_loss, fell)."""

import argparse, dataclasses, sys, tempfile, time
from pathlib import Path
import numpy as np
import pandas as pd


def image_folder(root: Path, classes: int, per_class: int, size: int = 256) -> Path:
    "An ImageNet-layout folder (train/ and val/) of JPEG crops of scikit-image's photos."
    from PIL import Image
    from skimage import data

    photos = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket(), data.immunohistochemistry()]
    rng = np.random.default_rng(0)
    for split, n in (('train', per_class), ('val', max(2, per_class // 8))):
        for k in range(classes):
            d = root / split / f'n{k:08d}'
            d.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                a = photos[(k + i) % len(photos)]
                h, w = a.shape[:2]
                s = int(min(h, w) * rng.uniform(0.4, 0.9))
                y, x = rng.integers(0, h - s + 1), rng.integers(0, w - s + 1)
                Image.fromarray(a[y : y + s, x : x + s]).resize((size, size)).save(d / f'{k}_{i}.JPEG')
    return root


def main(argv=None):
    from occlusion_mim.runs import step_rates
    from occlusion_mim.presets import RECIPES, pretrain_config, finetune_config, supervised_config
    from occlusion_mim.train import train

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--device', default='cuda', choices=['cuda', 'cpu'])
    p.add_argument('--steps', type=int, default=60, help='optimiser steps per training type')
    p.add_argument('--total-batch', type=int, default=0, help="0: the recipe's (4096, 1024)")
    p.add_argument('--batch-size', type=int, default=0, help="per-process cap; 0: the recipe's")
    p.add_argument('--arch', default='vit_small_patch16')
    p.add_argument('--num-workers', type=int, default=8)
    p.add_argument('--kinds', default='mae,r_mae,c_mae,mocov3,finetune,supervised')
    p.add_argument('--out', default='benchmarks/results')
    a = p.parse_args(argv)
    R = dict(RECIPES['paper'], arch=a.arch)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    rates = step_rates()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = image_folder(Path(tmp) / 'imagenet', classes=10, per_class=64)
        for kind in a.kinds.split(','):
            over = dict(
                device=a.device, num_workers=a.num_workers, log_every=1, quiet=True, max_steps=a.steps
            )
            if a.total_batch:
                over['total_batch'] = a.total_batch
            if a.batch_size:
                over['batch_size'] = a.batch_size
            if kind in ('finetune', 'supervised'):
                build = (
                    supervised_config
                    if kind == 'supervised'
                    else lambda r, d, **k: finetune_config(r, None, d, **k)
                )
                c = build(R, str(folder), **over)
                total = c.total_batch or c.batch_size
                epochs = max(1, -(-a.steps * total // 640))  # the folder's 640 training images
                c = dataclasses.replace(c, epochs=epochs, warmup_epochs=0.1 * epochs, eval_every=epochs)
            else:
                c = pretrain_config(R, kind, f'images:{folder / "train"}', epochs=1, **over)
                total = c.total_batch or c.batch_size
                c = dataclasses.replace(c, epoch_length=a.steps * total, warmup_epochs=0.1)
            c = dataclasses.replace(c, out=str(Path(tmp) / kind))
            t = time.perf_counter()
            try:
                train(c)
            except Exception as e:  # one kind failing is a result too
                print(f"{kind}: FAILED: {type(e).__name__}: {e}", flush=True)
                rows.append(dict(kind=kind, model=c.model, error=f"{type(e).__name__}: {e}"))
                continue
            m = pd.read_csv(Path(c.out) / 'metrics.csv').dropna(subset=['loss'])
            m = m[m.step <= a.steps].drop_duplicates('step')
            q = max(1, len(m) // 4)
            first, last = m.loss.iloc[:q].mean(), m.loss.iloc[-q:].mean()
            ips = float(m.images_per_s.iloc[-1])
            plan = rates[(rates.model == c.model) & rates.device.str.contains('H200')].images_per_s
            plan = float(plan.iloc[0]) if len(plan) else float('nan')
            rows.append(
                dict(
                    kind=kind,
                    model=c.model,
                    total_batch=total,
                    steps=int(m.step.max()),
                    seconds=round(time.perf_counter() - t, 1),
                    images_per_s=round(ips, 1),
                    plan_images_per_s=plan,
                    ratio=round(ips / plan, 3) if plan == plan else float('nan'),
                    first_loss=round(float(first), 5),
                    last_loss=round(float(last), 5),
                    fell=bool(last < first),
                )
            )
            print(rows[-1], flush=True)
    df = pd.DataFrame(rows)
    df.to_csv(out / 'paper_recipes.csv', index=False)
    print(df.to_string(index=False))
    return 0 if 'error' not in df.columns or df.error.isna().all() else 1


if __name__ == '__main__':
    sys.exit(main())
