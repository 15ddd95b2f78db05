"""``python -m build`` makes a wheel and an sdist that carry the built-in model and resources,
and the installed wheel answers with that model."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from desktop_qa.core.config import shipped_dir
from tests.conftest import shared_file

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("build")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    return out


def test_the_wheel_and_sdist_carry_every_built_in_model_the_catalogue_and_icon(
    built: Path,
) -> None:
    model_files = {
        f"models/{p.parent.name}/{p.name}" for p in shipped_dir("models").glob("*/*") if p.is_file()
    }
    assert model_files, "no built-in model in models/"
    (wheel,) = built.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    shared = [n.split("/share/desktop-qa/", 1)[1] for n in names if "/share/desktop-qa/" in n]
    assert model_files <= set(shared)
    assert {"models/known_models.json", "resources/desktop-qa.svg"} <= set(shared)
    assert "desktop_qa/resources/verify_pairs.json" in names
    (sdist,) = built.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = {m.split("/", 1)[1] for m in archive.getnames() if "/" in m}
    assert model_files <= members
    assert {"resources/desktop-qa.svg", "pyproject.toml", "README.md"} <= members


def installed_here() -> str | None:
    """How desktop-qa is installed in the environment running the tests."""
    try:
        return importlib.metadata.distribution("desktop-qa").read_text("RECORD")
    except importlib.metadata.PackageNotFoundError:
        return None


def test_the_installed_wheel_answers_with_its_built_in_model(built: Path, tmp_path: Path) -> None:
    paper = shared_file("corpus", "alexnet.pdf")
    before = installed_here()
    prefix = tmp_path / "prefix"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True)
    (wheel,) = built.glob("*.whl")
    # --ignore-installed: without it pip would first uninstall this checkout's own install.
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--ignore-installed",
         "--prefix", str(prefix), str(wheel)],
        check=True, timeout=300,
    )  # fmt: skip
    # The dependencies come from this environment, after the wheel's own site-packages.
    site = Path(sysconfig.get_paths(vars={"base": str(prefix)})["purelib"])
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    python = prefix / "bin" / "python"
    env = {"DESKTOP_QA_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    listed = subprocess.run(
        [python, "-m", "desktop_qa", "model", "list", "--json"],
        capture_output=True, text=True, env=env, check=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    models = json.loads(listed.stdout)["models"]
    default = next(m for m in models if m.get("default"))
    assert str(prefix / "share" / "desktop-qa") in default["path"]
    asked = subprocess.run(
        [python, "-m", "desktop_qa", "ask", str(paper), "What was used to reduce overfitting?",
         "--json", "--no-history"],
        capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["answers"] and answer["document"]["pages"] == 9
    assert installed_here() == before, "this environment's own install is left alone"
