"""A library built and asked through a real Ray cluster on 127.0.0.1 (two worker CPUs)."""

from __future__ import annotations

import csv
import os
import secrets
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_qa.core.library import Library
from tests.core.test_library import town_pdf

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'desktop-qa[cluster]')")
RAY = Path(sys.executable).with_name("ray")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


#: Ray's token authentication, as a real cluster should run it: every process has the token.
AUTH = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16)}


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """``ray start --head`` with two CPUs, stopped afterwards."""
    port = free_port()
    env = {**os.environ, **AUTH, "RAY_USAGE_STATS_ENABLED": "0"}
    temp = Path(f"/tmp/dqa-ray-{os.getpid()}")  # Ray's socket paths must stay short
    started = subprocess.run(
        [str(RAY), "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port),
         "--num-cpus", "2", "--include-dashboard", "false", "--temp-dir", str(temp),
         "--disable-usage-stats"],
        capture_output=True, text=True, timeout=180, env=env,
    )  # fmt: skip
    if started.returncode != 0:
        pytest.fail(f"ray start failed: {started.stderr[-2000:]}")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([str(RAY), "stop", "--force"], capture_output=True, timeout=120, env=env)
        shutil.rmtree(temp, ignore_errors=True)


def cli(*args: str | Path, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **AUTH, "DESKTOP_QA_DATA_DIR": str(data), "RAY_USAGE_STATS_ENABLED": "0"}
    completed = subprocess.run(
        [sys.executable, "-m", "desktop_qa", *map(str, args)],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed


def table(path: Path) -> list[list[str]]:
    """A batch CSV without its asked_at column."""
    with path.open(newline="", encoding="utf-8") as stream:
        return [row[:-1] for row in csv.reader(stream)]


def test_a_library_built_and_asked_on_ray_is_the_one_built_and_asked_here(
    cluster: str, tmp_path: Path, tiny_model: Path
) -> None:
    folder = tmp_path / "papers"
    folder.mkdir()
    for n in range(10):
        town_pdf(folder / f"town{n}.pdf", n, pages=4)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7 nothing else")
    data = tmp_path / "data"
    model = ("--model", tiny_model)
    cli("library", "add", folder, "--library", "here", *model, data=data)
    cli("library", "build", folder, "--library", "ray", "--ray", cluster, "--shard-files", "3",
        *model, data=data)  # fmt: skip
    libraries = data / "libraries"
    with Library("here", libraries) as here, Library("ray", libraries) as built:
        assert [(d.path, d.sha256, d.pages, d.status, d.reason) for d in built.documents()] == [
            (d.path, d.sha256, d.pages, d.status, d.reason) for d in here.documents()
        ]
        for document in here.documents("indexed"):
            assert built.windows_of(document.id) == here.windows_of(document.id)
            assert built.text_of(document.id) == here.text_of(document.id)
        assert built.check() == "ok"
    questions = tmp_path / "questions.txt"
    questions.write_text(
        "".join(f"What was built in {1100 + 7 * n + 1}?\n" for n in range(10))
        + "Who was the guild of the mill?\n"
    )
    ask = ("--questions", questions, *model, "--top-k", "3")
    cli("ask", "--library", "here", *ask, "--csv", tmp_path / "here.csv", data=data)
    cli("ask", "--library", "ray", *ask, "--csv", tmp_path / "ray.csv", data=data)
    cli("ask", "--library", "ray", *ask, "--csv", tmp_path / "actors.csv", "--ray", cluster,
        data=data)  # fmt: skip
    here_rows, ray_rows = table(tmp_path / "here.csv"), table(tmp_path / "ray.csv")
    assert [r[:9] for r in ray_rows] == [r[:9] for r in here_rows]  # the state names the library
    assert table(tmp_path / "actors.csv") == ray_rows
    assert len({r[0] for r in here_rows[1:]}) == 11
