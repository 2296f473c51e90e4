"""Every Python example in docs/ runs as written."""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(DOCS.glob("*.md"))


def test_docs_have_pages():
    assert {"index.md", "pu-setting.md", "adversarial.md", "api.md"} <= {p.name for p in PAGES}


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_docs_python_examples_run(page):
    for block in re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S):
        exec(compile(block, str(page), "exec"), {})


def test_benchmarks_page_is_generated_from_the_benchmarks_readme():
    import importlib.util

    spec = importlib.util.spec_from_file_location("publish", DOCS.parent / "benchmarks" / "publish.py")
    publish = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(publish)
    assert (DOCS / "benchmarks.md").read_text() == publish.render(), "run python benchmarks/publish.py"
    for image in publish.images():
        assert (DOCS / "img" / image.name).read_bytes() == image.read_bytes()
