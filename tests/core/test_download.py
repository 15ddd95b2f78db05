"""Installing curated models from a hub-like HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from desktop_qa.core.config import installed_models_dir
from desktop_qa.core.download import (
    KnownModel,
    RemoteFile,
    download_file,
    install_model,
    known_models,
)
from desktop_qa.core.errors import BrokenModelError, NetworkError
from desktop_qa.core.model import load_model_info
from tests.checkpoints import checkpoint

REPO = "someone/bert-qa"


class Hub:
    """Serves ``root/<repo>/<file>`` as ``/<repo>/resolve/main/<file>``, with ranges.

    ``cut_after`` makes the next response of a file stop after that many bytes.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cut_after: dict[str, int] = {}
        self.ranges: list[str] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = self.path.strip("/").split("/")
                if len(parts) < 5 or parts[2] != "resolve":
                    self.send_error(404)
                    return
                path = hub.root / parts[0] / parts[1] / "/".join(parts[4:])
                if not path.is_file():
                    self.send_error(404)
                    return
                data = path.read_bytes()
                start = 0
                if "Range" in self.headers:
                    hub.ranges.append(self.headers["Range"])
                    start = int(self.headers["Range"].removeprefix("bytes=").split("-")[0])
                    if start >= len(data):
                        self.send_error(416)
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                cut = hub.cut_after.pop(path.name, None)
                self.wfile.write(body if cut is None else body[:cut])

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def hub(tmp_path: Path, tiny_model: Path) -> Iterator[Hub]:
    checkpoint(tmp_path / "hub" / REPO, tiny_model / "tokenizer.json")
    server = Hub(tmp_path / "hub")
    yield server
    server.server.shutdown()
    server.server.server_close()


def entry(hub: Hub, sha256: dict[str, str] | None = None) -> KnownModel:
    names = sorted(p.name for p in (hub.root / REPO).iterdir())
    files = tuple(RemoteFile(n, (sha256 or {}).get(n)) for n in names)
    return KnownModel("bert-qa", REPO, "main", files, no_answer=False, facts={})


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_install_downloads_checks_and_imports(hub: Hub) -> None:
    weights = hub.root / REPO / "model.safetensors"
    seen: list[tuple[str, int, int | None]] = []
    target = install_model(
        entry(hub, {"model.safetensors": digest(weights)}),
        hub.endpoint,
        lambda n, d, t: seen.append((n, d, t)),
    )
    info = load_model_info(target)
    assert info.name == "bert-qa" and info.manifest["verify"]["agreement"] >= 0.8
    assert (target / "model_quantized.onnx").is_file()
    assert ("model.safetensors", weights.stat().st_size, weights.stat().st_size) in seen
    assert not (installed_models_dir() / ".downloads" / "bert-qa").exists()


def test_an_interrupted_transfer_resumes_where_it_stopped(hub: Hub, tmp_path: Path) -> None:
    source = hub.root / REPO / "model.safetensors"
    destination = tmp_path / "model.safetensors"
    url = f"{hub.endpoint}/{REPO}/resolve/main/model.safetensors"
    hub.cut_after["model.safetensors"] = 10_000
    with pytest.raises(NetworkError, match=r"resumes it|stopped at"):
        download_file(url, destination, digest(source))
    partial = destination.with_name("model.safetensors.partial")
    assert partial.stat().st_size == 10_000 and not destination.exists()
    download_file(url, destination, digest(source))
    assert hub.ranges == ["bytes=10000-"]
    assert destination.read_bytes() == source.read_bytes() and not partial.exists()


def test_a_file_failing_its_sha256_is_never_used(hub: Hub) -> None:
    bad = entry(hub, {"config.json": "0" * 64})
    with pytest.raises(BrokenModelError, match="sha256"):
        install_model(bad, hub.endpoint)
    downloads = installed_models_dir() / ".downloads" / "bert-qa"
    assert not (downloads / "config.json").exists()
    assert not (installed_models_dir() / "bert-qa").exists()


def test_no_network_says_how_to_import_from_a_folder(tmp_path: Path) -> None:
    model = KnownModel("x", REPO, "main", (RemoteFile("config.json", None),), False, {})
    with pytest.raises(NetworkError, match="desktop-qa model import DIR"):
        install_model(model, "http://127.0.0.1:9")  # the discard port: nothing listens


def test_missing_file_on_the_server_is_reported(hub: Hub) -> None:
    model = KnownModel("x", REPO, "main", (RemoteFile("absent.bin", None),), False, {})
    with pytest.raises(NetworkError, match="404"):
        install_model(model, hub.endpoint)


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
