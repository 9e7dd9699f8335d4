"""Training-step throughput of every method, for the paper preset's cost plan: images/s of one `TrainStep`
(forward, backward, AdamW) per model on random data, at a given batch and precision.

    python benchmarks/step_rates.py [--models mae_vit_small_patch16,vit_small_patch16] [--batch 256] \
        [--steps 5] [--device cuda] [--precision bf16] [--csv rates.csv]

Prints one line per model (best of --steps timed steps after two warm-up steps) and writes them as CSV."""

import argparse, time
import torch
from occlusion_mim.models import create_model
from occlusion_mim.train import TrainStep, make_optimizer

METHODS = 'mae,r_mae,c_mae,mocov3,vit'
ARCHS = 'vit_small_patch16,vit_base_patch16'


def rate(name: str, batch: int, steps: int, device, precision: str) -> float:
    "Best images/s of `steps` training steps of model `name` on a random batch."
    m = create_model(name).to(device)
    step = TrainStep(m, make_optimizer(m, lr=1e-4), precision=precision, device=device)
    size = m.encoder.img_size if hasattr(m.encoder, 'img_size') else 224
    x = torch.rand(batch, 3, size, size, device=device)
    y = torch.randint(0, 1000, (batch,), device=device)
    sync = torch.cuda.synchronize if device.type == 'cuda' else (lambda: None)
    best = float('inf')
    for i in range(steps + 2):
        sync()
        t = time.perf_counter()
        step(x, labels=y)
        sync()
        if i >= 2:
            best = min(best, time.perf_counter() - t)
    del m, step
    if device.type == 'cuda':
        torch.cuda.empty_cache()
    return batch / best


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument(
        '--models', default=','.join(f'{m}_{a}' for a in ARCHS.split(',') for m in METHODS.split(','))
    )
    p.add_argument('--batch', type=int, default=256)
    p.add_argument('--steps', type=int, default=5)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--precision', default='bf16')
    p.add_argument('--csv', default='')
    a = p.parse_args()
    dev = torch.device(a.device)
    gpu = torch.cuda.get_device_name(0) if dev.type == 'cuda' else 'cpu'
    rows = []
    for name in a.models.split(','):
        name = name.replace('vit_vit_', 'vit_')
        r = rate(name, a.batch, a.steps, dev, a.precision)
        rows.append(f"{name},{gpu},{a.precision},{a.batch},{r:.1f}")
        print(f"{name:28s} {gpu}, {a.precision}, batch {a.batch}: {r:8.1f} images/s", flush=True)
    if a.csv:
        with open(a.csv, 'w') as f:
            f.write('model,device,precision,batch,images_per_s\n' + '\n'.join(rows) + '\n')


if __name__ == '__main__':
    main()
