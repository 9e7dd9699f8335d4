"""Trainer overhead: the images/s of `occlusion_mim.train` against the bare model step (`TrainStep` on the
same batches, already in memory) of the same configuration, in the same run.

    python benchmarks/trainer_overhead.py [--model mae_vit_cpu_patch8] [--batch 64] [--steps 20] \
        [--device cpu|cuda] [--max-overhead 5]

With `--jpegs N` the trainer reads N JPEG files from a folder (decoding and cropping in its DataLoader
workers, as on ImageNet) while the bare step still gets ready batches: the whole host data path is measured.
Without it the data are pre-rendered uint8 tensors, as the trainer's datasets yield them, so what is
measured is the loop itself (sampler, collation, the global-batch masking noise, the lr schedule, logging,
the DataLoader and its workers, the uint8 -> float conversion on the device; on a GPU also the pinned
host-to-device copy, since the bare step's float batches already lie on the GPU), not image decoding.
Each round resumes the run for two more epochs (a folder's run: a new run of two epochs) and takes the
second one's rate (worker processes persist across epochs, so the first epoch of a call pays their
start-up). Prints both rates and the overhead; exits 1 above --max-overhead percent."""

import argparse, sys, tempfile, time
import pandas as pd
import torch
from occlusion_mim.models import create_model, ARCHS, parse_model_name
from occlusion_mim.train import make_optimizer, TrainStep
from occlusion_mim.train import train, TrainConfig, sample_seed
from occlusion_mim.data import normalize
from occlusion_mim.augment import to_float


class Tensors(torch.utils.data.Dataset):
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def write_jpegs(folder, n: int, classes: int = 10) -> str:
    """`n` JPEG files of 500 x 375 px (quality 90, about ImageNet's typical size) in `classes` class folders
    under `folder/train`: crops of scikit-image's photographs with noise, so each file differs; `folder`."""
    import numpy as np
    from PIL import Image
    from pathlib import Path
    from occlusion_mim.data import embedded_photo

    rng = np.random.default_rng(0)
    photos = [
        np.asarray(embedded_photo(k).convert('RGB').resize((640, 480))) for k in ('astronaut', 'coffee')
    ]
    for i in range(n):
        p = photos[i % len(photos)]
        y, x = rng.integers(0, 480 - 375), rng.integers(0, 640 - 500)
        img = p[y : y + 375, x : x + 500].astype(np.int16) + rng.integers(-12, 13, (375, 500, 3))
        out = Path(folder) / 'train' / f'class{i % classes}'
        out.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img.clip(0, 255).astype(np.uint8)).save(out / f'{i:06d}.JPEG', quality=90)
    return str(folder)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--model', default='mae_vit_cpu_patch8')
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--steps', type=int, default=20)
    p.add_argument('--rounds', type=int, default=5)
    p.add_argument('--max-overhead', type=float, default=5.0)
    p.add_argument('--device', default='cpu')
    p.add_argument('--num-workers', type=int, default=0)
    p.add_argument('--precision', default='auto')
    p.add_argument(
        '--jpegs',
        type=int,
        default=0,
        help='N > 0: the trainer reads a folder of N JPEG files of 500 x 375 px (written first, as ImageNet '
        'stores its images: decoding and the random resized crop in the workers); 0: pre-rendered tensors',
    )
    p.add_argument(
        '--decode',
        default='workers',
        choices=['workers', 'device'],
        help="with --jpegs: decode and crop in the workers (PIL) or on the device (--decode device)",
    )
    a = p.parse_args(argv)
    size = ARCHS[parse_model_name(a.model)[1]]['img_size']
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (a.batch * a.steps, 3, size, size), generator=g, dtype=torch.uint8)
    y = torch.zeros(len(x), dtype=torch.long)
    ds = Tensors(x, y)
    # the bare step: the same model, optimiser and batches, no loop machinery
    torch.manual_seed(0)
    dev = torch.device(a.device)
    m = create_model(a.model).to(dev)
    step = TrainStep(m, make_optimizer(m, 1e-4), a.precision, device=dev)
    L = m.encoder.num_patches
    xd = to_float(x.to(dev))
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)

    def bare():
        for s in range(a.steps):
            xb = normalize(xd[s * a.batch : (s + 1) * a.batch])
            noise = torch.rand(a.batch, L, generator=torch.Generator().manual_seed(sample_seed(0, 11, s))).to(
                dev
            )
            loss = step(xb, noise=noise).loss
            float(loss.detach())  # the trainer reads each step's loss too
        sync()

    bare()  # warm-up
    rates, bare_rates = [], []
    with tempfile.TemporaryDirectory() as d:
        data = write_jpegs(f'{d}/jpegs', a.jpegs) if a.jpegs else ''
        c = TrainConfig(
            mode='pretrain',
            model=a.model,
            data=data or 'shapes',
            decode=a.decode if data else 'workers',
            batch_size=a.batch,
            epochs=1,
            log_every=10**9,
            quiet=True,
            out=f'{d}/run',
            device=a.device,
            precision=a.precision,
            num_workers=a.num_workers,
        )
        ds = None if data else ds
        train(c, dataset=ds)  # epoch 1 warms up
        for r in range(a.rounds):  # alternate, so machine noise hits both alike
            t = time.perf_counter()
            bare()
            bare_rates.append(a.batch * a.steps / (time.perf_counter() - t))
            out = f'{d}/run{r}' if data else c.out  # a folder's run: a new one of two epochs each round
            train(c, dataset=ds, epochs=2 if data else 3 + 2 * r, out=out)  # or resume for two more epochs
            rates.append(pd.read_csv(f'{out}/metrics.csv').images_per_s.iloc[-1])
    rate, bare_rate = max(rates), max(bare_rates)
    over = 100 * (bare_rate / rate - 1)
    print(
        f"{a.model}, device {dev}{' (' + torch.cuda.get_device_name(0) + ')' if dev.type == 'cuda' else ''}, "
        f"precision {step.precision}, batch {a.batch}, {a.steps} steps an epoch, {a.num_workers} workers, "
        f"best of {a.rounds} alternating rounds, threads {torch.get_num_threads()}, "
        + (f"data: {a.jpegs} JPEG files (500 x 375 px), --decode {a.decode}" if a.jpegs else 'uint8 tensors')
    )
    print(f"bare model step : {bare_rate:8.1f} images/s")
    print(f"trainer         : {rate:8.1f} images/s")
    print(f"overhead        : {over:+.1f}% (target <= {a.max_overhead}%)")
    return 0 if over <= a.max_overhead else 1


if __name__ == '__main__':
    sys.exit(main())
