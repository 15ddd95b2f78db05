"""An answer's sentence: bounded by the sentences around it and by block breaks."""

from __future__ import annotations

from desktop_qa.core.answer_context import answer_context
from desktop_qa.core.document import open_pdf
from tests.conftest import shared_file


def context_of(text: str, answer: str) -> str:
    start = text.index(answer)
    return answer_context(text, start, start + len(answer)).marked()


def test_the_sentence_around_an_answer_and_nothing_past_a_block_break() -> None:
    text = (
        "3.1 Dropout\nWe train for 90 epochs. The network has 60 million parameters, e.g. "
        "weights. It is large.\nTable 2: errors"
    )
    assert context_of(text, "60 million") == (
        "The network has [60 million] parameters, e.g. weights."
    )
    assert context_of(text, "Dropout") == "3.1 [Dropout]"
    assert context_of(text, "errors") == "Table 2: [errors]"


def test_a_long_sentence_is_cut_at_words_and_marked() -> None:
    words = " ".join(f"word{i}" for i in range(200))
    text = f"{words} ANSWER {words}."
    context = answer_context(text, text.index("ANSWER"), text.index("ANSWER") + 6, reach=60)
    marked = context.marked()
    assert marked.startswith("…word") and marked.endswith("…") and "[ANSWER]" in marked
    assert context.cut_before and context.cut_after
    assert len(marked) < 140
    assert text[context.start : context.end].split()[0].startswith("word")


def test_on_a_real_paper_the_context_is_the_papers_own_sentence() -> None:
    document = open_pdf(shared_file("corpus", "alexnet.pdf"))
    text = document.text
    marked = context_of(text, "60 million")
    assert marked.startswith("The neural network, which has [60 million] parameters")
    assert marked.endswith("softmax.")
