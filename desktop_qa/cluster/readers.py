"""Batch questions on a Ray cluster: a pool of reader actors, one per core.

Each actor loads the model once and opens the saved library (every node must see
the data folder at the same path); questions go to whichever actor is free and
come back in order as the JSON object and batch rows the local ``ask`` makes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from desktop_qa.cluster.connect import connect
from desktop_qa.core.config import ReaderSettings


class ReaderActor:
    """One reader: the model and the library, asked one question at a time."""

    def __init__(
        self, model: str, settings: ReaderSettings, library: str, libraries: str, cache: str,
        state: str,
    ) -> None:  # fmt: skip
        from desktop_qa.core.assistant import Assistant
        from desktop_qa.core.cache import DocumentCache
        from desktop_qa.core.library import Library
        from desktop_qa.core.model import load_model_info

        self.assistant = Assistant(
            load_model_info(model), settings, cache=DocumentCache(Path(cache))
        )
        self.library = Library.existing(library, Path(libraries))
        self.state = state

    def ask(self, question: str) -> tuple[dict[str, Any], list[tuple[object, ...]]]:
        from desktop_qa.core.assistant import ask_saved_library, library_payload
        from desktop_qa.core.batch import rows_for

        result = ask_saved_library(self.assistant, self.library, question)
        listed = {"library": self.library.name}
        pairs = [(item.document, item.answer) for item in result.answers]
        return (
            library_payload(result, listed, self.assistant.provider),
            rows_for(question, pairs, result.no_answer, self.state),
        )


def ask_on_cluster(
    model: Path,
    settings: ReaderSettings,
    library: str,
    questions: list[str],
    address: str,
    state: str,
    readers: int | None = None,
) -> Iterator[tuple[dict[str, Any], list[tuple[object, ...]]]]:
    """Each question's JSON object and batch rows, in order, from a pool of readers."""
    from desktop_qa.core.cache import DocumentCache
    from desktop_qa.core.library import libraries_dir

    ray = connect(address)
    from ray.util import ActorPool

    count = readers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    actor = ray.remote(num_cpus=1)(ReaderActor)
    one_thread = replace(settings, threads=1)  # one reader a core
    actors = [
        actor.remote(str(model), one_thread, library, str(libraries_dir()),
                     str(DocumentCache().root), state)
        for _ in range(min(count, len(questions)) or 1)
    ]  # fmt: skip
    yield from ActorPool(actors).map(lambda a, question: a.ask.remote(question), questions)
