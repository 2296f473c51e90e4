"""The package's layout: one dependency direction, small modules, the 0.1.0 import paths."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pu_detect"
#: What each subpackage may import from the others (besides itself).
ALLOWED = {
    "utils": set(),
    "engine": {"utils"},
    "losses": {"utils"},
    "networks": {"utils"},
    "attacks": {"losses", "networks", "engine", "utils"},
    "classifiers": {"attacks", "losses", "networks", "engine", "utils", "persistence"},
    "anomaly": {"losses", "networks", "engine", "utils", "persistence", "metrics"},
    "adversarial": {"classifiers", "attacks", "losses", "networks", "engine", "utils", "persistence"},
    "bench": {"anomaly", "datasets", "utils"},
}


def _imports(path):
    """The pu_detect subpackages or modules that ``path`` imports at module level (relative imports resolved).

    Imports inside functions are left out on purpose: the two there are
    ``utils.discovery`` (which walks every family to find the estimators)
    and the 0.1.0 path ``pu_detect.attacks.kdensity_cw`` (resolved on first
    use, so that importing the attacks loads no detector).
    """
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    found = set()
    tree = ast.parse(path.read_text())
    top_level = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    for node in top_level:
        if isinstance(node, ast.ImportFrom) and node.level:
            base = parts[: len(parts) - node.level]
            target = (*base, *(node.module.split(".") if node.module else ()))
            names = [alias.name for alias in node.names] if not node.module else [None]
            for name in names:
                full = target + ((name,) if name else ())
                if len(full) > 1:
                    found.add(full[1])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pu_detect."):
            found.add(node.module.split(".")[1])
    return found


@pytest.mark.parametrize("subpackage", sorted(ALLOWED))
def test_dependencies_run_one_way(subpackage):
    for path in (PACKAGE / subpackage).glob("*.py"):
        outside = _imports(path) - {subpackage} - ALLOWED[subpackage] - {"__version__"}
        assert not outside, f"{path.relative_to(PACKAGE)} imports {sorted(outside)}"


def test_attacks_never_import_a_detector_or_an_estimator_class():
    for path in (PACKAGE / "attacks").glob("*.py"):
        assert not _imports(path) & {"adversarial", "anomaly", "classifiers"}, path.name


def test_no_module_over_about_350_lines_400_at_most():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 400}
    assert not long, long


def test_the_0_1_0_import_paths_still_work():
    from pu_detect import (ABC, Autoencoder, ConfidenceDetector, DeepSAD, DeepSVDD, KDensityDetector,  # noqa: F401
                           NonMEDetector, PUAutoencoder, PUDeepSVDD, RCEClassifier)
    from pu_detect.adversarial import RCEClassifier as Old, class_indices, torch_classifier  # noqa: F401
    from pu_detect.attacks import (bim, carlini_wagner, fgsm, high_confidence_cw, ilcm, jsma,  # noqa: F401
                                   kdensity_cw, pgd)
    from pu_detect.autoencoders import PUAutoencoder as AE
    from pu_detect.benchmark import MODELS, evaluate, run, run_one, summarise  # noqa: F401
    from pu_detect.hypersphere import hypersphere_center  # noqa: F401
    from pu_detect.losses import ReverseCrossEntropyLoss, pu_risk, reverse_cross_entropy  # noqa: F401
    from pu_detect.nets import Classifier, MLPAutoencoder, build  # noqa: F401
    from pu_detect.prior import best_bin_estimate, estimate_prior  # noqa: F401

    assert AE is PUAutoencoder and Old is RCEClassifier
