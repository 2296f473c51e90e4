"""Copy benchmarks/README.md and its plots into the documentation (docs/benchmarks.md, docs/img/).

Usage: python benchmarks/publish.py

The benchmark results are written once, in benchmarks/README.md, with plots under
benchmarks/results/; the docs page is generated from them (tests/test_docs.py checks it is current).
"""

import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "benchmarks" / "README.md"
PAGE = ROOT / "docs" / "benchmarks.md"
IMAGES = ROOT / "docs" / "img"


def render():
    """The docs page: the README with image links into docs/img and code links to the repository."""
    text = README.read_text()
    text = re.sub(r"\]\(results/([\w.-]+\.png)\)", r"](img/\1)", text)
    return "<!-- Generated from benchmarks/README.md by benchmarks/publish.py: edit that file. -->\n\n" + text


def images():
    return sorted((ROOT / "benchmarks" / "results").glob("*.png"))


def main():
    IMAGES.mkdir(parents=True, exist_ok=True)
    for image in images():
        shutil.copy(image, IMAGES / image.name)
    PAGE.write_text(render())
    print(f"wrote {PAGE} and {len(images())} images")


if __name__ == "__main__":
    main()
