"""Build the HTML documentation without Quarto.

    python scripts/build_docs.py [--out _docs] [--executed outputs]

`nbdev-docs` needs Quarto, which cannot be installed everywhere (its pip package downloads a binary when it is
built). This script renders the same sources with `jupyter nbconvert`'s HTML exporter instead:

- every module notebook (nbs/NN_*.ipynb), with nbdev's `show_doc` entry for each exported function and class
  inserted after the cell that defines it (as nbdev-docs does), nbdev's `#|` directives removed;
- every experiment notebook (nbs/fig*.ipynb, nbs/tab_*.ipynb), executed: the copy `scripts/run_all.py` wrote
  to `--executed` (default outputs/) when there is one, else the source notebook with a note saying how to run
  it;
- an index page linking them, followed by the README.

Users with Quarto can still run `nbdev-docs`."""

import argparse, ast, copy, html, importlib, re, sys
from pathlib import Path
import nbformat
from nbformat.v4 import new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
SOURCE_LINK = re.compile(r'^\[source\]\(.*?\)\{.*?\}\s*$', re.M)


def _title(nb, default):
    for c in nb.cells:
        if c.cell_type == 'markdown':
            m = re.search(r'^#\s+(.+)$', c.source, re.M)
            if m:
                return m.group(1).strip()
    return default


def _summary(nb):
    for c in nb.cells:
        m = re.search(r'^>\s*(.+)$', c.source, re.M) if c.cell_type == 'markdown' else None
        if m:
            return m.group(1).strip()
    return ''


def _drop_frontmatter(nb):
    if (
        nb.cells
        and nb.cells[0].cell_type in ('markdown', 'raw')
        and nb.cells[0].source.lstrip().startswith('---')
    ):
        nb.cells = nb.cells[1:]
    return nb


def module_page(path: Path):
    "The module notebook with show_doc entries after each exported definition."
    from nbdev.showdoc import show_doc

    nb = _drop_frontmatter(nbformat.read(path, as_version=4))
    mod_name = next(
        (
            re.search(r'#\|\s*default_exp\s+(\S+)', c.source).group(1)
            for c in nb.cells
            if c.cell_type == 'code' and re.search(r'#\|\s*default_exp', c.source)
        ),
        None,
    )
    mod = importlib.import_module(f'occlusion_mim.{mod_name}') if mod_name else None
    public = set(getattr(mod, '__all__', [])) if mod else set()
    cells = []
    for c in nb.cells:
        if c.cell_type == 'code':
            exported = re.search(r'^#\|\s*export', c.source, re.M) is not None
            src = '\n'.join(l for l in c.source.splitlines() if not l.lstrip().startswith('#|')).strip()
            if not src:
                continue
            c = copy.deepcopy(c)
            c.source = src
            cells.append(c)
            if exported and mod is not None:
                try:
                    tree = ast.parse(src)
                except SyntaxError:
                    continue
                for node in tree.body:
                    if (
                        isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                        and node.name in public
                    ):
                        md = SOURCE_LINK.sub('', show_doc(getattr(mod, node.name))._repr_markdown_())
                        cells.append(new_markdown_cell(md))
        else:
            cells.append(c)
    nb.cells = cells
    return nb, mod_name


def render(nb, dest: Path, title: str):
    from nbconvert import HTMLExporter

    ex = HTMLExporter(template_name='lab')
    body, _ = ex.from_notebook_node(nb, resources={'metadata': {'name': title}})
    dest.write_text(body, encoding='utf-8')


def build(out=ROOT / '_docs', executed=ROOT / 'outputs') -> list[Path]:
    out, executed = Path(out), Path(executed)
    out.mkdir(parents=True, exist_ok=True)
    pages, modules, figures = [], [], []
    for p in sorted((ROOT / 'nbs').glob('[0-9][0-9]_*.ipynb')):
        nb, mod = module_page(p)
        title = _title(nb, p.stem)
        render(nb, out / f'{p.stem}.html', title)
        modules.append((p.stem, f"occlusion_mim.{mod}" if mod else title, _summary(nb)))
        pages.append(out / f'{p.stem}.html')
    for p in sorted((ROOT / 'nbs').glob('*.ipynb')):
        if not p.name.startswith(('fig', 'tab_')):
            continue
        ran = executed / p.name
        nb = _drop_frontmatter(nbformat.read(ran if ran.exists() else p, as_version=4))
        if not ran.exists():
            nb.cells.insert(
                0,
                new_markdown_cell(
                    f"*Not executed yet: `python scripts/run_all.py --only {p.stem}` (or `papermill "
                    f"nbs/{p.name} outputs/{p.name}`) "
                    f"writes the executed notebook that this page shows.*"
                ),
            )
        title = _title(nb, p.stem)
        render(nb, out / f'{p.stem}.html', title)
        figures.append((p.stem, title, ran.exists()))
        pages.append(out / f'{p.stem}.html')
    lines = ['# occlusion_mim documentation', '', '## Modules', '']
    lines += [f"- [{name}]({stem}.html) — {summary}" for stem, name, summary in modules]
    lines += ['', '## Experiments', '']
    lines += [
        f"- [{title}]({stem}.html)" + ('' if ok else ' (not executed yet)') for stem, title, ok in figures
    ]
    readme = (ROOT / 'README.md').read_text(encoding='utf-8') if (ROOT / 'README.md').exists() else ''
    readme = re.sub(r'\]\(docs/gallery/', '](../docs/gallery/', readme)
    index = new_notebook(cells=[new_markdown_cell('\n'.join(lines)), new_markdown_cell('---\n\n' + readme)])
    render(index, out / 'index.html', 'occlusion_mim')
    return [out / 'index.html'] + pages


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default=str(ROOT / '_docs'))
    p.add_argument('--executed', default=str(ROOT / 'outputs'))
    a = p.parse_args(argv)
    pages = build(a.out, a.executed)
    print(f"wrote {len(pages)} pages to {a.out} (open {Path(a.out) / 'index.html'})")
    return 0


if __name__ == '__main__':
    sys.exit(main())
