"""Summarise a `mutmut run` (mutmut 3) as the table in tests/MUTATION.md: per function, mutants killed and
surviving, each survivor classed as a docstring change (equivalent: no code reads it), an error message's
text, or logic (a real gap), with its diff line.

    mutmut run --max-children 2 && python scripts/mutation_report.py > /tmp/mutation.md
    python scripts/mutation_report.py 'occlusion_mim.cka.*' 'occlusion_mim.claims.x_claim*'   # some only

Mutants not yet run ("not checked") are left out; a timeout counts as killed (the test run noticed), a
mutant no test reaches ("no tests") as survived."""

import fnmatch, re, subprocess, sys
from collections import Counter, defaultdict


def mutmut(*args) -> str:
    return subprocess.run(['mutmut', *args], capture_output=True, text=True, check=False).stdout


def diff_lines(name: str) -> tuple[list[str], list[str]]:
    out = mutmut('show', name).splitlines()
    minus = [ln[1:].strip() for ln in out if ln.startswith('-') and not ln.startswith('---')]
    plus = [ln[1:].strip() for ln in out if ln.startswith('+') and not ln.startswith('+++')]
    return minus, plus


def kind(minus: list[str], plus: list[str]) -> str:
    if len(minus) == 1 and re.fullmatch(r'[rf]?"[^"]*"|[rf]?\'[^\']*\'', minus[0]):
        return 'docstring'
    if any(re.search(r'raise \w+\(|warn\(|print\(|f"|\'[^\']*\'\)|"\)', m) for m in minus) and all(
        'raise' in m or 'warn' in m or '"' in m or "'" in m for m in minus
    ):
        return 'message'
    return 'logic'


def main(patterns=()):
    status = defaultdict(Counter)
    survivors = []
    for line in mutmut('results', '--all', 'true').splitlines():
        m = re.match(r'\s*(\S+)__mutmut_(\d+): (.+)$', line)
        full = m and f'{m.group(1)}__mutmut_{m.group(2)}'
        if not m or (patterns and not any(fnmatch.fnmatch(full, p) for p in patterns)):
            continue
        func, st = m.group(1), m.group(3).strip()
        st = {'timeout': 'killed', 'no tests': 'survived'}.get(st, st)
        if st == 'not checked':
            continue
        status[func][st] += 1
        if st == 'survived':
            survivors.append(f'{func}__mutmut_{m.group(2)}')
    by_kind = Counter()
    rows = []
    for s in survivors:
        minus, plus = diff_lines(s)
        k = kind(minus, plus)
        by_kind[k] += 1
        rows.append((s, k, minus[:1], plus[:1]))
    total = max(sum(sum(c.values()) for c in status.values()), 1)
    killed = sum(c['killed'] for c in status.values())
    eq = by_kind['docstring']
    print(
        f'mutants {total}, killed {killed}, survived {len(survivors)} '
        f'(docstring {eq}, message {by_kind["message"]}, logic {by_kind["logic"]})'
    )
    print(
        f'score: {100 * killed / total:.1f}% of all; {100 * killed / max(total - eq, 1):.1f}% without the '
        f'docstring mutants; {100 * killed / max(killed + by_kind["logic"], 1):.1f}% of the code mutants '
        '(messages left out)'
    )
    print('\n| function | killed | survived | other |\n| --- | --- | --- | --- |')
    for f, c in status.items():
        other = sum(v for k, v in c.items() if k not in ('killed', 'survived'))
        name = '.'.join(f.split('.')[1:]).replace('.x_', '.').replace('.xǁ', '.').replace('ǁ', '.')
        print(f"| `{name}` | {c['killed']} | {c['survived']} | {other} |")
    print('\n| survivor | kind | line | mutated to |\n| --- | --- | --- | --- |')
    for s, k, a, b in rows:
        if k != 'docstring':
            print(f"| `{s.split('.')[-1]}` | {k} | `{(a or [''])[0][:70]}` | `{(b or [''])[0][:70]}` |")


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
