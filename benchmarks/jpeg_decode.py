"""The host data path's cost per image: decoding a JPEG and cropping it to 224 px, on one CPU core (what each
DataLoader worker does today: `load_rgb` + `CropFlip(as_float=False)`) against torchvision's batched JPEG
decoding on the GPU (`decode_jpeg(list, device='cuda')`, then the same crop on the device), in the same run.

    python benchmarks/jpeg_decode.py [--n 512] [--batch 128] [--device cuda] [--step-rate 4300]

The JPEGs are made from scikit-image's photos: random 500 x 375 crops (ImageNet's typical size) saved at
quality 90 in a temporary folder. Prints images/s for each path and, given --step-rate (the model step's
images/s, e.g. from mae_step.py), how many CPU workers the step needs to be kept busy."""

import argparse, io, os, tempfile, time
import numpy as np
import torch
from PIL import Image
from torchvision.io import ImageReadMode, decode_jpeg, read_file
from torchvision.transforms.v2 import functional as TF
from occlusion_mim.augment import CropFlip, random_resized_crop_params
from occlusion_mim.data import load_rgb, _photo_array

PHOTOS = ['astronaut', 'coffee', 'chelsea', 'rocket']


def make_jpegs(folder: str, n: int, seed: int = 0) -> list[str]:
    "`n` JPEG files of 500 x 375 random crops of the photos, quality 90; their paths."
    rng = np.random.default_rng(seed)
    arrays = [_photo_array(p) for p in PHOTOS]
    paths = []
    for i in range(n):
        a = arrays[i % len(arrays)]
        big = Image.fromarray(a).convert('RGB').resize((1000, 750))
        x, y = int(rng.integers(0, 500)), int(rng.integers(0, 375))
        p = os.path.join(folder, f'{i:05d}.jpg')
        big.crop((x, y, x + 500, y + 375)).save(p, quality=90)
        paths.append(p)
    return paths


def cpu_path(paths, size=224):
    "One core: decode with PIL and crop + flip to a uint8 tensor, as a DataLoader worker does."
    crop = CropFlip(size, as_float=False)
    g = torch.Generator().manual_seed(0)
    t = time.perf_counter()
    for p in paths:
        crop(load_rgb(p), generator=g)
    return len(paths) / (time.perf_counter() - t)


def gpu_path(paths, batch, device, size=224):
    "Read the bytes on the host, decode a batch on the GPU, crop + flip each image there; uint8 out."
    g = torch.Generator().manual_seed(0)
    datas = [read_file(p) for p in paths]
    torch.cuda.synchronize()
    t = time.perf_counter()
    for s in range(0, len(datas), batch):
        imgs = decode_jpeg(datas[s : s + batch], mode=ImageReadMode.RGB, device=device)
        out = torch.empty(len(imgs), 3, size, size, dtype=torch.uint8, device=device)
        for j, im in enumerate(imgs):
            top, left, h, w = random_resized_crop_params(im.shape[1], im.shape[2], generator=g)
            out[j] = TF.resized_crop(im, top, left, h, w, [size, size], antialias=True)
    torch.cuda.synchronize()
    return len(paths) / (time.perf_counter() - t)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--n', type=int, default=512)
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--device', default='cuda')
    p.add_argument('--step-rate', type=float, default=0.0, help="model step's images/s")
    a = p.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as d:
        paths = make_jpegs(d, a.n)
        kb = sum(os.path.getsize(q) for q in paths) / len(paths) / 1024
        cpu_path(paths[:32])
        cpu = cpu_path(paths)
        print(f"{a.n} JPEGs, 500x375, {kb:.0f} KB each on average")
        print(f"CPU, one core (PIL decode + crop + flip): {cpu:.0f} images/s")
        if a.device.startswith('cuda') and torch.cuda.is_available():
            gpu_path(paths[: a.batch], a.batch, a.device)
            gpu = gpu_path(paths, a.batch, a.device)
            print(f"GPU ({torch.cuda.get_device_name(0)}, nvjpeg batch {a.batch} + crop): {gpu:.0f} images/s")
        if a.step_rate:
            print(
                f"workers needed for a step of {a.step_rate:.0f} images/s: {a.step_rate / cpu:.1f} CPU cores"
            )


if __name__ == '__main__':
    main()
