"""A Hugging Face Hub-compatible file server on 127.0.0.1, for install tests.

It answers ``HEAD`` and ``GET /{org}/{name}/resolve/{revision}/{file}`` as the
hub does for huggingface_hub: ``X-Repo-Commit``, ``ETag`` (the file's sha256),
``Content-Length``, byte ranges, and ``X-Error-Code`` on errors. Repositories
live in ``root/{org}/{name}/{commit}/``; ``branches`` maps a repository's branch
names to commits. A repository in ``gated`` needs ``Authorization: Bearer
{token}``.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    range: str | None
    authorization: str | None


class HubServer:
    """Serves ``root`` like the hub; ``drop_after[file] = n`` makes the next GET of
    that file close the connection after ``n`` bytes of its body."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.branches: dict[str, dict[str, str]] = {}
        self.gated: dict[str, str] = {}
        self.drop_after: dict[str, int] = {}
        self.requests: list[Request] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add_commit(self, repo: str, commit: str, branch: str = "main") -> Path:
        """The folder whose files make ``commit`` of ``repo``, now the head of ``branch``."""
        self.branches.setdefault(repo, {})[branch] = commit
        folder = self.root / repo / commit
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def gets(self, file_name: str) -> list[Request]:
        return [r for r in self.requests if r.method == "GET" and r.path.endswith("/" + file_name)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:
                self._answer(body=False)

            def do_GET(self) -> None:
                self._answer(body=True)

            def _answer(self, body: bool) -> None:
                hub.requests.append(
                    Request(
                        self.command,
                        self.path,
                        self.headers.get("Range"),
                        self.headers.get("Authorization"),
                    )
                )
                parts = self.path.split("?")[0].strip("/").split("/")
                if len(parts) < 5 or parts[2] != "resolve":
                    return self._error(404, "EntryNotFound")
                repo, revision, file_name = "/".join(parts[:2]), parts[3], "/".join(parts[4:])
                if repo not in hub.branches:
                    return self._error(401, "RepoNotFound")
                if repo in hub.gated and self.headers.get("Authorization") != (
                    f"Bearer {hub.gated[repo]}"
                ):
                    return self._error(401, "GatedRepo")
                commit = hub.branches[repo].get(revision, revision)
                if not (hub.root / repo / commit).is_dir():
                    return self._error(404, "RevisionNotFound")
                path = hub.root / repo / commit / file_name
                if not path.is_file():
                    return self._error(404, "EntryNotFound", commit)
                self._send_file(path, commit, body)

            def _send_file(self, path: Path, commit: str, body: bool) -> None:
                data = path.read_bytes()
                start = 0
                wanted = self.headers.get("Range")
                if wanted:
                    start = int(wanted.removeprefix("bytes=").split("-")[0])
                    if start >= len(data):
                        return self._error(416, "RangeNotSatisfiable")
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("X-Repo-Commit", commit)
                self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                if not body:
                    return
                cut = hub.drop_after.pop(path.name, None)
                self.wfile.write(data[start:] if cut is None else data[start : start + cut])
                if cut is not None:
                    self.wfile.flush()
                    self.close_connection = True

            def _error(self, status: int, code: str, commit: str | None = None) -> None:
                self.send_response(status)
                self.send_header("X-Error-Code", code)
                if commit is not None:
                    self.send_header("X-Repo-Commit", commit)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        return Handler
