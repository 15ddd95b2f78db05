"""Installing curated models through huggingface_hub from a hub-compatible server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from desktop_qa.core.config import installed_models_dir
from desktop_qa.core.download import (
    KnownModel,
    RemoteFile,
    fetch_file,
    install_model,
    known_models,
)
from desktop_qa.core.errors import BrokenModelError, ModelNotFoundError, NetworkError
from desktop_qa.core.model import load_model_info
from tests.checkpoints import checkpoint
from tests.hub_server import HubServer

REPO = "someone/bert-qa"
FIRST = "1" * 40
SECOND = "2" * 40


@pytest.fixture(autouse=True)
def hub_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A hub cache and home of this test's own, no token and online."""
    from huggingface_hub import constants

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "hf" / "token"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    return tmp_path / "hf" / "hub"


@pytest.fixture
def hub(tmp_path: Path, tiny_model: Path) -> Iterator[HubServer]:
    server = HubServer(tmp_path / "served")
    first = checkpoint(server.add_commit(REPO, FIRST), tiny_model / "tokenizer.json")
    second = server.add_commit(REPO, SECOND)  # main moves on: same model, new config field
    for file in first.iterdir():
        (second / file.name).write_bytes(file.read_bytes())
    config = json.loads((second / "config.json").read_text())
    (second / "config.json").write_text(json.dumps({**config, "revision_note": "second"}))
    yield server
    server.close()


def entry(
    hub: HubServer, sha256: dict[str, str] | None = None, revision: str = "main"
) -> KnownModel:
    names = sorted(p.name for p in (hub.root / REPO / FIRST).iterdir())
    files = tuple(RemoteFile(n, (sha256 or {}).get(n)) for n in names)
    return KnownModel("bert-qa", REPO, revision, files, no_answer=False, facts={})


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_install_downloads_into_the_hub_cache_checks_and_imports(
    hub: HubServer, hub_cache: Path
) -> None:
    weights = hub.root / REPO / SECOND / "model.safetensors"
    seen: list[tuple[str, int, int | None]] = []
    target = install_model(
        entry(hub, {"model.safetensors": digest(weights)}),
        hub.endpoint,
        lambda n, d, t: seen.append((n, d, t)),
    )
    info = load_model_info(target)
    assert info.name == "bert-qa" and info.manifest["verify"]["agreement"] >= 0.8
    assert info.manifest["source"] == {"hub": {"repo": REPO, "revision": "main", "commit": SECOND}}
    assert (target / "model_quantized.onnx").is_file()
    size = weights.stat().st_size
    assert ("model.safetensors", size, size) in seen
    cached = hub_cache / "models--someone--bert-qa" / "snapshots" / SECOND / "model.safetensors"
    assert cached.read_bytes() == weights.read_bytes()
    assert not [p for p in installed_models_dir().iterdir() if p.name.startswith(".")]


def test_files_another_tool_downloaded_are_not_downloaded_again(hub: HubServer) -> None:
    from huggingface_hub import hf_hub_download

    model = entry(hub)
    for remote in model.files:  # as transformers or the hf command would have
        hf_hub_download(REPO, remote.name, endpoint=hub.endpoint)
    hub.requests.clear()
    install_model(model, hub.endpoint)
    assert [r for r in hub.requests if r.method == "GET"] == []


def test_a_dropped_transfer_resumes_where_it_stopped(hub: HubServer) -> None:
    big = hub.root / REPO / SECOND / "weights.bin"  # above huggingface_hub's 10 MiB read size
    big.write_bytes(np.random.default_rng(0).bytes(21 << 20))
    hub.drop_after["weights.bin"] = 15 << 20
    path = fetch_file(REPO, RemoteFile("weights.bin", digest(big)), "main", hub.endpoint)
    ranges = [r.range for r in hub.gets("weights.bin")]
    assert ranges[0] is None and ranges[1] == f"bytes={10 << 20}-"  # what had come in whole
    assert path.read_bytes() == big.read_bytes()


def test_a_pinned_revision_gets_that_commit(hub: HubServer) -> None:
    pinned = fetch_file(REPO, RemoteFile("config.json", None), FIRST, hub.endpoint)
    latest = fetch_file(REPO, RemoteFile("config.json", None), "main", hub.endpoint)
    assert "revision_note" not in json.loads(pinned.read_text())
    assert json.loads(latest.read_text())["revision_note"] == "second"
    target = install_model(entry(hub, revision=FIRST), hub.endpoint)
    assert load_model_info(target).manifest["source"]["hub"]["commit"] == FIRST


def test_a_file_failing_its_sha256_is_never_used_and_leaves_the_cache(
    hub: HubServer, hub_cache: Path
) -> None:
    with pytest.raises(BrokenModelError, match=r"sha256.*removed from the hub cache"):
        install_model(entry(hub, {"config.json": "0" * 64}), hub.endpoint)
    assert not (installed_models_dir() / "bert-qa").exists()
    blobs = hub_cache / "models--someone--bert-qa" / "blobs"
    assert digest(hub.root / REPO / SECOND / "config.json") not in {p.name for p in blobs.iterdir()}


def test_a_gated_model_needs_hf_token(hub: HubServer, monkeypatch: pytest.MonkeyPatch) -> None:
    hub.gated[REPO] = "secret"
    with pytest.raises(NetworkError, match=r"gated.*HF_TOKEN"):
        fetch_file(REPO, RemoteFile("config.json", None), "main", hub.endpoint)
    monkeypatch.setenv("HF_TOKEN", "secret")
    assert fetch_file(REPO, RemoteFile("config.json", None), "main", hub.endpoint).is_file()
    assert hub.requests[-1].authorization == "Bearer secret"


def test_offline_uses_the_cache_and_says_so_when_a_file_is_missing(
    hub: HubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    fetch_file(REPO, RemoteFile("config.json", None), "main", hub.endpoint)
    hub.requests.clear()
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert fetch_file(REPO, RemoteFile("config.json", None), "main", hub.endpoint).is_file()
    with pytest.raises(NetworkError, match=r"HF_HUB_OFFLINE.*desktop-qa model import DIR"):
        fetch_file(REPO, RemoteFile("model.safetensors", None), "main", hub.endpoint)
    assert hub.requests == []


def test_no_network_says_how_to_import_from_a_folder() -> None:
    model = KnownModel("x", REPO, "main", (RemoteFile("config.json", None),), False, {})
    with pytest.raises(NetworkError, match="desktop-qa model import DIR"):
        install_model(model, "http://127.0.0.1:9")  # the discard port: nothing listens


@pytest.mark.parametrize(
    ("repo", "revision", "file", "message"),
    [
        (REPO, "main", "absent.bin", "no such file"),
        (REPO, "v9", "config.json", "no such revision"),
        ("someone/else", "main", "config.json", "no such repository, or it is private"),
    ],
)
def test_what_the_hub_lacks_is_named(
    hub: HubServer, repo: str, revision: str, file: str, message: str
) -> None:
    with pytest.raises(ModelNotFoundError, match=message):
        fetch_file(repo, RemoteFile(file, None), revision, hub.endpoint)


def test_the_catalogue_names_the_curated_models() -> None:
    catalogue = known_models()
    assert {
        "desktop-qa-minilm-squad",
        "distilbert-base-cased-distilled-squad",
        "bert-large-uncased-whole-word-masking-finetuned-squad",
        "roberta-base-squad2",
    } <= set(catalogue)
    assert catalogue["roberta-base-squad2"].no_answer
    for model in catalogue.values():
        assert model.repo is None or model.files
        assert {"licence", "languages", "size_mb"} <= set(model.facts)
