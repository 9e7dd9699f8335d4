"""The documentation builds without Quarto (scripts/build_docs.py): a page for each module and each experiment
notebook, with nbdev's show_doc entries for the exported API, and an index linking them."""

import importlib.util, re
import pytest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_builder():
    spec = importlib.util.spec_from_file_location('build_docs', ROOT / 'scripts' / 'build_docs.py')
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


@pytest.mark.slow  # builds the whole site: every notebook rendered
def test_docs_build_without_quarto(tmp_path):
    pages = load_builder().build(tmp_path / 'docs', executed=tmp_path / 'not-run')
    names = {p.name for p in pages}
    modules = [p.stem for p in (ROOT / 'nbs').glob('[0-9][0-9]_*.ipynb')]
    figures = [p.stem for p in (ROOT / 'nbs').glob('*.ipynb') if p.name.startswith(('fig', 'tab_'))]
    assert modules and figures
    for stem in modules + figures + ['index']:
        assert f'{stem}.html' in names and (tmp_path / 'docs' / f'{stem}.html').stat().st_size > 10_000, stem
    index = (tmp_path / 'docs' / 'index.html').read_text()
    for stem in modules + figures:
        assert f'href="{stem}.html"' in index, stem
    cka = (tmp_path / 'docs' / '07_cka.html').read_text()
    text = re.sub(r'<[^>]+>', '', cka)
    assert (
        re.search(r'<h3 id="linear_cka"', cka) and 'debiased:bool=False' in text
    )  # show_doc entry with the signature
    assert '#| export' not in cka  # nbdev directives are not shown
    assert 'Not executed yet' in (tmp_path / 'docs' / 'fig3.html').read_text()


def test_paper_recipe_table_is_current():
    "docs/paper_recipes.md is the recipe table of the code as it is (regenerate it when a recipe changes)."
    from occlusion_mim.presets import recipe_markdown

    said = (ROOT / 'docs' / 'paper_recipes.md').read_text()
    assert said == recipe_markdown(), (
        "docs/paper_recipes.md is stale: python -c \"from occlusion_mim.presets import recipe_markdown; "
        "open('docs/paper_recipes.md', 'w').write(recipe_markdown())\""
    )
