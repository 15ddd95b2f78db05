"""BM25 ranking of windows, with the best document's opening window kept in the first round."""

from __future__ import annotations

from pathlib import Path

from desktop_qa.core.assistant import Assistant
from desktop_qa.core.config import ReaderSettings
from desktop_qa.core.document import Document
from desktop_qa.core.model import load_model_info
from desktop_qa.core.retrieval import WindowIndex, query_words

OPENING = "Summary. In total 412 birds were seen on the island in one season. "
BODY = " ".join(
    f"Section {i}: the penguins of colony {i} nested on rocks and the penguins were counted."
    for i in range(300)
)


def test_the_opening_window_is_read_in_the_first_round(tiny_model: Path) -> None:
    settings = ReaderSettings(max_seq_len=128, stride=16, retrieval_k=4)
    assistant = Assistant(load_model_info(tiny_model), settings)
    opened = assistant.prepare(Document.from_text(OPENING + BODY))
    question = "How many penguins were counted?"
    plain = opened.index.ranked(question)
    assert len(plain) == len(opened.windows) > 20
    assert (0, 0) not in plain[:4], "BM25 alone would not read the summary early"
    with_lead = opened.index.ranked(question, lead_within=4)
    assert with_lead[:3] == plain[:3] and with_lead[3] == (0, 0)
    assert sorted(with_lead) == sorted(plain)
    assert opened.index.ranked(question, lead_within=1) == plain  # k = 1 keeps the best


def test_in_a_library_the_lead_is_the_best_matching_documents(tiny_model: Path) -> None:
    assistant = Assistant(load_model_info(tiny_model), ReaderSettings(max_seq_len=128, stride=16))
    other = assistant.prepare(Document.from_text("Meadows are quiet. " * 200))
    paper = assistant.prepare(Document.from_text(OPENING + BODY))
    index = WindowIndex([(o.document.text, o.tokens, o.windows) for o in (other, paper)])
    ranked = index.ranked("How many penguins were counted?", lead_within=4)
    assert ranked[0][0] == 1 and (1, 0) in ranked[:4] and (0, 0) not in ranked[:4]


def test_function_words_do_not_rank_windows(tiny_model: Path) -> None:
    assert query_words("What was the size of the network?") == ["network", "size"]
    assert query_words("Who was it?") == ["it", "was", "who"]  # nothing else to match
    settings = ReaderSettings(max_seq_len=256, stride=16)
    assistant = Assistant(load_model_info(tiny_model), settings)
    chatter = "It was what they had, and who was there was with them on that day. " * 3
    fact = "The colony counted 412 penguins near the island. " + "Rocks and sea. " * 10
    texts = [chatter, fact] + [f"Gulls and terns, flock {n}. " * 5 for n in range(5)]
    opened = [assistant.prepare(Document.from_text(text)) for text in texts]
    index = WindowIndex([(o.document.text, o.tokens, o.windows) for o in opened])
    assert [len(o.windows) for o in opened] == [1] * 7
    assert index.ranked("What was it that they had counted there?")[0] == (1, 0)
