"""Held-out top-1 against CPU seconds for candidate fine-tuning recipes of the `default` preset (issue 25):
each candidate trains a classifier from scratch (the hardest start the preset's fine-tuning meets) through the
real trainer, in fp32 on this CPU, and is measured on 2,000 held-out generated shapes (the validation
stream, rendered at the model's size and evaluated as rendered). Seconds are the trainer's wall time (the
shapes rendered beforehand, as a notebook renders each set once for all its runs).

    python benchmarks/default_recipe.py [--only chosen] [--seeds 0 1 2] [--out benchmarks/results]

Writes default_recipe.csv (candidate, what, model, images, seconds, top1, seed); `12_presets` shows it."""

import argparse, dataclasses, json, sys, tempfile, time
from pathlib import Path
import pandas as pd
import torch
import occlusion_mim.models as om
from occlusion_mim.data import ShapesTextures, EvalTransform
from occlusion_mim.train import TrainConfig, train, evaluate, build_model
from occlusion_mim.checkpoints import load_checkpoint

# an architecture that only this comparison uses: the 3-block mini ViT at 48 px (6 px patches, 64 tokens)
om.ARCHS['vit_mini48_patch6'] = dict(img_size=48, patch_size=6, embed_dim=64, depth=3, num_heads=4)
om.HEAD_SIZES['vit_mini48_patch6'] = om.HEAD_SIZES['vit_mini_patch4']

TODAY = dict(  # the default preset's fine-tuning before issue 25, from scratch (the supervised baseline)
    model='vit_micro_patch4',
    n_per_class=200,
    epochs=5,
    batch_size=64,
    blr=4e-3,
    warmup_epochs=0.5,
    crop_min=0.9,
    layer_decay=1.0,
)
MINI3 = dict(  # the default preset's fine-tuning chosen first (3 blocks)
    model='vit_mini_patch4',
    n_per_class=6000,
    epochs=1,
    batch_size=32,
    blr=1.2e-2,
    warmup_epochs=0.2,
    crop_min=0.9,
    layer_decay=1.0,
)
CHOSEN = {**MINI3, 'model': 'vit_mini2_patch4'}  # now (`RECIPES['default']['finetune']`): 2 blocks
CANDIDATES = {
    'today': ('before issue 25: 2,000 shapes, 5 epochs, batch 64', TODAY),
    'today, 25 epochs': ('longer fine-tuning', {**TODAY, 'epochs': 25}),
    'today, 10x images': ('more images: 20,000 shapes, 5 epochs', {**TODAY, 'n_per_class': 2000}),
    'batch 256, lr x4': (
        'larger batch and lr: 10,000 shapes, 10 epochs (the issue\'s measurement)',
        {**TODAY, 'n_per_class': 1000, 'epochs': 10, 'batch_size': 256},
    ),
    'today, batch 32': (
        'smaller batch, more steps: 10,000 shapes, 5 epochs, lr 1e-3',
        {**TODAY, 'n_per_class': 1000, 'batch_size': 32, 'blr': 8e-3},
    ),
    'micro, chosen schedule': (
        'wider (96-d): the chosen data and schedule',
        {**MINI3, 'model': 'vit_micro_patch4'},
    ),
    'mini, 3 blocks': ('the chosen recipe at depth 3 (the choice before)', MINI3),
    'mini, 48 px': ('48 px images, 6 px patches: 3 blocks', {**MINI3, 'model': 'vit_mini48_patch6'}),
    'mini, lr 1e-3': ('3 blocks at lr 1e-3', {**MINI3, 'blr': 8e-3}),
    'mini, 2 blocks, lr 1e-3': ('the chosen recipe at lr 1e-3', {**CHOSEN, 'blr': 8e-3}),
    'chosen': ('64-d, 2 blocks, 4 heads; 60,000 shapes seen once, batch 32, lr 1.5e-3', CHOSEN),
}


def heldout_top1(model, size: int, seed: int, n: int = 2000) -> float:
    ds = ShapesTextures(n // 10, size, seed=seed, split='val', transform=EvalTransform(size, False, 1.0))
    return evaluate(model, ds, 256, torch.device('cpu'))['val_top1']


def trained(name: str, kw: dict, seed: int, folder: Path):
    "Candidate `name`'s classifier trained from scratch: its config, the model (eval mode) and the seconds."
    c = TrainConfig(
        mode='finetune',
        data='shapes',
        seed=seed,
        device='cpu',
        precision='fp32',
        quiet=True,
        eval_every=1000,
        out=str(folder / f'{name}-{seed}'.replace(' ', '_')),
        **kw,
    )
    size = om.ARCHS[c.model]['img_size']
    ShapesTextures(c.n_per_class, size, seed=seed).tensors()  # rendered outside the timing
    t = time.perf_counter()
    train(c)
    seconds = time.perf_counter() - t
    m, _ = build_model(dataclasses.replace(c, init=''), 10, torch.device('cpu'))
    m.load_state_dict(load_checkpoint(Path(c.out) / 'checkpoint.pt')['model'])
    return c, m.eval(), seconds


def run(name: str, kw: dict, seed: int, folder: Path) -> dict:
    c, m, seconds = trained(name, kw, seed, folder)
    size = om.ARCHS[c.model]['img_size']
    images = c.n_per_class * 10 // c.batch_size * c.batch_size * c.epochs
    return dict(
        candidate=name,
        what=CANDIDATES[name][0],
        model=c.model,
        images=images,
        seconds=round(seconds, 1),
        top1=heldout_top1(m, size, seed),
        seed=seed,
    )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--only', nargs='*', default=list(CANDIDATES), help='candidates to run (default: all)')
    p.add_argument(
        '--seeds', nargs='*', type=int, default=[0], help='seeds (the chosen recipe: also 1 and 2)'
    )
    p.add_argument('--out', default='benchmarks/results', help='folder of default_recipe.csv')
    a = p.parse_args(argv)
    jobs = [(n, s) for n in a.only for s in sorted(set(a.seeds) | ({0, 1, 2} if n == 'chosen' else set()))]
    measure(Path(a.out) / 'default_recipe.csv', jobs, run, CANDIDATES)


def measure(out: Path, jobs: list, run, candidates: dict):
    "Run each (candidate, seed) of `jobs`, replacing its row of the CSV `out` (written after every run)."
    rows = pd.read_csv(out).to_dict('records') if out.exists() else []
    with tempfile.TemporaryDirectory() as d:
        for name, seed in jobs:
            rows = [r for r in rows if (r['candidate'], r['seed']) != (name, seed)]
            rows.append(run(name, candidates[name][1], seed, Path(d)))
            print(json.dumps(rows[-1]), flush=True)
            pd.DataFrame(rows).to_csv(out, index=False)


if __name__ == '__main__':
    sys.exit(main())
