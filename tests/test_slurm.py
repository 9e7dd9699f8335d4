"""The SLURM launcher against a real (local, one-node) SLURM: a 2-task job is bitwise the 2-process torchrun
run, a job requeued or preempted mid-run ends bitwise the same, a training notebook runs with the SLURM
launcher, a rerun picks up a submitted job instead of submitting it twice, and bad input is named."""

import json, re, shutil, subprocess, sys, time
from pathlib import Path
import pandas as pd
import pytest
import torch

from test_train import weights

ROOT = Path(__file__).resolve().parents[1]
# a tiny pretraining: 60 generated images, 2 processes of 6 (5 optimiser steps an epoch), 4 epochs
RUN = ['pretrain', '--model', 'mae_vit_nano_patch8', '--data', 'shapes', '--n-per-class', '6']
RUN += ['--batch-size', '6', '--epochs', '4', '--blr', '1e-3', '--save-every', '2', '--log-every', '1']
RUN += ['--quiet', '--device', 'cpu', '--precision', 'fp32']
TWO_TASKS = 'slurm:tasks_per_node=2,cpus_per_task=1,time=10,poll=0.5'


def cli(args, out, check=True):
    "The `occlusion-mim` command (`occlusion_mim.slurm.main`) with `args` into run folder `out`."
    cmd = [sys.executable, '-m', 'occlusion_mim.slurm', *args, '--out', str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    if check:
        assert r.returncode == 0, r.stderr[-3000:]
    return r


def config(out):
    "`RUN` as a TrainConfig writing to `out`."
    from occlusion_mim.train import _parser, TrainConfig

    a = vars(_parser().parse_args([*RUN, '--out', str(out)]))
    a.pop('plugin')  # the command's own option (`--plugin MODULE`), not the run's
    return TrainConfig(**a)


@pytest.fixture(scope='module')
def torchrun_run(tmp_path_factory):
    "`RUN` on two processes in this machine (torchrun, gloo): the reference."
    out = tmp_path_factory.mktemp('torchrun') / 'run'
    r = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port', '29541']
        + ['-m', 'occlusion_mim.train', *RUN, '--out', str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    return out


def assert_same_run(a: Path, b: Path):
    "Bitwise the same weights, and the same losses at every step."
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    assert all(torch.equal(wa[k], wb[k]) for k in wa), [k for k in wa if not torch.equal(wa[k], wb[k])][:3]
    ma, mb = pd.read_csv(a / 'metrics.csv'), pd.read_csv(b / 'metrics.csv')
    ma, mb = (m.drop_duplicates('step', keep='last').set_index('step') for m in (ma, mb))
    assert list(ma.index) == list(mb.index) == list(range(1, 21))
    assert (ma.loss == mb.loss).all()


@pytest.mark.slow
def test_two_task_job_is_bitwise_the_torchrun_run(slurm, torchrun_run, tmp_path):
    out = tmp_path / 'run'
    r = cli([*RUN, '--slurm', TWO_TASKS.removeprefix('slurm:')], out)
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res['step'] == 20 and res['epochs'] == 4
    assert 'slurm job' in r.stdout and ': done' in r.stdout  # the progress lines
    assert json.loads((out / 'run.json').read_text())['params']['world_size'] == 2
    job = json.loads((out / 'slurm.json').read_text())['job_id']
    log = (out / 'slurm' / job / f'{job}_1_log.out').read_text()
    assert 'Starting with JobEnvironment(job_id=' in log and 'global_rank=1(2)' in log  # task 1: rank 1 of 2
    assert_same_run(torchrun_run, out)


def _restarts(job_id: str) -> int:
    r = subprocess.run(['scontrol', 'show', 'job', job_id], capture_output=True, text=True, check=True)
    return int(r.stdout.split('Restarts=')[1].split()[0])


@pytest.mark.slow
@pytest.mark.parametrize('how', ['requeue', 'preempt'])
def test_job_interrupted_mid_run_ends_bitwise_the_same(slurm, torchrun_run, tmp_path, monkeypatch, how):
    """`scontrol requeue` (no warning: the job resumes from its last checkpoint) or a preemption signal
    (`scancel --signal=USR2`: every process checkpoints after the same step, the job requeues itself) after
    step 3 of 20; the first attempt never finishes, the second resumes and ends as the uninterrupted run."""
    from occlusion_mim.slurm import submit_run, wait_for

    c = config(tmp_path / 'run')
    monkeypatch.setenv('OCCLUSION_MIM_FAULT', 'slow:500')  # the job's steps take 0.5 s more (same numbers)
    job = submit_run(c, TWO_TASKS)
    t = time.time()
    while time.time() - t < 300:
        m = tmp_path / 'run' / 'metrics.csv'
        if m.exists() and m.stat().st_size and pd.read_csv(m).step.max() >= 3:
            break
        time.sleep(0.05)
    cmd = (
        ['scontrol', 'requeue', job.job_id] if how == 'requeue' else ['scancel', '--signal=USR2', job.job_id]
    )
    subprocess.run(cmd, check=True)
    res = wait_for(job, c, poll=0.5, timeout=300)
    assert res['step'] == 20 and _restarts(job.job_id) == 1
    log = (tmp_path / 'run' / 'slurm' / job.job_id / f'{job.job_id}_0_log.out').read_text()
    assert log.count('Starting with JobEnvironment') == 2 and log.count('Job completed successfully') == 1
    if how == 'preempt':
        stop = re.search(r'stopped on request at step (\d+)', log)
        assert stop and 3 <= int(stop[1]) < 20 and 'saved; requeueing' in log
    assert_same_run(torchrun_run, tmp_path / 'run')


@pytest.mark.slow
def test_a_rerun_picks_up_the_submitted_job(slurm, tmp_path, capsys):
    """A notebook interrupted while its job runs leaves the job running; `run_cached` called again waits for
    that job (no second submission) and writes the cache entry."""
    import dataclasses
    from occlusion_mim.runs import run_cached, run_key
    from occlusion_mim.slurm import submit_run

    launcher = 'slurm:cpus_per_task=1,time=10,poll=0.5'
    c = dataclasses.replace(config(''), epochs=2)
    out = tmp_path / 'cache' / f"{c.mode}-{c.model}-{run_key(c)}"
    job = submit_run(dataclasses.replace(c, out=str(out)), launcher)  # then the notebook was interrupted
    run = run_cached(c, tmp_path / 'cache', launcher=launcher)
    said = capsys.readouterr().out
    assert f'slurm job {job.job_id} ({out.name}) was submitted before: waiting for it' in said
    assert run.path == out and run.result['step'] == 20 and (out / 'done.json').exists()
    assert [p.name for p in (out / 'slurm').iterdir() if p.is_dir()] == [job.job_id]  # one job only


@pytest.mark.slow
def test_a_failed_job_is_named_and_resubmitted(slurm, tmp_path, monkeypatch):
    """A run that fails inside its job (a NaN loss at step 2, injected through the environment the job
    inherits) raises with the job, its state and the error; the record is dropped, so the next call submits
    anew."""
    import dataclasses
    from occlusion_mim.slurm import run_on_slurm

    launcher = 'slurm:cpus_per_task=1,time=10,poll=0.5'
    monkeypatch.setenv('OCCLUSION_MIM_FAULT', 'nan:2')
    with pytest.raises(RuntimeError) as e:
        run_on_slurm(dataclasses.replace(config(tmp_path / 'run'), epochs=1), launcher, timeout=300)
    assert 'ended FAILED' in str(e.value) and 'non-finite' in str(e.value)
    assert not (tmp_path / 'run' / 'slurm.json').exists()


def test_bad_launcher_and_no_sbatch(tmp_path, monkeypatch):
    r = cli([*RUN, '--slurm', 'gpus=8'], tmp_path / 'run', check=False)
    assert r.returncode == 2 and "'gpus=8'" in r.stderr and 'Traceback' not in r.stderr, r.stderr[-2000:]
    from occlusion_mim.slurm import run_on_slurm

    monkeypatch.setattr(shutil, 'which', lambda *a, **k: None)
    with pytest.raises(FileNotFoundError, match='sbatch'):
        run_on_slurm(config(tmp_path / 'run'), 'slurm:nodes=1')
    assert not (tmp_path / 'run' / 'slurm.json').exists()


@pytest.mark.slow
def test_training_notebook_through_slurm(slurm, tmp_path):
    """tab_aug (one MAE pretraining and its fine-tuning) with the SLURM launcher: both runs are SLURM jobs
    (their run folders record the job), the notebook shows their progress lines and writes its table; run
    again, it takes both from the cache and submits nothing."""
    from test_experiments import TINY, run

    p = {**TINY['tab_aug.ipynb'], 'methods': 'mae', 'compositions': 'none', 'cache_dir': str(tmp_path / 'c')}
    p['occlusion_free'] = False  # one pretraining and its fine-tuning
    p['launcher'] = 'slurm:cpus_per_task=2,time=10,poll=1'
    out = run('tab_aug.ipynb', tmp_path / 'a', **p)
    runs = pd.read_csv(out / 'tab_aug.csv')
    assert len(runs) == 1 and runs.top1_n.iloc[0] == 200 and 0 <= runs.top1.iloc[0] <= 100
    folders = sorted(p for p in (tmp_path / 'c').iterdir() if p.name != '.claims')
    assert [f.name.split('-')[0] for f in folders] == ['finetune', 'pretrain']
    jobs = {json.loads((f / 'slurm.json').read_text())['job_id'] for f in folders}
    assert len(jobs) == 2 and all((f / 'done.json').exists() for f in folders)
    said = (tmp_path / 'a' / 'tab_aug.ipynb').read_text()
    assert all(f'slurm job {j} (' in said for j in jobs) and ': done' in said
    run('tab_aug.ipynb', tmp_path / 'b', **p)
    again = (tmp_path / 'b' / 'tab_aug.ipynb').read_text()
    assert 'slurm job' not in again and '2 training runs: 2 from the cache, 0 trained now' in again
    assert {json.loads((f / 'slurm.json').read_text())['job_id'] for f in folders} == jobs
