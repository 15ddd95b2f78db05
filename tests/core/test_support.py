"""How much of a question the sentences around an answer say (``question_support``)."""

from __future__ import annotations

import math

import pytest

from desktop_qa.core.document import Document, open_pdf
from desktop_qa.core.retrieval import query_words
from desktop_qa.core.support import SentenceIndex, sentences_of
from tests.conftest import shared_file

TEXT = (
    "The castle was built in 1120 by the duke. "
    "Its walls are four metres thick. "
    "Farmers grew barley near the river. "
    "The river floods every spring.\n"
    "A heading\n"
    "The duke died in 1140."
)


def span(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)


def test_support_counts_the_question_words_around_the_answer() -> None:
    index = SentenceIndex(TEXT)
    asked = query_words("When was the castle built by the duke?")
    assert asked == ["built", "castle", "duke"]
    # The answer's own sentence says every word of the question.
    assert index.support(asked, *span(TEXT, "1120")) == pytest.approx(1.0)
    # One sentence away still counts as around the answer; two away does not.
    assert index.support(asked, *span(TEXT, "four metres")) == pytest.approx(1.0)
    assert index.support(asked, *span(TEXT, "barley")) == pytest.approx(0.0)
    # A block ends a sentence: the last line shares only "duke" with the question.
    later = index.support(asked, *span(TEXT, "1140"))
    assert 0.0 < later < 0.5


def test_rare_words_weigh_more_and_the_answer_does_not_support_itself() -> None:
    index = SentenceIndex(TEXT)
    # Around "A heading" stands "river" (in two of the six sentences) but not
    # "barley" (in one): the rarer missing word weighs more than the found one.
    river, barley = math.log(1 + 6 / 2), math.log(1 + 6 / 1)
    found = index.support(["barley", "river"], *span(TEXT, "A heading"))
    assert found == pytest.approx(river / (river + barley))
    assert found < 0.5
    # An answer that only repeats the question's words has nothing around it.
    assert index.support(["castle"], *span(TEXT, "castle")) == 0.0
    assert index.support(["castle", "duke"], *span(TEXT, "castle")) == pytest.approx(1.0)


def test_a_real_papers_answer_is_supported_more_than_its_lookalikes() -> None:
    document = open_pdf(shared_file("corpus", "alexnet.pdf"))
    text = document.text
    asked = query_words("How many parameters does the neural network have?")
    index = sentences_of(document)
    # "60 million" (said twice) against every other "... million" of the paper.
    millions = [at for at in range(len(text)) if text.startswith(" million", at)]
    right = [at for at in millions if text.startswith(" million parameters", at)]
    supports = {at: index.support(asked, at - 2, at + len(" million")) for at in millions}
    assert len(right) == 2 and len(millions) > 8
    assert min(supports[at] for at in right) > 0.6
    assert max(v for at, v in supports.items() if at not in right) < 0.5
    assert sentences_of(document) is index  # made once per open document
    assert sentences_of(Document.from_text(text)) is not index
