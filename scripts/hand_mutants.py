"""The one-line changes of the science that issue 14 found passing every test, applied one at a time to a
scratch copy of the repository, each with the tests that should now fail (tests/MUTATION.md).

A mutation tool cannot see everything: the resume and two-process tests run the trainer in subprocesses, which
mutmut's per-test coverage does not follow. These mutants are run by hand instead, each against the test
written for it:

    python scripts/hand_mutants.py            # about 2 minutes on 2 cores; prints a Markdown table

A mutant whose tests pass is reported as `SURVIVED` and the script exits with status 1."""

import shutil, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESUME_FT = 'tests/test_faults.py::test_resume_mid_epoch_is_exact[finetune, drop path, mixup, cutmix]'

# (what the change does, file, the line as written, the line mutated, tests that must fail)
MUTANTS = [
    (
        "shape bias: a category's probability is the max, not the mean, of its classes'",
        'occlusion_mim/shape_bias.py',
        'return torch.stack([p[:, space[c]].mean(1) for c in cats], dim=1), cats',
        'return torch.stack([p[:, space[c]].amax(1) for c in cats], dim=1), cats',
        ['tests/test_cells_on_package.py::test_notebook_tests_pass_on_the_package[08_shape_bias]'],
    ),
    # Every draw from the global generators in a step (drop path, mixup / cutmix) comes after `seed_step`
    # re-seeds them from (seed, step, process, micro-batch); the data draw from per-image seeds. So removing
    # the restore of the saved generator states on resume (`set_rng_state(ck['rng'])` -> `pass`) changes
    # nothing: an equivalent mutant (checked by hand, tests/MUTATION.md); removing the re-seeding must fail.
    (
        'the global generators not re-seeded each step (mixup / cutmix, drop path)',
        'occlusion_mim/train.py',
        "seed_everything(stream_seed(s.c.seed, 'step', s.step, s.rank, micro))",
        'return',
        [RESUME_FT],
    ),
    (
        'layer-wise lr decay never applied',
        'occlusion_mim/train.py',
        "if c.mode == 'finetune' and c.layer_decay < 1:",
        'if False:',
        ['tests/test_train.py::test_layer_decay_scales_each_blocks_first_step'],
    ),
    (
        'the trainer drops --source-aug',
        'occlusion_mim/train.py',
        'source_aug=c.source_aug,',
        "source_aug='none',",
        ['tests/test_views.py'],
    ),
    (
        "InfoNCE's positives ignore the process rank",
        'occlusion_mim/models.py',
        'labels = torch.arange(q.shape[0], device=q.device) + q.shape[0] * rank',
        'labels = torch.arange(q.shape[0], device=q.device)',
        ['tests/test_train.py::test_info_nce_over_two_processes_is_the_one_process_loss'],
    ),
    (
        "R-MAE's target tokens not layer-normalised",
        'occlusion_mim/models.py',
        'return F.layer_norm(z[:, 1:], z.shape[-1:], eps=1e-6)  # [N, L, D]',
        'return z[:, 1:]',
        ['tests/test_views.py::test_r_mae_targets_are_layer_normalised_tokens'],
    ),
    (
        "MoCo v3's two views identical",
        'occlusion_mim/models.py',
        'return [Views(v1, v2), Views(v2, v1)]',
        'return [Views(v1, v1), Views(v1, v1)]',
        ['tests/test_views.py'],
    ),
    (
        'a claim is supported when any (not every) condition is',
        'occlusion_mim/claims.py',
        "return 'supported' if verdicts and all(v == 'supported' for v in verdicts) else 'inconclusive'",
        "return 'supported' if verdicts and any(v == 'supported' for v in verdicts) else 'inconclusive'",
        ['tests/test_claims.py'],
    ),
    (
        "C5's 'MAE, R-MAE below MoCo v3 and C-MAE' checks MAE only",
        'occlusion_mim/claims.py',
        "for x in ('mae', 'r_mae') for y in ('mocov3', 'c_mae')]",
        "for x in ('mae',) for y in ('mocov3', 'c_mae')]",
        ['tests/test_claims.py'],
    ),
    # the two-process cache test runs run_cached in subprocesses, out of mutmut's reach (issue 29's race)
    (
        'a process asking the cache for a run does not claim its entry',
        'occlusion_mim/runs.py',
        'claim = claim_entry(out)  # held until done.json is written',
        'claim = open(os.devnull)',
        ['tests/test_shared_cache.py::test_two_processes_asking_for_one_run_train_it_once'],
    ),
]


def copy_repo(dst: Path):
    files = subprocess.run(['git', 'ls-files'], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for f in files.split():
        (dst / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, dst / f)


def main() -> int:
    rows, survived = [], 0
    for what, path, line, mutated, tests in MUTANTS:
        with tempfile.TemporaryDirectory(prefix='hand-mutant-') as d:
            d = Path(d)
            copy_repo(d)
            src = (d / path).read_text()
            if src.count(line) != 1:
                sys.exit(f'{path}: expected the line {line!r} once, found it {src.count(line)} times')
            (d / path).write_text(src.replace(line, mutated))
            t0 = time.time()
            # run from the copy: `python -m` puts it first on sys.path, so its package is the one used
            r = subprocess.run(
                [sys.executable, '-m', 'pytest', '-x', '-q', '-p', 'no:cacheprovider', *tests],
                cwd=d,
                capture_output=True,
                text=True,
            )
            killed = r.returncode == 1
            if r.returncode not in (0, 1):
                sys.exit(
                    f'{what}: pytest could not run ({r.returncode}):\n{r.stdout[-2000:]}{r.stderr[-2000:]}'
                )
            survived += not killed
            rows.append(
                f"| {what} | `{path}` | {'killed' if killed else 'SURVIVED'} | {time.time() - t0:.0f} s |"
            )
            print(rows[-1], flush=True)
    print('\n| mutant | file | result | time |\n| --- | --- | --- | --- |\n' + '\n'.join(rows))
    return 1 if survived else 0


if __name__ == '__main__':
    sys.exit(main())
