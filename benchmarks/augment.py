"""Source-augmentation throughput: the project's batched implementation against a per-sample torchvision
`transforms.v2` pipeline doing the same work (patch masking, CutMix-style paste from the same image, SimSiam
colour), on a batch of 64 images at 224 px, in the same run.

    python benchmarks/augment.py [--batch 64] [--size 224] [--repeats 10] [--device cpu|cuda] [--chunk 16] \
        [--thp] [--min-ratio 3]

Prints images/s for both and their ratio; exits 1 if the ratio is below --min-ratio.

--thp sets PyTorch's THP_MEM_ALLOC_ENABLE=1 (transparent huge pages for large CPU allocations) for both
pipelines. Each call returns a fresh 38 MB batch; without huge pages, faulting its pages in costs about 10 ms
a batch on these machines, a large share of the batched pipeline's time and a small one of the per-sample
pipeline's."""

import argparse, math, os, sys, time

if '--thp' in sys.argv:
    os.environ.setdefault('THP_MEM_ALLOC_ENABLE', '1')  # must precede torch's first allocation
import torch
import torch.nn.functional as F
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TF
from occlusion_mim.augment import SourceTransform, PatchMask, CutMixPaste, ColorAugment
from occlusion_mim.core import make_generator


def reference_pipeline(ratio=0.75, patch=16, area=(0.1, 0.3), aspect=(3 / 4, 4 / 3), scale=(0.5, 1.5)):
    """The same three operations, one image at a time, written with torchvision.transforms.v2 where it has
    them."""
    colour = v2.Compose(
        [v2.RandomApply([v2.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8), v2.RandomGrayscale(p=0.2)]
    )

    def one(img):  # img: (3, H, W) float in [0, 1]
        C, H, W = img.shape
        L = (H // patch) * (W // patch)
        keep = int(L * (1 - ratio))
        ids = torch.argsort(torch.rand(L))
        m = torch.ones(L)
        m[ids[:keep]] = 0
        m = m.to(img.device)
        img = (
            img.view(C, H // patch, patch, W // patch, patch) * (1 - m).view(1, H // patch, 1, W // patch, 1)
        ).view(C, H, W)
        u = torch.rand(7).tolist()
        a = (area[0] + u[0] * (area[1] - area[0])) * H * W
        asp = math.exp(math.log(aspect[0]) + u[1] * (math.log(aspect[1]) - math.log(aspect[0])))
        sh, sw = min(H, max(1, round(math.sqrt(a / asp)))), min(W, max(1, round(math.sqrt(a * asp))))
        s = scale[0] + u[2] * (scale[1] - scale[0])
        dh, dw = min(H, max(1, round(sh * s))), min(W, max(1, round(sw * s)))
        st, sl = int(u[3] * (H - sh + 1)), int(u[4] * (W - sw + 1))
        dt, dl = int(u[5] * (H - dh + 1)), int(u[6] * (W - dw + 1))
        piece = TF.resized_crop(
            img, st, sl, sh, sw, [dh, dw], interpolation=v2.InterpolationMode.BILINEAR, antialias=False
        )
        img = img.clone()
        img[:, dt : dt + dh, dl : dl + dw] = piece
        return colour(img)

    return one


def bench(fns, repeats):
    """Best time of each function over `repeats` rounds; the functions alternate within a round, so a noisy
    machine slows them alike."""
    sync = torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
    for f in fns:
        f()
        f()  # warm-up (and torch.compile)
    best = [float('inf')] * len(fns)
    for _ in range(repeats):
        for k, f in enumerate(fns):
            sync()
            t = time.perf_counter()
            f()
            sync()
            best[k] = min(best[k], time.perf_counter() - t)
    return best


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--size', type=int, default=224)
    p.add_argument('--repeats', type=int, default=10)
    p.add_argument('--device', default='cpu')
    p.add_argument('--min-ratio', type=float, default=3.0)
    p.add_argument('--chunk', type=int, default=16, help='images per chunk on a CPU (SourceTransform.chunk)')
    p.add_argument('--thp', action='store_true', help='THP_MEM_ALLOC_ENABLE=1 for both pipelines')
    a = p.parse_args(argv)
    torch.manual_seed(0)
    x = torch.rand(a.batch, 3, a.size, a.size, device=a.device)
    ours = SourceTransform([PatchMask(0.75, 16), CutMixPaste(), ColorAugment()], chunk=a.chunk)
    ref = reference_pipeline()
    g = make_generator(0)
    t_ours, t_ref = bench(
        [lambda: ours(x, g), lambda: torch.stack([ref(x[i]) for i in range(len(x))])], a.repeats
    )
    ratio = t_ref / t_ours
    print(
        f"device={a.device} threads={torch.get_num_threads()} batch={a.batch} size={a.size} chunk={a.chunk} "
        f"THP_MEM_ALLOC_ENABLE={os.environ.get('THP_MEM_ALLOC_ENABLE', 'unset')} (best of {a.repeats}, "
        f"interleaved)"
    )
    print(
        f"per-sample torchvision.transforms.v2 : {a.batch / t_ref:8.1f} images/s  ({t_ref * 1e3:7.1f} "
        f"ms/batch)"
    )
    print(
        f"occlusion_mim batched                : {a.batch / t_ours:8.1f} images/s  ({t_ours * 1e3:7.1f} "
        f"ms/batch)"
    )
    print(f"speed-up ratio                       : {ratio:.2f}x (target >= {a.min_ratio}x)")
    return 0 if ratio >= a.min_ratio else 1


if __name__ == '__main__':
    sys.exit(main())
