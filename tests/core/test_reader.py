"""The reader: ONNX session, provider choice, no-answer and merging across windows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from desktop_qa.core.assistant import Assistant
from desktop_qa.core.chunking import (
    QATokenizer,
    Window,
    encode_windows,
    plan_windows,
    tokenize_document,
    tokenize_question,
)
from desktop_qa.core.config import ReaderSettings
from desktop_qa.core.document import Document
from desktop_qa.core.errors import BrokenModelError, CancelledError, InputError, ProviderError
from desktop_qa.core.model import load_model_info
from desktop_qa.core.reader import Answer, OnnxQAModel, choose_provider
from tests.oracle import OracleLogits, token_span

PASSAGE = " ".join(
    f"Sentence {i} tells that the castle number {i} was built in year {1000 + i}."
    for i in range(120)
)


def test_auto_provider_prefers_cuda_then_directml_then_cpu() -> None:
    cpu = "CPUExecutionProvider"
    assert choose_provider("auto", [cpu]) == "cpu"
    assert choose_provider("auto", ["DmlExecutionProvider", cpu]) == "directml"
    assert choose_provider("auto", ["DmlExecutionProvider", "CUDAExecutionProvider", cpu]) == "cuda"
    assert choose_provider("cpu", ["CUDAExecutionProvider", cpu]) == "cpu"
    with pytest.raises(ProviderError, match="'cuda' is not available here"):
        choose_provider("cuda", [cpu])


def test_onnx_model_reports_its_provider_and_gives_logits_per_token(tiny_model: Path) -> None:
    model = OnnxQAModel(load_model_info(tiny_model), "auto")
    assert model.provider == "cpu"
    tokenizer = QATokenizer.from_file(tiny_model / "tokenizer.json")
    tokens = tokenize_document(tokenizer, PASSAGE)
    question = tokenize_question(tokenizer, "When was castle 7 built?", 64)
    windows = plan_windows(tokens, 200, 50)
    batch = encode_windows(tokenizer.template, question, tokens, windows[:3])
    start, end = model.logits(batch)
    assert start.shape == end.shape == batch.input_ids.shape
    assert np.isfinite(start).all() and np.isfinite(end).all()


def test_padding_a_window_in_a_batch_does_not_change_its_logits(tiny_model: Path) -> None:
    model = OnnxQAModel(load_model_info(tiny_model), "cpu")
    tokenizer = QATokenizer.from_file(tiny_model / "tokenizer.json")
    tokens = tokenize_document(tokenizer, PASSAGE)
    question = tokenize_question(tokenizer, "When was castle 7 built?", 64)
    full, short = Window(0, 200), Window(300, 337)
    alone = model.logits(encode_windows(tokenizer.template, question, tokens, [short]))
    padded = model.logits(encode_windows(tokenizer.template, question, tokens, [full, short]))
    width = alone[0].shape[1]
    np.testing.assert_allclose(padded[0][1, :width], alone[0][0], atol=1e-4)
    np.testing.assert_allclose(padded[1][1, :width], alone[1][0], atol=1e-4)


def test_graph_without_token_type_ids_gets_none(tiny_model: Path, tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    graph = onnx.load(str(tiny_model / "model.onnx"))
    token_types = next(i for i in graph.graph.input if i.name == "token_type_ids")
    graph.graph.input.remove(token_types)
    # DistilBERT-style: no token_type_ids input; the graph makes its own zeros.
    shape = onnx.helper.make_node("Shape", ["input_ids"], ["ids_shape"])
    zeros = onnx.helper.make_node(
        "ConstantOfShape",
        ["ids_shape"],
        ["token_type_ids"],
        value=onnx.helper.make_tensor("zero", onnx.TensorProto.INT64, [1], [0]),
    )
    nodes = [shape, zeros, *graph.graph.node]
    del graph.graph.node[:]
    graph.graph.node.extend(nodes)
    folder = tmp_path / "distil-like"
    folder.mkdir()
    onnx.save(graph, str(folder / "model.onnx"))
    (folder / "tokenizer.json").write_bytes((tiny_model / "tokenizer.json").read_bytes())
    model = OnnxQAModel(load_model_info(folder), "cpu")
    assert set(model.input_types) == {"input_ids", "attention_mask"}
    tokenizer = QATokenizer.from_file(folder / "tokenizer.json")
    tokens = tokenize_document(tokenizer, PASSAGE)
    question = tokenize_question(tokenizer, "When?", 64)
    batch = encode_windows(tokenizer.template, question, tokens, plan_windows(tokens, 100, 20)[:2])
    start, _ = model.logits(batch)
    assert start.shape == batch.input_ids.shape


def test_broken_model_files_are_reported(tiny_model: Path, tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"not an onnx graph")
    (folder / "tokenizer.json").write_bytes((tiny_model / "tokenizer.json").read_bytes())
    with pytest.raises(BrokenModelError, match="cannot be loaded"):
        OnnxQAModel(load_model_info(folder), "cpu")
    (folder / "tokenizer.json").write_text("{")
    with pytest.raises(BrokenModelError, match="tokenizer"):
        QATokenizer.from_file(folder / "tokenizer.json")


def oracle_assistant(model_dir: Path, oracle: OracleLogits, **settings: object) -> Assistant:
    return Assistant(load_model_info(model_dir), ReaderSettings(**settings), oracle)  # type: ignore[arg-type]


def test_answer_in_the_overlap_of_two_windows_is_returned_once(tiny_model: Path) -> None:
    oracle = OracleLogits(None)
    assistant = oracle_assistant(tiny_model, oracle, max_seq_len=200, stride=64, top_k=5)
    opened = assistant.prepare(Document.from_text(PASSAGE))
    first, second = opened.windows[0], opened.windows[1]
    starts_word = opened.tokens.boundary >= 0  # answers start and end on word boundaries
    target = next(
        t for t in range(second.token_start + 5, first.token_end - 3)
        if starts_word[t] and starts_word[t + 3]
    )  # fmt: skip
    assert target < first.token_end
    oracle.span = (target, target + 2)
    result = assistant.ask(opened, "Which castle?", thorough=True)
    read = [w for b in oracle.batches for w in b.windows][: result.windows]
    assert len(read) == len(opened.windows) == result.windows  # then the answers' blocks
    assert sum(1 for w in read if w.token_start <= target < w.token_end) == 2
    start, end = opened.tokens.offsets[target, 0], opened.tokens.offsets[target + 2, 1]
    matching = [a for a in result.answers if (a.char_start, a.char_end) == (start, end)]
    assert len(matching) == 1 and result.answers[0] == matching[0]
    assert result.answers[0].text == PASSAGE[start:end]


def volcano_text(at: int) -> str:
    """400 short paragraphs about meadows, one (number ``at``) about volcanoes."""
    return " ".join(
        f"Paragraph {i} is about {'volcanoes erupting lava' if i == at else 'quiet meadows'}."
        for i in range(400)
    )


def test_retrieval_reads_the_best_matching_windows_first_and_widens_when_weak(
    tiny_model: Path,
) -> None:
    text = volcano_text(at=37)
    oracle = OracleLogits(None)
    assistant = oracle_assistant(tiny_model, oracle, max_seq_len=128, stride=16, retrieval_k=2)
    opened = assistant.prepare(Document.from_text(text))
    assert len(opened.windows) > 20
    start = text.index("volcanoes erupting lava")
    oracle.span = token_span(opened.tokens, start, start + len("volcanoes erupting lava"))
    found = assistant.ask(opened, "What do volcanoes erupt?")
    assert found.answers[0].text == "volcanoes erupting lava"
    assert found.windows == 2 and found.windows_total == len(opened.windows)

    oracle.batches.clear()
    oracle.span = None  # nothing scores well: reading widens round by round, max_rounds of them
    widened = assistant.ask(opened, "What do volcanoes erupt?")
    assert widened.windows == 2 * assistant.settings.max_rounds
    # A batch of windows a round, then one of the listed answers' blocks read alone (an
    # uncalibrated model decides widening without them, so they are read once, at the end).
    rounds = assistant.settings.max_rounds
    assert len(oracle.batches) == rounds + 1 > 2
    assert all(
        len(b.windows) == 2 and set(b.windows) <= set(opened.windows)
        for b in oracle.batches[:rounds]
    )


def test_an_answer_from_a_window_that_matches_the_question_beats_a_decoy(
    tiny_model: Path,
) -> None:
    text = volcano_text(40).replace("Paragraph 300 is about quiet meadows", "Paragraph 300 is 7 km")
    settings = {"max_seq_len": 128, "stride": 16}
    opened = oracle_assistant(tiny_model, OracleLogits(None), **settings).prepare(
        Document.from_text(text)
    )
    gold = text.index("volcanoes erupting lava")
    decoy = text.index("7 km")
    spans = {
        token_span(opened.tokens, gold, gold + len("volcanoes erupting lava")): 10.0,
        token_span(opened.tokens, decoy, decoy + len("7 km")): 10.5,  # the model likes it more
    }
    question = "What do volcanoes erupt?"
    for weight, expected in ((5.0, "volcanoes erupting lava"), (0.0, "7 km")):
        oracle = OracleLogits(None, others=spans)
        assistant = oracle_assistant(tiny_model, oracle, retrieval_weight=weight, **settings)
        result = assistant.ask(opened, question, thorough=True)
        assert result.answers[0].text == expected
        assert result.reader_best == pytest.approx(21.0)
    assert result.answers[0].score == pytest.approx(21.0)  # no bonus: the decoy's window
    # matches no question word


def test_widening_looks_at_the_models_own_score_not_the_bonus(tiny_model: Path) -> None:
    text = volcano_text(40)
    settings = {"max_seq_len": 128, "stride": 16, "retrieval_k": 2, "retrieval_weight": 5.0}
    oracle = OracleLogits(None)
    assistant = oracle_assistant(tiny_model, oracle, **settings)
    opened = assistant.prepare(Document.from_text(text))
    gold = text.index("volcanoes erupting lava")
    oracle.others = {token_span(opened.tokens, gold, gold + len("volcanoes erupting lava")): 2.0}
    result = assistant.ask(opened, "What do volcanoes erupt?")
    assert result.answers[0].text == "volcanoes erupting lava"
    assert result.answers[0].score == pytest.approx(4.0 + 5.0)  # the best match's full bonus
    assert result.reader_best == pytest.approx(4.0)
    assert assistant.settings.widen_below > 4.0
    assert result.windows == 2 * assistant.settings.retrieval_k  # widened for max_rounds
    everything = oracle_assistant(tiny_model, oracle, **settings, max_rounds=0)
    widest = everything.ask(
        everything.prepare(Document.from_text(text)), "What do volcanoes erupt?"
    )
    assert widest.windows == len(opened.windows)  # max_rounds 0: until every window is read


def test_no_answer_model_says_so_when_the_null_score_wins(tiny_no_answer_model: Path) -> None:
    document = Document.from_text(PASSAGE)
    oracle = OracleLogits(None, null_logit=20.0)
    assistant = oracle_assistant(tiny_no_answer_model, oracle)
    opened = assistant.prepare(document)
    result = assistant.ask(opened, "Who painted the Mona Lisa?")
    assert result.no_answer and result.null_score == pytest.approx(40.0)
    # The best guesses are still listed beneath "not found", without a made-up confidence.
    assert result.answers and all(a.confidence is None for a in result.answers)

    start = PASSAGE.index("year 1007")
    oracle.span = token_span(opened.tokens, start, start + len("year 1007"))
    oracle.null_logit = 0.0
    answered = assistant.ask(opened, "When was castle 7 built?")
    assert not answered.no_answer and answered.answers[0].text == "year 1007"
    strict = oracle_assistant(tiny_no_answer_model, oracle, no_answer_threshold=-25.0)
    assert strict.ask(strict.prepare(document), "When was castle 7 built?").no_answer


def test_model_without_no_answer_support_always_answers(tiny_model: Path) -> None:
    oracle = OracleLogits(None, null_logit=20.0)
    assistant = oracle_assistant(tiny_model, oracle)
    result = assistant.ask(assistant.prepare(Document.from_text(PASSAGE)), "Anything?")
    assert not result.no_answer and result.answers
    assert result.null_score == pytest.approx(40.0)  # reported, but it decides nothing


def test_progress_is_reported_and_cancel_stops_between_batches(tiny_model: Path) -> None:
    oracle = OracleLogits(None)
    assistant = oracle_assistant(tiny_model, oracle, max_seq_len=128, stride=32, batch_size=2)
    opened = assistant.prepare(Document.from_text(PASSAGE))
    seen: list[tuple[int, int]] = []
    result = assistant.ask(opened, "Which year?", progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (result.windows, result.windows) and len(seen) == -(-result.windows // 2)
    calls = iter([False, False, True])
    with pytest.raises(CancelledError):
        assistant.ask(opened, "Which year?", cancelled=lambda: next(calls))


def test_the_model_uses_the_threads_it_is_given(tiny_model: Path) -> None:
    info = load_model_info(tiny_model)
    assert (
        OnnxQAModel(info, "cpu", threads=1).session.get_session_options().intra_op_num_threads == 1
    )
    assistant = Assistant(info, ReaderSettings(threads=2))
    model = assistant.reader.model
    assert isinstance(model, OnnxQAModel)
    options = model.session.get_session_options()
    assert options.intra_op_num_threads == 2
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    with pytest.raises(InputError, match="threads"):
        ReaderSettings(threads=-1)


def test_a_thorough_read_reports_better_answers_as_they_come(tiny_model: Path) -> None:
    text = volcano_text(at=300)
    oracle = OracleLogits(None)
    assistant = oracle_assistant(tiny_model, oracle, max_seq_len=128, stride=16, batch_size=2)
    opened = assistant.prepare(Document.from_text(text))
    start = text.index("volcanoes erupting lava")
    oracle.span = token_span(opened.tokens, start, start + len("volcanoes erupting lava"))
    interim: list[tuple[int, list[str], float]] = []

    def better(answers: list[Answer]) -> None:
        interim.append((len(oracle.batches), [a.text for a in answers], answers[0].score))

    result = assistant.ask(opened, "Where is the fire?", thorough=True, on_better=better)
    assert result.windows == len(opened.windows)
    assert len(interim) >= 2 and interim[0][0] == 1, "the first batch already shows answers"
    scores = [score for _, _, score in interim]
    assert scores == sorted(scores) and len(set(scores)) == len(scores)
    assert interim[-1][1][0] == result.answers[0].text == "volcanoes erupting lava"
    assert assistant.ask(opened, "Where is the fire?", thorough=True).answers == result.answers
