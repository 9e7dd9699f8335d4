"""The environment lock (`requirements.lock`, written by `scripts/lock`): it pins every requirement of
pyproject.toml, each pin inside its requirement, and the figures' manifests name its hash. CI also runs
`scripts/lock --check`, which re-resolves with uv and fails when the lock is not current."""

import hashlib
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def lock_pins(text: str) -> dict:
    pins = {}
    for line in text.splitlines():
        m = re.match(r'^([A-Za-z0-9_.\-]+)==([^\s;]+)', line)
        if m:
            pins[re.sub(r'[-_.]+', '-', m.group(1)).lower()] = m.group(2)
    return pins


def requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / 'pyproject.toml').read_text())['project']
    return [Requirement(r) for r in project['dependencies'] + project['optional-dependencies']['dev']]


def lock_problems(pins: dict) -> list[str]:
    "What is wrong with a lock's pins against pyproject.toml: each requirement missing or pinned outside it."
    out = []
    for r in requirements():
        name = re.sub(r'[-_.]+', '-', r.name).lower()
        if name not in pins:
            out.append(f'{r.name} (pyproject.toml) is not in requirements.lock')
        elif not r.specifier.contains(pins[name], prereleases=True):
            out.append(f'requirements.lock pins {r.name}=={pins[name]}, outside pyproject.toml\'s {r}')
    return out


def test_the_lock_pins_every_requirement_within_its_range():
    pins = lock_pins((ROOT / 'requirements.lock').read_text())
    assert len(pins) > 100, 'the lock pins the whole environment, not only the direct requirements'
    assert not lock_problems(pins), '; '.join(lock_problems(pins)) + ': run scripts/lock'


def test_the_check_names_a_requirement_the_lock_lacks_or_breaks():
    text = (ROOT / 'requirements.lock').read_text()
    pins = lock_pins(re.sub(r'(?m)^torch==.*\n', '', text).replace('\ntimm==', '\ntimm==0.9.'))
    problems = lock_problems(pins)
    assert len(problems) == 2, problems
    assert 'torch' in problems[0] and 'not in requirements.lock' in problems[0]
    assert 'timm==0.9.' in problems[1] and 'timm>=1.0' in problems[1]


def test_the_manifest_names_the_lock():
    from occlusion_mim.core import run_manifest

    want = hashlib.sha256((ROOT / 'requirements.lock').read_bytes()).hexdigest()
    assert run_manifest({})['lock_sha256'] == want


def test_environment_yml_mirrors_pyproject():
    "Conda users get the same requirements: environment.yml's pip list is pyproject.toml's, in order."
    listed = [
        line.strip()[2:]
        for line in (ROOT / 'environment.yml').read_text().splitlines()
        if line.startswith('      - ') and line.strip() != '- -e .'
    ]
    want = [str(r) for r in requirements()]
    assert [str(Requirement(x)) for x in listed] == want, set(map(str, map(Requirement, listed))) ^ set(want)
