"""The command line's progress printer reports each 5 percent mark once and the end."""

from __future__ import annotations

import pytest

from desktop_qa.terminal_progress import counted_progress


def test_every_five_percent_once_and_the_end(capsys: pytest.CaptureFixture[str]) -> None:
    report = counted_progress("questions answered")
    for done in range(1, 209):
        report(done, 208)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 20
    assert lines[0].startswith("11 of 208 questions answered (5%")
    assert lines[-1].startswith("208 of 208 questions answered (100%")


def test_marks_skipped_over_by_a_small_total_still_report(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = counted_progress("files", lead="indexed ")
    for done in range(1, 4):
        report(done, 3)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" (")[0] for line in lines] == [
        "indexed 1 of 3 files",
        "indexed 2 of 3 files",
        "indexed 3 of 3 files",
    ]
