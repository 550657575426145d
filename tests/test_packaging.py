"""`pip install .` carries every package and the data (a missing entry breaks only installed copies)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_python_package_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for top in ("bot", "handlers", "metrics")
        for path in (ROOT / top).rglob("__init__.py")
    }
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert config["package-dir"]["resetbot_data"] == "data"


def test_every_data_file_is_installed_as_package_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    patterns = config["resetbot_data"]
    for path in (ROOT / "data").iterdir():
        assert any(path.match(p) for p in patterns), f"{path.name} would not be installed"
