"""Regenerate every figure and table: execute the experiment notebooks (nbs/fig*.ipynb, nbs/tab_*.ipynb) with
papermill.

    python scripts/run_all.py                          # default preset (embedded data, CPU)
    python scripts/run_all.py --only fig3,fig4         # a subset
    python scripts/run_all.py --preset paper -p imagenet=~/imagenet -p images=~/ten_images \\
                              -p stimuli=~/cue-conflict -p launcher="torchrun --nproc_per_node 8"
    python scripts/run_all.py --gallery docs/gallery   # also copy figures, tables, executed notebooks there
    python scripts/run_all.py --preset paper --smoke -p imagenet=... -p images=...   # the paper path, 2 steps
    python scripts/run_all.py --preset paper --plan -p imagenet=... -p images=... -p stimuli=...  # the cost

Each notebook runs as `papermill nbs/<name>.ipynb <out>/<name>.ipynb -p preset <preset> -p out_dir
<out>/<name> ...`; its figure, data (CSV) and manifest land in <out>/<name>/. A `-p key=value` is passed to
the notebooks that have that parameter, a key none of them has is an error (values are Python literals
where they parse as such: -p epochs=[10,50]). Trained runs are cached (see occlusion_mim.runs), so a second
run_all only re-measures and re-plots. Prints each notebook's time and writes <out>/run_all.csv."""

import argparse, ast, shutil, sys, time
from pathlib import Path
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PUBLIC_NOTEBOOKS = ('fig2', 'fig4')  # the notebooks with a `public` preset (public checkpoints)


def notebooks():
    return sorted(p.stem for p in (ROOT / 'nbs').glob('*.ipynb') if p.name.startswith(('fig', 'tab_')))


def parse_value(v: str):
    try:
        return ast.literal_eval(v)
    except (ValueError, SyntaxError):
        return v


def main(argv=None):
    import papermill as pm
    from occlusion_mim.core import shown_path

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        '--preset',
        default='default',
        choices=['default', 'paper', 'public'],
        help="'public' (public ViT-B/16 checkpoints) runs the notebooks that have that preset: "
        + ', '.join(PUBLIC_NOTEBOOKS),
    )
    p.add_argument(
        '--out',
        default=str(ROOT / 'outputs'),
        help='folder for the executed notebooks and their outputs (default: outputs/)',
    )
    p.add_argument('--only', default='', help=f"comma-separated subset of {', '.join(notebooks())}")
    p.add_argument(
        '-p',
        '--param',
        action='append',
        default=[],
        metavar='KEY=VALUE',
        help='a notebook parameter (repeatable)',
    )
    p.add_argument('--gallery', default='', help='also copy every figure PNG and Markdown table here')
    p.add_argument('--keep-going', action='store_true', help='run the remaining notebooks after a failure')
    p.add_argument(
        '--smoke',
        action='store_true',
        help="every training for 2 optimiser steps of a total batch of 8 (the notebooks' `smoke`), then "
        'measure and plot as usual: the whole path of a preset on your data in minutes',
    )
    p.add_argument(
        '--plan',
        action='store_true',
        help='train nothing: list every distinct training run of the notebooks (deduplicated as the cache '
        'keys them), its images and estimated GPU-hours, and the total; writes <out>/plan.csv',
    )
    a = p.parse_args(argv)
    names = notebooks()
    only = [s.strip().removesuffix('.ipynb') for s in a.only.split(',') if s.strip()]
    unknown = sorted(set(only) - set(names))
    if unknown:
        p.error(f"--only: unknown notebook(s) {unknown}; known: {names}")
    if only:
        names = [n for n in names if n in only]
    if a.preset == 'public':
        print(
            f"--preset public: {', '.join(n for n in names if n not in PUBLIC_NOTEBOOKS) or 'none'} skipped"
        )
        names = [n for n in names if n in PUBLIC_NOTEBOOKS]
    extra = {}
    for kv in a.param:
        if '=' not in kv:
            p.error(f"-p {kv!r}: expected KEY=VALUE")
        k, v = kv.split('=', 1)
        extra[k.strip()] = parse_value(v.strip())
    declared = {n: pm.inspect_notebook(str(ROOT / 'nbs' / f'{n}.ipynb')) for n in names}
    for k in extra:
        if not any(k in d for d in declared.values()):  # a typo would otherwise be dropped without a word
            theirs = sorted({q for d in declared.values() for q in d})
            p.error(
                f"-p {k}=...: none of {', '.join(names)} has a parameter {k!r}; theirs: {', '.join(theirs)}"
            )
    out = Path(a.out).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    rows, failed = [], []
    for n in names:
        nb = ROOT / 'nbs' / f'{n}.ipynb'
        known = declared[n]
        params = {
            'preset': a.preset,
            # relative to the notebooks' folder (papermill's working folder) when inside the project, so the
            # executed notebook does not show the machine it ran on
            'out_dir': shown_path(out / n, cwd=ROOT / 'nbs'),
            **({'smoke': True} if a.smoke and 'smoke' in known else {}),
            **({'plan': True} if a.plan and 'plan' in known else {}),
            **{k: v for k, v in extra.items() if k in known},
        }
        print(f"== {n}: {params}", flush=True)
        t = time.perf_counter()
        try:
            pm.execute_notebook(
                str(nb),
                str(out / f'{n}.ipynb'),
                parameters=params,
                cwd=str(ROOT / 'nbs'),
                progress_bar=False,
                kernel_name='python3',
            )
            ok = True
        except Exception as e:  # papermill saved the failing notebook
            ok = False
            failed.append(n)
            print(f"   FAILED: {str(e).strip().splitlines()[-1]} (see {out / f'{n}.ipynb'})", flush=True)
        dt = time.perf_counter() - t
        rows.append(dict(notebook=n, preset=a.preset, seconds=round(dt, 1), ok=ok))
        print(f"   {dt / 60:.1f} min", flush=True)
        if not ok and not a.keep_going:
            break
    pd.DataFrame(rows).to_csv(out / 'run_all.csv', index=False)
    if a.plan:
        return write_plan(out, [r['notebook'] for r in rows if r['ok']], failed)
    if a.gallery:
        g = Path(a.gallery).expanduser()
        g.mkdir(parents=True, exist_ok=True)
        for r in rows:
            if not r['ok']:
                continue
            for f in (out / r['notebook']).glob(f"{r['notebook']}*.png"):
                shutil.copy2(f, g / f.name)
            for f in (out / r['notebook']).glob(f"{r['notebook']}*.md"):
                shutil.copy2(f, g / f.name)
            for f in (out / r['notebook']).glob(f"{r['notebook']}_claims.csv"):
                shutil.copy2(f, g / f.name)
            # the executed notebook, so a reader sees the figures and claims in JupyterLab without running it
            gallery_notebook(out / f"{r['notebook']}.ipynb", g / f"{r['notebook']}.ipynb")
        write_gallery_times(g / 'run_all.csv', pd.DataFrame(rows))
        claims = [r for f in sorted(g.glob('*_claims.csv')) for r in pd.read_csv(f).to_dict('records')]
        if claims:  # one table of what these runs say about C1-C5
            from occlusion_mim.claims import claims_markdown

            (g / 'claims.md').write_text(
                f"Claims tested by the {a.preset}-preset run (from the notebooks' last cells):\n\n"
                + claims_markdown(claims)
                + '\n'
            )
    total = sum(r['seconds'] for r in rows)
    print(
        f"done: {len(rows) - len(failed)} of {len(names)} notebooks in {total / 60:.1f} min; outputs in {out}"
        + (f"; FAILED: {failed}" if failed else '')
    )
    return 1 if failed else 0


def installed_kernelspec(name: str = 'python3') -> dict:
    "The notebook metadata of the kernel ipykernel installed (its display name is 'Python 3 (ipykernel)')."
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(name)
    return dict(display_name=spec.display_name, language=spec.language, name=name)


def gallery_notebook(src: Path, dst: Path):
    """Copy an executed notebook into the gallery with the installed kernel's kernelspec (so opening it in
    JupyterLab does not mark it modified) and papermill's input and output paths relative to the project."""
    import json
    from occlusion_mim.core import shown_path

    nb = json.loads(Path(src).read_text())
    nb['metadata']['kernelspec'] = installed_kernelspec(
        nb['metadata'].get('kernelspec', {}).get('name', 'python3')
    )
    pm_meta = nb['metadata'].get('papermill', {})
    for k in ('input_path', 'output_path'):
        if pm_meta.get(k):
            pm_meta[k] = shown_path(pm_meta[k], cwd=ROOT)
    tmp = dst.with_suffix('.ipynb.tmp')
    tmp.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    tmp.replace(dst)


def write_gallery_times(path: Path, runs: pd.DataFrame):
    "The gallery's run_all.csv: these runs' rows and (after an `--only` subset) the others' earlier rows."
    if path.exists():
        old = pd.read_csv(path)
        runs = pd.concat([old[~old.notebook.isin(runs.notebook)], runs], ignore_index=True)
    order = {n: i for i, n in enumerate(notebooks())}
    runs = runs.sort_values('notebook', key=lambda s: s.map(order), kind='stable')
    runs.to_csv(path, index=False)


def write_plan(out: Path, names: list, failed: list) -> int:
    "Every notebook's plan.csv as one plan: each run once, the notebooks that need it, and the total."
    from occlusion_mim.runs import plan_table

    plans = []
    for n in names:
        f = out / n / 'plan.csv'
        if f.exists():
            d = pd.read_csv(f)
            plans.append(d[d.run != 'total'].assign(notebook=n))
    if not plans:
        print('no notebook planned a training run')
        return 1 if failed else 0
    allp = pd.concat(plans, ignore_index=True)
    by = allp.groupby('run', sort=False).notebook.agg(','.join)
    runs = allp.drop(columns='notebook').drop_duplicates('run').assign(notebooks=lambda d: d.run.map(by))
    table = plan_table(runs.to_dict('records'))
    table.to_csv(out / 'plan.csv', index=False)
    with pd.option_context('display.width', 200, 'display.max_columns', 20, 'display.max_rows', 500):
        print(table.drop(columns=['data']).to_string(index=False))
    print(
        f"{len(runs)} distinct training runs ({int(runs.cached.sum())} already cached); "
        f"plan in {out / 'plan.csv'}"
    )
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
