"""The project installs the same way for pip users, conda/Binder users and from a wheel."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import DATA, ROOT

REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*(.*)$")


def _parse(requirement: str) -> tuple[str, str]:
    name, spec = REQUIREMENT.match(requirement).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def test_environment_yml_lists_the_same_packages_and_versions_as_pyproject():
    """conda/Binder users get the packages and version ranges pip users get."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + [
        r for extra in project["optional-dependencies"].values() for r in extra]
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    listed = []
    for item in environment["dependencies"]:
        if isinstance(item, dict):
            listed += [r for r in item["pip"] if not r.startswith("-e")]
        elif item != "pip" and not re.match(r"python[<>=]", item):
            listed.append(item)
    assert sorted(set(map(_parse, listed))) == sorted(set(map(_parse, wanted)))
    assert len(listed) == len(set(listed)), "a package is listed twice"


def test_environment_yml_python_matches_requires_python():
    """environment.yml asks for the same Python versions as pyproject's requires-python."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert f"python{project['requires-python']}" in environment["dependencies"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project built as a wheel, once for this module."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(ROOT)],
        check=True, capture_output=True,
    )
    (built,) = out.glob("*.whl")
    return built


def test_the_wheel_embeds_the_data_package(wheel):
    """An installed wheel carries data/ as explorer/_data, so load() works outside a clone."""
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"explorer/_data/{p.name}" for p in DATA.iterdir() if p.is_file()}
    assert expected <= names
    assert "explorer/_data/datapackage.json" in names


def test_the_wheel_installs_the_kernelspec_and_registers_its_provisioner(wheel):
    """The wheel carries the explorer kernelspec into share/jupyter/kernels and registers the
    provisioner it names under Jupyter's entry point, so any install forks dashboards'
    kernels where its server keeps a preloader."""
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    (spec,) = [n for n in names if n.endswith("/data/share/jupyter/kernels/explorer/kernel.json")]
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    provisioner = json.loads(archive.read(spec))["metadata"]["kernel_provisioner"]
    assert provisioner == {"provisioner_name": "explorer-preloaded"}
    assert ("[jupyter_client.kernel_provisioners]\n"
            "explorer-preloaded = explorer.serve.provisioner:PreloadedProvisioner") in (
        archive.read(entry_points).decode())


def test_the_installed_wheel_loads_its_embedded_data(wheel, tmp_path):
    """Unpacked wheel, no clone on the path: explorer.load() finds explorer/_data."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import explorer; "
            "ds = explorer.load(); "
            "print(ds.path.relative_to(sys.argv[1]).as_posix(), len(ds.projects))")
    result = subprocess.run(
        [sys.executable, "-c", code, str(site)],
        capture_output=True, text=True, cwd=tmp_path, check=False,
        env={"PATH": os.environ.get("PATH", "")},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "explorer/_data"


MAX_MODULE_LINES = 500


def test_no_module_of_the_package_is_over_500_lines():
    """Each module of explorer/ holds one concept: none grows past 500 lines (CONTRIBUTING);
    the failure names each one that does."""
    long = {str(path.relative_to(ROOT)): lines for path in sorted((ROOT / "explorer").rglob("*.py"))
            if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}
