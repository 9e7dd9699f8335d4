"""A one-node SLURM cluster on this machine, for the tests and for trying the SLURM launcher.

As root, with Debian's `slurm-wlm` and `munge` installed (`apt-get install slurm-wlm munge`):

    python scripts/local_slurm.py start /tmp/slurm   # prints `export SLURM_CONF=...`
    python scripts/local_slurm.py stop /tmp/slurm    # stops the daemons that `start` started

Everything lives in the given folder: a generated `slurm.conf` (proctrack/linuxproc, task/none,
select/cons_tres, this machine's CPUs and memory as one node, requeue allowed, a requeued job eligible
again after 11 s rather than SLURM's default 121), a fresh munge key and socket,
state, spool, logs and pid files. Nothing under /etc is read or written, and `stop` signals only the
processes whose pids `start` recorded, so a cluster already running on the machine is left alone.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

DAEMONS = ('munged', 'slurmctld', 'slurmd')


def missing() -> list[str]:
    "The programs a local cluster needs that are not on the PATH (sbin included)."
    path = os.environ.get('PATH', '') + ':/usr/sbin:/sbin'
    progs = (*DAEMONS, 'sbatch', 'squeue', 'scontrol', 'srun')
    return [p for p in progs if shutil.which(p, path=path) is None]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _mem_mb() -> int:
    for line in Path('/proc/meminfo').read_text().splitlines():
        if line.startswith('MemTotal:'):
            return int(line.split()[1]) // 1024 - 512
    return 1024


def write_conf(root: Path, cpus: int | None = None) -> Path:
    "Write `slurm.conf` for a one-node cluster under `root`; its path."
    host = socket.gethostname().split('.')[0]
    cpus = cpus or os.cpu_count()
    lines = [
        'ClusterName=occlusionmim',
        f'SlurmctldHost={host}(127.0.0.1)',
        'SlurmUser=root',
        'SlurmdUser=root',
        f'SlurmctldPort={_free_port()}',
        f'SlurmdPort={_free_port()}',
        'AuthType=auth/munge',
        'CredType=cred/munge',
        f'AuthInfo=socket={root / "munge.socket"},cred_expire=10',  # a requeued job may start 11 s later
        f'StateSaveLocation={root / "state"}',
        f'SlurmdSpoolDir={root / "spool"}',
        f'SlurmctldPidFile={root / "slurmctld.pid"}',
        f'SlurmdPidFile={root / "slurmd.pid"}',
        f'SlurmctldLogFile={root / "slurmctld.log"}',
        f'SlurmdLogFile={root / "slurmd.log"}',
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'SelectType=select/cons_tres',
        'SelectTypeParameters=CR_CPU',
        'MpiDefault=none',
        'JobRequeue=1',
        'ReturnToService=2',
        'AccountingStorageType=accounting_storage/none',
        'JobAcctGatherType=jobacct_gather/none',
        'JobCompType=jobcomp/none',
        'SchedulerType=sched/backfill',
        'SchedulerParameters=sched_interval=2,bf_interval=2',  # a requeued job starts as soon as it may
        'SlurmctldTimeout=30',
        'SlurmdTimeout=30',
        'KillWait=5',
        'MinJobAge=300',
        f'NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={_mem_mb()} State=UNKNOWN',
        'PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
    ]
    conf = root / 'slurm.conf'
    conf.write_text('\n'.join(lines) + '\n')
    return conf


def _pid(path: Path, timeout: float = 20) -> int:
    t = time.time()
    while time.time() - t < timeout:
        if path.exists() and path.read_text().strip():
            return int(path.read_text().split()[0])
        time.sleep(0.1)
    raise RuntimeError(f"{path} was not written within {timeout} s")


def _wait_node_idle(env: dict, timeout: float = 60) -> None:
    t = time.time()
    out = ''
    while time.time() - t < timeout:
        r = subprocess.run(['sinfo', '-h', '-o', '%t'], env=env, capture_output=True, text=True, check=False)
        out = r.stdout.strip() + r.stderr.strip()
        if r.returncode == 0 and out.startswith('idle'):
            return
        time.sleep(0.3)
    raise RuntimeError(f"the local SLURM node did not become idle within {timeout} s (sinfo: {out!r})")


def start(root, cpus: int | None = None) -> dict:
    """Start munged, slurmctld and slurmd under `root` (as root); the environment for clients
    (`SLURM_CONF`). The pids started are written to `root / 'pids'`."""
    if os.geteuid() != 0:
        raise PermissionError("a local SLURM cluster starts as root (its daemons run as root here)")
    if miss := missing():
        raise FileNotFoundError(f"not installed: {', '.join(miss)} (apt-get install slurm-wlm munge)")
    root = Path(root).resolve()
    for d in ('state', 'spool'):
        (root / d).mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    key = root / 'munge.key'
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    conf = write_conf(root, cpus)
    env = dict(os.environ, SLURM_CONF=str(conf), PATH=os.environ.get('PATH', '') + ':/usr/sbin:/sbin')
    pids = []
    try:
        munge = [
            'munged',
            '--force',
            f'--socket={root / "munge.socket"}',
            f'--key-file={key}',
            f'--pid-file={root / "munged.pid"}',
            f'--log-file={root / "munged.log"}',
            f'--seed-file={root / "munged.seed"}',
        ]
        subprocess.run(munge, env=env, check=True, capture_output=True)
        pids.append(_pid(root / 'munged.pid'))
        subprocess.run(['slurmctld', '-c', '-f', str(conf)], env=env, check=True, capture_output=True)
        pids.append(_pid(root / 'slurmctld.pid'))
        subprocess.run(['slurmd', '-f', str(conf)], env=env, check=True, capture_output=True)
        pids.append(_pid(root / 'slurmd.pid'))
        _wait_node_idle(env)
    except BaseException:
        _kill(pids)
        raise
    finally:
        (root / 'pids').write_text(' '.join(map(str, pids)))
    return dict(SLURM_CONF=str(conf))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _kill(pids: list[int], timeout: float = 15) -> None:
    for pid in reversed(pids):  # slurmd, slurmctld, then munged
        if _alive(pid):
            os.kill(pid, signal.SIGTERM)
        t = time.time()
        while _alive(pid) and time.time() - t < timeout:
            time.sleep(0.1)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def _step_daemons(conf: Path) -> list[int]:
    "The slurmstepd processes of the cluster whose configuration is `conf` (from their environment)."
    pids = []
    for d in Path('/proc').iterdir():
        try:
            if d.name.isdigit() and (d / 'comm').read_text().strip() == 'slurmstepd':
                if f'SLURM_CONF={conf}'.encode() in (d / 'environ').read_bytes().split(b'\0'):
                    pids.append(int(d.name))
        except OSError:
            continue
    return pids


def stop(root, drain: float = 15) -> None:
    """Stop exactly what `start(root)` started: wait up to `drain` seconds for its jobs to end, stop its
    daemons (their pids from `root / 'pids'`), then any job-step daemon (slurmstepd) of this cluster that
    outlived them."""
    root = Path(root).resolve()
    f, conf = root / 'pids', root / 'slurm.conf'
    if not f.exists():
        return
    env = dict(os.environ, SLURM_CONF=str(conf), PATH=os.environ.get('PATH', '') + ':/usr/sbin:/sbin')
    t = time.time()
    while time.time() - t < drain:
        r = subprocess.run(['squeue', '-h', '-o', '%i'], env=env, capture_output=True, text=True, check=False)
        if r.returncode or not r.stdout.strip():
            break
        time.sleep(0.5)
    _kill([int(p) for p in f.read_text().split()])
    _kill(_step_daemons(conf), timeout=5)
    f.unlink()


if __name__ == '__main__':
    if len(sys.argv) != 3 or sys.argv[1] not in ('start', 'stop'):
        sys.exit(f"usage: {sys.argv[0]} start|stop FOLDER")
    if sys.argv[1] == 'start':
        env = start(sys.argv[2])
        print(f"export SLURM_CONF={env['SLURM_CONF']}")
    else:
        stop(sys.argv[2])
