"""The command line, run as a user would run it, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from desktop_qa.core import errors
from tests.checkpoints import checkpoint
from tests.conftest import shared_file
from tests.hub_server import HubServer
from tests.pdfs import encrypted_pdf, scanned_pdf, text_pdf

ANSWER_KEYS = {"text", "score", "page", "char_start", "char_end", "boxes"}


def run(*args: str | Path, check_code: int | None = 0) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DESKTOP_QA_MODEL"}
    completed = subprocess.run(
        [sys.executable, "-m", "desktop_qa", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    if check_code is not None:
        assert completed.returncode == check_code, completed.stderr
    return completed


def test_help_imports_neither_onnxruntime_nor_qt() -> None:
    code = (
        "import sys; from desktop_qa.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = ('onnxruntime', 'PySide6', 'pymupdf', 'tokenizers')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "ask" in completed.stdout
    assert "HEAVY []" in completed.stdout


def test_ask_prints_readable_answers_with_pages(tiny_model: Path) -> None:
    alexnet = shared_file("corpus", "alexnet.pdf")
    completed = run("ask", alexnet, "How many parameters?", "--model", tiny_model, "--top-k", "3")
    lines = completed.stdout.splitlines()
    assert lines[0] == "Q: How many parameters?"
    assert sum(1 for line in lines if line.strip().startswith("page ")) == 3
    assert "alexnet.pdf, 9 pages" in completed.stdout
    assert "stand-in model" in completed.stderr and "meaningless" in completed.stderr


def test_ask_json_has_the_documented_fields_and_answers_match_the_text(tiny_model: Path) -> None:
    alexnet = shared_file("corpus", "alexnet.pdf")
    completed = run("ask", alexnet, "What is dropout?", "--model", tiny_model, "--json")
    payload = json.loads(completed.stdout)
    assert set(payload) >= {
        "question",
        "document",
        "answers",
        "no_answer",
        "provider",
        "elapsed_ms",
    }
    assert payload["question"] == "What is dropout?"
    assert payload["document"]["path"] == str(alexnet)
    assert payload["document"]["pages"] == 9 and len(payload["document"]["sha256"]) == 64
    assert payload["provider"] == "cpu" and payload["no_answer"] is False
    assert 1 <= len(payload["answers"]) <= 5
    for answer in payload["answers"]:
        assert set(answer) >= ANSWER_KEYS
        assert 1 <= answer["page"] <= 9 and answer["char_end"] > answer["char_start"]
        assert all(len(box) == 4 and box[0] < box[2] and box[1] < box[3] for box in answer["boxes"])
    scores = [a["score"] for a in payload["answers"]]
    assert scores == sorted(scores, reverse=True)


def test_questions_file_gives_one_json_line_per_question(tiny_model: Path, tmp_path: Path) -> None:
    questions = tmp_path / "questions.txt"
    questions.write_text("What is ImageNet?\n\nHow many GPUs were used?\nWho wrote it?\n")
    alexnet = shared_file("corpus", "alexnet.pdf")
    completed = run("ask", alexnet, "--questions", questions, "--model", tiny_model)
    rows = [json.loads(line) for line in completed.stdout.splitlines()]
    assert [r["question"] for r in rows] == [
        "What is ImageNet?", "How many GPUs were used?", "Who wrote it?",
    ]  # fmt: skip
    assert all(r["document"]["sha256"] == rows[0]["document"]["sha256"] for r in rows)


def test_eval_squad_writes_official_predictions_and_prints_the_v2_split(
    tiny_no_answer_model: Path, tmp_path: Path
) -> None:
    dataset = shared_file("squad", "dev-v2.0-sample.json")
    predictions = tmp_path / "predictions.json"
    completed = run(
        "eval-squad", dataset, "--predictions", predictions, "--model", tiny_no_answer_model
    )
    scores = json.loads(completed.stdout)
    data = json.loads(dataset.read_text())
    qids = {qa["id"] for a in data["data"] for p in a["paragraphs"] for qa in p["qas"]}
    written = json.loads(predictions.read_text())
    assert set(written) == qids and all(isinstance(v, str) for v in written.values())
    assert scores["total"] == len(qids)
    assert scores["HasAns_total"] + scores["NoAns_total"] == len(qids)
    progress = [line for line in completed.stderr.splitlines() if "questions answered" in line]
    assert progress[-1].startswith(f"{len(qids)} of {len(qids)} questions answered (100%")
    assert len(progress) == 20  # every 5%
    for key in ("exact", "f1", "HasAns_exact", "HasAns_f1", "NoAns_exact", "NoAns_f1"):
        assert 0.0 <= scores[key] <= 100.0


def test_eval_squad_can_ask_each_question_of_its_whole_article(
    tiny_no_answer_model: Path, tmp_path: Path
) -> None:
    dataset = shared_file("squad", "dev-v2.0-sample.json")
    predictions = tmp_path / "predictions.json"
    completed = run(
        "eval-squad", dataset, "--predictions", predictions, "--model", tiny_no_answer_model,
        "--whole-articles", "--retrieval-k", "2",
    )  # fmt: skip
    assert json.loads(completed.stdout)["total"] > 0
    data = json.loads(dataset.read_text())["data"]
    article = "\n\n".join(p["context"] for p in data[0]["paragraphs"])
    written = json.loads(predictions.read_text())
    assert all(answer in article for answer in written.values())
    assert any(  # some answers come from another paragraph than the question's own
        answer and answer not in p["context"]
        for p in data[0]["paragraphs"]
        for answer in (written[qa["id"]] for qa in p["qas"])
    )


def write_text_file(path: Path) -> Path:
    path.write_text("plain text, not a PDF")
    return path


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("missing", errors.DocumentNotFoundError),
        ("not_pdf", errors.NotAPDFError),
        ("encrypted", errors.EncryptedPDFError),
        ("scanned", errors.NoTextLayerError),
        ("empty_question", errors.EmptyQuestionError),
        ("broken_model", errors.BrokenModelError),
        ("missing_model", errors.ModelNotFoundError),
        ("bad_stride", errors.InputError),
    ],
)
def test_bad_input_gets_one_clear_line_and_its_own_exit_code(
    case: str, error: type[errors.DesktopQAError], tiny_model: Path, tmp_path: Path
) -> None:
    good_pdf = text_pdf(tmp_path / "good.pdf", ["The castle was built in 1066."])
    broken_model = tmp_path / "broken-model"
    broken_model.mkdir()
    (broken_model / "tokenizer.json").write_text("{}")
    (broken_model / "model.onnx").write_bytes(b"\x00garbage")
    arguments: dict[str, list[str | Path]] = {
        "missing": [tmp_path / "absent.pdf", "Why?", "--model", tiny_model],
        "not_pdf": [write_text_file(tmp_path / "a.pdf"), "Why?", "--model", tiny_model],
        "encrypted": [encrypted_pdf(tmp_path / "e.pdf", "pw"), "Why?", "--model", tiny_model],
        "scanned": [scanned_pdf(tmp_path / "s.pdf"), "Why?", "--model", tiny_model],
        "empty_question": [good_pdf, "   ", "--model", tiny_model],
        "broken_model": [good_pdf, "When?", "--model", broken_model],
        "missing_model": [good_pdf, "When?", "--model", tmp_path / "no-such-model"],
        "bad_stride": [good_pdf, "When?", "--model", tiny_model, "--stride", "600"],
    }
    completed = run("ask", *arguments[case], check_code=None)
    assert completed.returncode == error.exit_code
    assert completed.stdout == ""
    lines = completed.stderr.strip().splitlines()
    assert lines[-1].startswith("desktop-qa: error: ")
    assert "Traceback" not in completed.stderr
    assert len([line for line in lines if "error" in line]) == 1


def test_exit_codes_are_distinct() -> None:
    classes = [
        value for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.DesktopQAError)
    ]  # fmt: skip
    codes = [cls.exit_code for cls in classes]
    assert len(codes) == len(set(codes))
    assert all(code not in (0, 2) for code in codes)  # 2 is argparse's usage error


def test_encrypted_pdf_opens_with_its_password(tiny_model: Path, tmp_path: Path) -> None:
    path = encrypted_pdf(tmp_path / "e.pdf", "pw")
    completed = run(
        "ask", path, "What launch?", "--model", tiny_model, "--password", "pw", "--json"
    )
    assert json.loads(completed.stdout)["document"]["pages"] == 1


def test_model_import_list_verify_remove(tiny_model: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    env_run = {**os.environ, "DESKTOP_QA_DATA_DIR": str(data)}

    def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "desktop_qa", *map(str, args)],
            capture_output=True, text=True, env=env_run, timeout=240,
        )  # fmt: skip

    source = checkpoint(tmp_path / "bert-qa", tiny_model / "tokenizer.json")
    imported = cli("model", "import", source, "--name", "mine")
    assert imported.returncode == 0, imported.stderr
    assert "installed mine" in imported.stdout and "verify passed" in imported.stdout
    listed = json.loads(cli("model", "list", "--json").stdout)["models"]
    assert [m["name"] for m in listed if m["where"] == "installed"] == ["mine"]
    verified = cli("model", "verify", "mine")
    assert verified.returncode == 0 and "verify passed" in verified.stdout
    refused = cli("model", "remove", "mine")
    assert refused.returncode == errors.InputError.exit_code and "--yes" in refused.stderr
    removed = cli("model", "remove", "mine", "--yes")
    assert removed.returncode == 0 and not (data / "models" / "mine").exists()
    missing = cli("model", "remove", "mine", "--yes")
    assert missing.returncode == errors.ModelNotFoundError.exit_code


def test_model_install_through_a_mirror_then_offline_from_the_hub_cache(
    tiny_model: Path, tmp_path: Path
) -> None:
    """The catalogue's distilbert entry, served by a hub-compatible mirror (HF_ENDPOINT)."""
    hub = HubServer(tmp_path / "served")
    served = hub.add_commit("distilbert/distilbert-base-cased-distilled-squad", "3" * 40)
    checkpoint(served, tiny_model / "tokenizer.json")
    vocab = json.loads((served / "tokenizer.json").read_text())["model"]["vocab"]
    (served / "vocab.txt").write_text("\n".join(sorted(vocab, key=vocab.get)) + "\n")
    (served / "tokenizer_config.json").write_text("{}")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING", "DESKTOP_QA_"))
    }
    env |= {"DESKTOP_QA_DATA_DIR": str(tmp_path / "data"), "HF_HOME": str(tmp_path / "hf")}

    def cli(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "desktop_qa", "model", *args],
            capture_output=True, text=True, env=env | extra, timeout=240,
        )  # fmt: skip

    name = "distilbert-base-cased-distilled-squad"
    installed = cli("install", name, HF_ENDPOINT=hub.endpoint)
    assert installed.returncode == 0, installed.stderr
    assert "model.safetensors:" in installed.stderr and f"installed {name}" in installed.stdout
    assert cli("remove", name, "--yes").returncode == 0
    hub.close()
    again = cli("install", name, HF_HUB_OFFLINE="1")
    assert again.returncode == 0, again.stderr
    missing = cli("install", "roberta-base-squad2", HF_HUB_OFFLINE="1")
    assert missing.returncode == errors.NetworkError.exit_code
    assert "HF_HUB_OFFLINE" in missing.stderr and "Traceback" not in missing.stderr


def test_ask_records_history_that_survives_a_rename_and_exports(
    tiny_model: Path, tmp_path: Path
) -> None:
    pdf = text_pdf(tmp_path / "castle.pdf", ["The castle was built in 1066 by the duke."])
    run("ask", pdf, "When was the castle built?", "--model", tiny_model)
    run("ask", pdf, "Who built it?", "--model", tiny_model, "--json")
    run("ask", pdf, "Not kept?", "--model", tiny_model, "--no-history")
    moved = pdf.rename(tmp_path / "renamed.pdf")

    listed = json.loads(run("history", "--document", moved, "--json").stdout)
    assert [q["question"] for q in listed["questions"]] == [
        "Who built it?",
        "When was the castle built?",
    ]
    assert listed["questions"][0]["answers"][0]["page"] == 1
    # A word of one question only (the document, and so no answer, holds it).
    found = run("history", "--search", "when").stdout
    assert "When was the castle built?" in found and "Who built it?" not in found

    out = tmp_path / "log.md"
    exported = run("export", "--document", moved, "--format", "md", "-o", out)
    assert "exported 2 questions" in exported.stdout
    assert "### When was the castle built?" in out.read_text()
    annotated = tmp_path / "annotated.pdf"
    run("export", "--document", moved, "--format", "pdf", "-o", annotated)
    with pymupdf.open(annotated) as pdf_out:
        assert len(list(pdf_out[0].annots())) >= 2

    answer_id = listed["questions"][0]["answers"][0]["id"]
    assert run("history", "mark", str(answer_id), "wrong").stdout.strip().endswith("wrong")
    marked = json.loads(run("history", "--search", "built", "--json").stdout)["questions"]
    assert [a["verdict"] for q in marked for a in q["answers"] if a["id"] == answer_id] == [False]

    refused = run("history", "delete", "--all", check_code=None)
    assert refused.returncode == errors.InputError.exit_code and "--yes" in refused.stderr
    first_id = listed["questions"][1]["id"]
    assert "deleted 1 question" in run("history", "delete", str(first_id), "--yes").stdout
    assert "deleted 1 question" in run("history", "delete", "--all", "--yes").stdout
    assert "no questions" in run("history").stdout


def test_a_damaged_history_file_is_moved_aside_with_a_message(tiny_model: Path) -> None:
    data = Path(os.environ["DESKTOP_QA_DATA_DIR"])
    data.mkdir(parents=True, exist_ok=True)
    (data / "history.sqlite3").write_bytes(b"garbage" * 1000)
    completed = run("history")
    assert "damaged" in completed.stderr and "history.damaged-" in completed.stderr
    assert list(data.glob("history.damaged-*.sqlite3"))


def test_no_command_opens_the_app_or_says_there_is_no_screen() -> None:
    env = {
        k: v for k, v in os.environ.items()
        if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")
    }  # fmt: skip
    completed = subprocess.run(
        [sys.executable, "-m", "desktop_qa"], capture_output=True, text=True, env=env, timeout=60
    )
    assert completed.returncode == errors.DesktopQAError.exit_code
    assert "no screen" in completed.stderr and "Traceback" not in completed.stderr


def test_ask_a_library_ranks_answers_from_every_document_together(
    tiny_model: Path, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    (library / "nested").mkdir(parents=True)
    alexnet = shared_file("corpus", "alexnet.pdf")
    (library / "alexnet.pdf").write_bytes(alexnet.read_bytes())
    (library / "nested" / "castle.pdf").write_bytes(
        text_pdf(tmp_path / "c.pdf", ["The castle was built in 1066 by the duke."]).read_bytes()
    )
    (library / "broken.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    completed = run(
        "ask", "--library", library, "When was the castle built?", "--model", tiny_model,
        "--json", "--retrieval-k", "0",
    )  # fmt: skip
    payload = json.loads(completed.stdout)
    assert {Path(d["path"]).name for d in payload["documents"]} == {"alexnet.pdf", "castle.pdf"}
    assert "skipping" in completed.stderr and "broken.pdf" in completed.stderr
    assert payload["windows"] == payload["windows_total"] > 2
    scores = [a["score"] for a in payload["answers"]]
    assert scores == sorted(scores, reverse=True) and len(scores) == 5
    for answer in payload["answers"]:
        assert Path(answer["document"]).name in {"alexnet.pdf", "castle.pdf"}
        assert answer["page"] >= 1 and answer["boxes"]

    readable = run("ask", alexnet, library / "nested" / "castle.pdf", "Who built it?",
                   "--model", tiny_model).stdout  # fmt: skip
    assert "2 documents" in readable and ", page " in readable


def test_eval_squad_prints_ece_and_no_answer_accuracy_for_a_calibrated_model(
    tiny_no_answer_model: Path, tmp_path: Path
) -> None:
    from tests.oracle import calibrated_copy

    model = calibrated_copy(tiny_no_answer_model, tmp_path / "calibrated", threshold=0.5)
    dataset = shared_file("squad", "dev-v2.0-sample.json")
    predictions = tmp_path / "predictions.json"
    completed = run(
        "eval-squad", dataset, "--predictions", predictions, "--model", model,
        "--whole-articles", "--retrieval-k", "2",
    )  # fmt: skip
    scores = json.loads(completed.stdout)
    assert 0.0 <= scores["ece"] <= 1.0 and scores["confidence_total"] == scores["total"]
    data = json.loads(dataset.read_text())["data"]
    unanswerable = [qa["id"] for p in data[0]["paragraphs"] for qa in p["qas"] if not qa["answers"]]
    written = json.loads(predictions.read_text())
    said_not_found = sum(written[qid] == "" for qid in unanswerable)
    assert scores["no_answer_accuracy"] == round(100 * said_not_found / len(unanswerable), 2)
    assert scores["NoAns_exact"] == pytest.approx(scores["no_answer_accuracy"], abs=0.01)
