"""The sentence an answer stands in, so that a reader can judge it without the page.

A document's text joins lines with spaces and blocks (paragraphs, headings,
captions) with newlines; the context of ``text[start:end]`` runs from the end
of the sentence before it to the end of the sentence it ends in, never across
a newline, and at most ``REACH`` characters to either side (cut at a word,
marked as cut).
"""

from __future__ import annotations

from dataclasses import dataclass

REACH = 240
SENTENCE_END = ".!?"


@dataclass(frozen=True)
class AnswerContext:
    """``before`` + ``answer`` + ``after`` is ``text[start:end]``, whitespace kept."""

    before: str
    answer: str
    after: str
    start: int
    end: int
    cut_before: bool
    cut_after: bool

    def marked(self) -> str:
        """On one line, the answer in brackets, with … where the sentence was cut:
        the snippet of the command line, the exports and the history."""
        text = " ".join(f"{self.before}[{self.answer}]{self.after}".split())
        return ("…" if self.cut_before else "") + text + ("…" if self.cut_after else "")


def answer_context(text: str, start: int, end: int, reach: int = REACH) -> AnswerContext:
    """The sentence (or sentences) holding ``text[start:end]``."""
    left = _sentence_start(text, start, reach)
    right = _sentence_end(text, end, reach)
    cut_before = left == max(0, start - reach) and left > 0 and text[left - 1] != "\n"
    cut_after = right == min(len(text), end + reach) and right < len(text)
    if cut_before:
        space = text.find(" ", left, start)
        left = space + 1 if space >= 0 else left
    if cut_after:
        space = text.rfind(" ", end, right)
        right = space if space >= 0 else right
    return AnswerContext(text[left:start], text[start:end], text[end:right], left, right,
                         cut_before, cut_after)  # fmt: skip


def _sentence_start(text: str, start: int, reach: int) -> int:
    floor = max(0, start - reach)
    for i in range(start - 1, floor - 1, -1):
        if text[i] == "\n":
            return i + 1
        if text[i] in SENTENCE_END and i + 1 < start and text[i + 1].isspace():
            after = text[i + 1 : start].lstrip()
            if not after or after[0].isupper() or after[0].isdigit():
                return i + 1 + (len(text[i + 1 : start]) - len(after))
    return floor


def _sentence_end(text: str, end: int, reach: int) -> int:
    ceiling = min(len(text), end + reach)
    for j in range(end, ceiling):
        if text[j] == "\n":
            return j
        if text[j] in SENTENCE_END and (j + 1 == len(text) or text[j + 1].isspace()):
            following = text[j + 1 : j + 3].lstrip()
            if not following or following[0].isupper() or following[0].isdigit():
                return j + 1
    return ceiling
