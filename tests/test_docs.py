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


def _product_modules(packages=False):
    """Every module of the package except the private ones and the 0.1.0 import paths."""
    import importlib
    import pkgutil

    import pu_detect

    for info in pkgutil.walk_packages(pu_detect.__path__, "pu_detect."):
        module = importlib.import_module(info.name)
        if (info.ispkg and not packages) or any(part.startswith("_") for part in info.name.split(".")):
            continue
        if (module.__doc__ or "").startswith("The 0.1.0 import path"):
            continue
        yield module


def test_api_reference_lists_every_public_module():
    listed = set(re.findall(r"^::: ([\w.]+)$", (DOCS / "api.md").read_text(), flags=re.M))
    missing = sorted(m.__name__ for m in _product_modules() if m.__name__ not in listed)
    assert not missing, f"add these modules to docs/api.md: {missing}"
    assert "pu_detect.metrics" in listed
    from pu_detect import metrics

    source = Path(metrics.__file__).read_text()
    assert re.search(r"^pu_roc_auc_scorer = .*\n\"\"\"", source, flags=re.M), "the scorer has a docstring"


def test_docstrings_have_no_sphinx_roles():
    """mkdocstrings renders Markdown: a Sphinx role (:class:`X`) would show as raw text."""
    import inspect

    role = re.compile(r":(func|class|mod|meth|data|attr|obj|exc):`")
    offenders = []
    for module in _product_modules(packages=True):
        texts = [module.__doc__ or ""] + [inspect.getdoc(obj) or "" for _, obj in inspect.getmembers(module)
                                          if getattr(obj, "__module__", None) == module.__name__]
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__:
                texts += [getattr(member, "__doc__", None) or "" for name, member in vars(cls).items()
                          if not name.startswith("_") or name == "__init__"]  # own docstrings, not inherited
        offenders += [module.__name__ for text in texts if role.search(text)]
    assert not offenders, sorted(set(offenders))


WORKSPACE = re.compile(r"\.\./shared|DESIGN(\.md)?\b|[Pp]rotocols? 5\.\d")


def test_the_product_points_at_nothing_outside_the_repository():
    root = DOCS.parent
    files = [*root.glob("pu_detect/**/*.py"), *root.glob("docs/*.md"), *root.glob("benchmarks/*.py"),
             root / "README.md", root / "benchmarks" / "README.md"]
    offenders = [str(p.relative_to(root)) for p in files if WORKSPACE.search(p.read_text())]
    assert not offenders, offenders
