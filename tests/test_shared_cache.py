"""A run cache two notebooks (or two people) share: a process asking for a run another is training waits for
it, says so, then takes it from the cache; if the holder dies first, the waiter resumes the run. A file system
without locks is one clear error."""

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from occlusion_mim.runs import cache_root, run_key
from occlusion_mim.checkpoints import RunFolderError, lock_run_folder, run_folder_holder
from occlusion_mim.train import TrainConfig

CONFIG = dict(
    mode='pretrain', model='mae_vit_nano_patch8', data='shapes', n_per_class=40, batch_size=16, save_every=5
)
ASK = """
import json, sys
from occlusion_mim.train import TrainConfig
from occlusion_mim.runs import run_cached, TRAINED_NOW
import occlusion_mim.runs as runs
runs.WAIT_POLL = 0.2
if sys.argv[3:] == ['slow-finish']:  # the run marked done 3 s after training (a busy disk, a slow git)
    import time
    _git = runs.git_revision
    runs.git_revision = lambda: time.sleep(3) or _git()
if sys.argv[3:] == ['hang-after-2-saves']:  # the holder stalls after its second checkpoint until killed
    import time
    import occlusion_mim.train as train
    _checkpoint, _n = train.checkpoint, [0]

    def _hang(s, step_in_epoch):
        _checkpoint(s, step_in_epoch)
        _n[0] += 1
        while _n[0] >= 2:
            time.sleep(1)

    train.checkpoint = _hang
r = run_cached(TrainConfig(**json.loads(sys.argv[2])), cache=sys.argv[1])
print('RESULT', json.dumps(dict(path=str(r.path), trained=TRAINED_NOW[r.path.name], step=r.result['step'])))
"""


def ask(cache: Path, *flags, **over) -> subprocess.Popen:
    "A process asking the cache for the run (its own Python, as a second notebook would be)."
    cfg = json.dumps({**CONFIG, **over})
    return subprocess.Popen(
        [sys.executable, '-c', ASK, str(cache), cfg, *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def folder(cache: Path, **over) -> Path:
    c = TrainConfig(**{**CONFIG, **over})
    return cache_root(cache) / f"{c.mode}-{c.model}-{run_key(c)}"


def wait_until(cond, timeout=120, what=''):
    t = time.monotonic()
    while not cond():
        assert time.monotonic() - t < timeout, f'timed out waiting for {what}'
        time.sleep(0.05)


def result(p: subprocess.Popen, timeout=300) -> tuple[dict, str]:
    out, _ = p.communicate(timeout=timeout)
    out = ''.join(_seen.get(p.pid, [])) + out  # with what `_said` read already
    assert p.returncode == 0, out[-3000:]
    line = next(ln for ln in out.splitlines() if ln.startswith('RESULT '))
    return json.loads(line[len('RESULT ') :]), out


@pytest.mark.slow
def test_two_processes_asking_for_one_run_train_it_once(tmp_path):
    """The first process marks the run done 3 s after its training ends (and its lock on the run folder is
    released): the second, looking every 0.2 s, still waits for it (the first claims the cache entry until
    done.json is written) rather than finding the run neither held nor done and training it again."""
    out = folder(tmp_path, epochs=12)
    a = ask(tmp_path, 'slow-finish', epochs=12)
    wait_until(lambda: run_folder_holder(out) is not None, what='the first process to start training')
    b = ask(tmp_path, epochs=12)
    ra, _ = result(a)
    rb, said = result(b)
    assert ra['path'] == rb['path'] == str(out)
    assert (ra['trained'], rb['trained']) == (True, False)  # trained once, by the first; the second waited
    assert f'waiting for {out.name}: process {a.pid} is training it' in said, said
    m = pd.read_csv(out / 'metrics.csv')
    assert m.step.is_monotonic_increasing and ra['step'] == rb['step'] == int(m.step.max())


@pytest.mark.slow
def test_a_waiter_resumes_the_run_of_a_killed_holder(tmp_path):
    """The holder stalls after its second checkpoint (so it cannot finish first however fast the machine), the
    waiter says it waits, the holder is killed: the waiter takes the run over from that checkpoint."""
    over = dict(epochs=16)
    out = folder(tmp_path, **over)
    a = ask(tmp_path, 'hang-after-2-saves', **over)

    def saved_twice():
        try:
            return len(json.loads((out / 'checkpoint.pt.sha256').read_text())['sha256']) == 2
        except (OSError, ValueError, KeyError):
            return False

    wait_until(saved_twice, what='two checkpoints of the first process')
    b = ask(tmp_path, **over)
    wait_until(lambda: b.poll() is not None or _said(b), timeout=60, what='the second process to wait')
    os.kill(a.pid, signal.SIGKILL)  # the holder dies (a node lost, a notebook killed)
    a.wait()
    import torch

    at_kill = torch.load(out / 'checkpoint.pt', weights_only=True)['step']
    before = pd.read_csv(out / 'metrics.csv')
    before = before[before.step <= at_kill]
    rb, said = result(b)
    assert rb['trained'] is True and 'waiting for' in said
    m = pd.read_csv(out / 'metrics.csv')
    # the rows up to the killed holder's last checkpoint are its own (images/s measured then: a run trained
    # from scratch would have measured other speeds), and the waiter went on from there to the end
    pd.testing.assert_frame_equal(m[m.step <= at_kill].reset_index(drop=True), before.reset_index(drop=True))
    assert at_kill > 0 and int(m.step.max()) == rb['step'] > at_kill
    assert (out / 'done.json').exists()


_seen: dict = {}


def _said(p: subprocess.Popen) -> bool:
    "Whether `p` has printed that it waits (reads its output without blocking, keeping what was read)."
    import select

    buf = _seen.setdefault(p.pid, [])
    while select.select([p.stdout], [], [], 0)[0]:
        line = p.stdout.readline()
        if not line:
            break
        buf.append(line)
        if 'waiting for' in line:
            return True
    return any('waiting for' in ln for ln in buf)


def test_a_file_system_without_locks_is_one_clear_error(tmp_path, monkeypatch):
    import fcntl

    def no_locks(f, op):
        raise OSError(errno.ENOLCK, 'No locks available')

    monkeypatch.setattr(fcntl, 'flock', no_locks)
    with pytest.raises(RunFolderError, match=r'cannot lock run folder .*run.*does not support file locks'):
        lock_run_folder(tmp_path / 'run')
    (tmp_path / 'run' / '.lock').touch()
    with pytest.raises(RunFolderError, match='OCCLUSION_MIM_CACHE'):
        run_folder_holder(tmp_path / 'run')
