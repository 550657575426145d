"""Package-level rules for `metrics/`: public surface, purity, documentation, immutability."""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

import metrics

PACKAGE_DIR = Path(metrics.__file__).parent
MODULES = sorted(p.stem for p in PACKAGE_DIR.glob("*.py") if p.stem != "__init__")
PUBLIC_MODULES = [m for m in MODULES if not m.startswith("_")]
ALLOWED_THIRD_PARTY = {"numpy", "pandas", "pydantic", "pydantic_core", "metrics"}
DOC_SECTIONS = ("Parameters", "Returns", "Notes", "References", "Examples")


def test_all_is_sorted() -> None:
    assert metrics.__all__ == sorted(metrics.__all__)


def test_all_is_exactly_the_union_of_the_public_modules() -> None:
    exported: set[str] = set()
    for name in PUBLIC_MODULES:
        exported |= set(importlib.import_module(f"metrics.{name}").__all__)
    assert set(metrics.__all__) == exported
    assert len(metrics.__all__) == len(set(metrics.__all__))


@pytest.mark.parametrize("name", metrics.__all__)
def test_every_name_resolves(name: str) -> None:
    assert hasattr(metrics, name)


@pytest.mark.parametrize("module", MODULES + ["__init__"])
def test_imports_are_pure(module: str) -> None:
    """Only the standard library, numpy, pandas and pydantic: no files, env, Slack, plots."""
    tree = ast.parse((PACKAGE_DIR / f"{module}.py").read_text())
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    stdlib = set(sys.stdlib_module_names) - {"os", "io", "logging", "pathlib", "subprocess", "shutil",
                                                "socket", "urllib", "http", "tempfile", "glob"}
    assert roots <= stdlib | ALLOWED_THIRD_PARTY, roots - stdlib - ALLOWED_THIRD_PARTY
    assert "open" not in {n.func.id for n in ast.walk(tree)
                          if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


PUBLIC_FUNCTIONS = [
    name for name in metrics.__all__
    if inspect.isfunction(getattr(metrics, name))
]


@pytest.mark.parametrize("name", PUBLIC_FUNCTIONS)
def test_public_functions_are_fully_documented(name: str) -> None:
    doc = inspect.getdoc(getattr(metrics, name)) or ""
    missing = [section for section in DOC_SECTIONS if f"{section}\n---" not in doc]
    assert not missing, f"{name} lacks {missing}"
    assert ">>> " in doc


@pytest.mark.parametrize("name", PUBLIC_FUNCTIONS)
def test_public_functions_are_typed(name: str) -> None:
    signature = inspect.signature(getattr(metrics, name))
    assert signature.return_annotation is not inspect.Signature.empty
    for parameter in signature.parameters.values():
        assert parameter.annotation is not inspect.Parameter.empty, parameter.name


PUBLIC_MODELS = [
    name for name in metrics.__all__
    if inspect.isclass(getattr(metrics, name)) and issubclass(getattr(metrics, name), BaseModel)
]


@pytest.mark.parametrize("name", PUBLIC_MODELS)
def test_models_are_frozen_and_documented(name: str) -> None:
    model = getattr(metrics, name)
    assert model.model_config.get("frozen") is True
    assert model.__doc__ and model.__doc__.strip()
