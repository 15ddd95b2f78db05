"""The training command end to end on a tiny synthetic SQuAD file and a tiny encoder."""

from __future__ import annotations

import json
from dataclasses import replace
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest

from desktop_qa.core.config import TrainConfig
from desktop_qa.core.model import load_model_info
from tests.checkpoints import checkpoint, mpnet_checkpoint

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from desktop_qa.core.training import (  # noqa: E402
    CHECKPOINT_NAME,
    batch_plan,
    emulated_bf16_warning,
    fitted_levels,
    held_out_parts,
    shared_normalization_loss,
    split_articles,
    stage_samples,
    train,
    training_device,
)


def synthetic_squad(path: Path, articles: int = 6) -> Path:
    """Articles about made-up castles; every answer is a span of its context."""
    data = []
    for a in range(articles):
        paragraphs = []
        for p in range(3):
            year = 1000 + 37 * a + p
            context = (
                f"Castle {a}-{p} stands on the hill of town {a}. It was built in {year} "
                f"by the order of count {a * 3 + p}. The walls are {p + 4} metres thick."
            )
            qas = [
                {"id": f"{a}-{p}-year", "question": f"When was castle {a}-{p} built?",
                 "answers": [{"text": str(year), "answer_start": context.index(str(year))}]},
                {"id": f"{a}-{p}-walls", "question": "How thick are the walls?",
                 "answers": [{"text": f"{p + 4} metres",
                              "answer_start": context.index(f"{p + 4} metres")}]},
            ]  # fmt: skip
            paragraphs.append({"context": context, "qas": qas})
        data.append({"title": f"Castles of town {a}", "paragraphs": paragraphs})
    path.write_text(json.dumps({"version": "1.1", "data": data}))
    return path


@pytest.fixture(scope="module")
def tiny_base(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random BERT encoder in save_pretrained layout, with the stand-in tokenizer."""
    folder = tmp_path_factory.mktemp("base")
    return checkpoint(folder, tiny_model / "tokenizer.json", qa_head=False)


def tiny_run(base: Path, tmp_path: Path, out: str, **recipe: Any) -> TrainConfig:
    """A recipe small enough for a test: the castle articles, 128-token windows, batches of 4."""
    return TrainConfig(
        base=base, data=synthetic_squad(tmp_path / "train.json"), out=tmp_path / out,
        max_seq_len=128, stride=32, batch_size=4, validation_articles=2, **recipe,
    )  # fmt: skip


def test_validation_split_is_by_article_whatever_the_file_order(tmp_path: Path) -> None:
    data = synthetic_squad(tmp_path / "train.json")
    train_articles, held_out = split_articles(data, 2)
    assert not {a["title"] for a in train_articles} & {a["title"] for a in held_out}
    assert len(train_articles) + len(held_out) == 6
    content = json.loads(data.read_text())
    content["data"].reverse()
    reordered = tmp_path / "reordered.json"
    reordered.write_text(json.dumps(content))
    _, held_out_again = split_articles(reordered, 2)
    assert [a["title"] for a in held_out_again] == [a["title"] for a in held_out]


def planned_steps(config: TrainConfig) -> int:
    """How many steps a recipe's plan has."""
    from desktop_qa.core.chunking import QATokenizer
    from desktop_qa.core.training_data import make_features

    articles, _ = split_articles(config.data, config.validation_articles)
    features, _ = make_features(
        articles, QATokenizer.from_file(config.base / "tokenizer.json"), config
    )
    lengths = np.array([len(ids) for ids in features.input_ids])
    return len(batch_plan(lengths, config.batch_size, config.epochs, config.seed, features.groups))


def test_shared_normalization_is_one_softmax_over_a_questions_windows() -> None:
    rng = np.random.default_rng(0)
    start, end = (torch.tensor(rng.normal(size=(3, 6)), requires_grad=True) for _ in range(2))
    allowed = torch.ones((3, 6), dtype=torch.bool)
    allowed[:, 1:3] = False  # the question's tokens: never an answer
    allowed[2, 5] = False  # padding
    gold_start = torch.zeros((3, 6), dtype=torch.bool)
    gold_end = torch.zeros((3, 6), dtype=torch.bool)
    gold_start[1, 3] = gold_end[1, 4] = True  # the answer is in the second window only
    loss = shared_normalization_loss(start, end, allowed, gold_start, gold_end, [(0, 3)])

    def softmax_nll(logits: np.ndarray, row: int, column: int) -> float:
        flat = np.where(allowed.numpy(), logits, -np.inf).reshape(-1)
        log_probabilities = flat - np.log(np.exp(flat[np.isfinite(flat)]).sum())
        return float(-log_probabilities[row * 6 + column])

    expected = softmax_nll(start.detach().numpy(), 1, 3) + softmax_nll(end.detach().numpy(), 1, 4)
    assert float(loss.detach()) == pytest.approx(expected / 2)
    # Each window on its own would not be one softmax: the loss is not their sum.
    separate = shared_normalization_loss(start, end, allowed, gold_start, gold_end, [(1, 2)])
    assert float(separate.detach()) < float(loss.detach())
    loss.backward()
    assert start.grad is not None and float(start.grad[0, 0]) > 0  # other windows pushed down


def test_a_question_no_window_answers_is_trained_toward_cls() -> None:
    logits = torch.zeros((2, 5), requires_grad=True)
    allowed = torch.ones((2, 5), dtype=torch.bool)
    gold = torch.zeros((2, 5), dtype=torch.bool)
    gold[:, 0] = True  # [CLS] of every window, as _pad labels such a group
    optimizer = torch.optim.SGD([logits], lr=1.0)
    losses = []
    for _ in range(20):
        loss = shared_normalization_loss(logits, logits, allowed, gold, gold, [(0, 2)])
        losses.append(float(loss.detach()))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert losses[-1] < losses[0] / 4
    probabilities = torch.softmax(logits.detach().reshape(-1), 0).reshape(2, 5)
    assert float(probabilities[:, 0].sum()) > 0.9


def test_a_step_holds_whole_groups_and_labels_unanswered_ones_at_cls(
    tiny_base: Path, tmp_path: Path
) -> None:
    from desktop_qa.core.chunking import QATokenizer
    from desktop_qa.core.training import _pad
    from desktop_qa.core.training_data import make_features

    config = tiny_run(tiny_base, tmp_path, "run", unanswerable_fraction=0.5, seed=1)
    articles, _ = split_articles(config.data, config.validation_articles)
    features, _ = make_features(
        articles, QATokenizer.from_file(tiny_base / "tokenizer.json"), config
    )
    lengths = np.array([len(ids) for ids in features.input_ids])
    plan = batch_plan(lengths, config.batch_size, 1.0, config.seed, features.groups)
    assert sorted(np.concatenate(plan).tolist()) == list(range(len(features)))
    unanswered = 0
    for step in plan:
        batch = _pad(features, step)
        covered = [row for first, end in batch["groups"] for row in range(first, end)]
        assert covered == list(range(len(step)))
        for first, end in batch["groups"]:
            golds = batch["gold_starts"][first:end]
            if not any(features.starts[int(i)] for i in step[first:end]):
                unanswered += 1
                assert golds[:, 0].all() and int(golds.sum()) == end - first
            else:
                assert not golds[:, 0].any() and int(golds.sum()) >= 1
    assert unanswered > 0


def test_the_training_command_runs_a_document_level_slice_end_to_end(
    tiny_base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from desktop_qa.cli import main

    data = synthetic_squad(tmp_path / "train.json")
    code = main([
        "model", "train", "--base", str(tiny_base), "--data", str(data), "--out",
        str(tmp_path / "run"), "--context", "article", "--negatives-per-question", "1",
        "--max-seq-len", "128", "--stride", "32", "--batch-size", "4",
        "--validation-articles", "2", "--limit-questions", "10",
    ])  # fmt: skip
    assert code == 0
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["recipe"]["negatives_per_question"] == "1"
    assert manifest["name"] == f"desktop-qa-{tiny_base.name}-squad"  # named by its base
    assert load_model_info(tmp_path / "run" / "model").no_answer


def test_the_training_command_trains_an_mpnet_shaped_model_without_token_types(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import onnxruntime

    from desktop_qa.cli import main

    base = mpnet_checkpoint(tmp_path / "mpnet-base", qa_head=False)
    code = main([
        "model", "train", "--base", str(base), "--data", str(synthetic_squad(tmp_path / "t.json")),
        "--out", str(tmp_path / "run"), "--negatives-per-question", "1", "--max-seq-len", "128",
        "--stride", "32", "--batch-size", "4", "--validation-articles", "2",
        "--limit-questions", "10", "--name", "desktop-qa-mpnet-squad",
    ])  # fmt: skip
    assert code == 0
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["architecture"] == "mpnet" and manifest["recipe"]["context"] == "article"
    assert manifest["name"] == "desktop-qa-mpnet-squad"
    model = tmp_path / "run" / "model"
    for graph in ("model.onnx", "model_quantized.onnx"):
        inputs = {i.name for i in onnxruntime.InferenceSession(str(model / graph)).get_inputs()}
        assert inputs == {"input_ids", "attention_mask"}
    assert load_model_info(model).no_answer and "f1" in manifest["evaluation"]["int8"]


def test_batches_cover_every_feature_once_per_epoch_and_pad_little() -> None:
    lengths = np.random.default_rng(0).integers(20, 380, size=1000)
    plan = batch_plan(lengths, batch_size=32, epochs=1.0, seed=3)
    assert sorted(np.concatenate(plan).tolist()) == list(range(1000))
    assert plan[0].tolist() == batch_plan(lengths, 32, 1.0, seed=3)[0].tolist()
    padded = sum(len(b) * lengths[b].max() for b in plan)
    assert padded < 1.15 * lengths.sum()
    assert len(batch_plan(lengths, 32, 1.5, seed=3)) == 48


def test_train_resumes_exactly_and_ships_an_evaluated_onnx_model(
    tiny_base: Path, tmp_path: Path
) -> None:
    config = tiny_run(
        tiny_base, tmp_path, "straight", epochs=2.0, checkpoint_every=2, seed=5, learning_rate=1e-3
    )
    log = StringIO()
    manifest = train(config, log)
    assert "ETA" in log.getvalue()

    interrupted = replace(config, out=tmp_path / "resumed", stop_after_steps=3)
    assert train(interrupted, StringIO()) == {"stopped_at_step": 3}
    resumed_log = StringIO()
    resumed = train(replace(interrupted, stop_after_steps=None), resumed_log)
    assert "resuming at step 2" in resumed_log.getvalue()  # the last checkpoint before the stop

    straight = torch.load(config.out / CHECKPOINT_NAME, weights_only=False)["model"]
    again = torch.load(interrupted.out / CHECKPOINT_NAME, weights_only=False)["model"]
    assert straight.keys() == again.keys()
    assert all(torch.equal(straight[k], again[k]) for k in straight)
    for graph in ("fp32", "int8"):
        for score in ("exact", "f1"):
            assert manifest["evaluation"][graph][score] == resumed["evaluation"][graph][score]

    folder = config.out / "model"
    info = load_model_info(folder)
    assert not info.stand_in and info.no_answer and info.max_seq_len == 128
    assert (folder / "model.onnx").is_file() and (folder / "model_quantized.onnx").is_file()
    evaluation = manifest["evaluation"]
    assert evaluation["questions"] == 6 and len(evaluation["articles"]) == 1  # the report half
    assert evaluation["calibrated"]
    for graph in ("fp32", "int8"):
        assert 0 <= evaluation[graph]["exact"] <= evaluation[graph]["f1"] <= 100
    assert 0 <= evaluation["int8_same_answer"] <= 1
    assert manifest["training"]["steps"] == planned_steps(config)
    assert manifest["recipe"]["seed"] == "5" and manifest["recipe"]["context"] == "article"
    assert manifest["no_answer"] and manifest["shared_normalization"]
    # Fitted on the held-out articles set aside for fitting, never those reported on.
    report, fit = held_out_parts(split_articles(config.data, config.validation_articles)[1])
    fitted_on = manifest["calibration"]["fitted_on"]["articles"]
    assert fitted_on == [a["title"] for a in fit] and not set(fitted_on) & {
        a["title"] for a in report
    }
    assert 0 <= manifest["calibration"]["no_answer_threshold"] <= 1.01
    assert info.calibration is not None
    per_row = manifest["int8_per_row"]
    assert per_row == resumed["int8_per_row"]
    operators = {
        node.name: node.op_type
        for node in onnx.load(str(folder / "model_quantized.onnx")).graph.node
    }
    assert all(operators[f"{name}_Q8"] == "MatMulNBits" for name in per_row)
    assert "MatMul" not in operators.values()  # every matrix product in int8

    # A document-level run's calibration is fitted on whole articles alone, as shipped.
    assert manifest["calibration"]["fitted_on"]["levels"] == ["article"]

    # Calibrating again refreshes the figures that count its "not found" answers.
    from desktop_qa.cli import main

    stale = {**manifest, "evaluation": {**evaluation, "int8": {"exact": -1.0, "f1": -1.0}}}
    (folder / "desktop_qa.json").write_text(json.dumps(stale))
    arguments = ["model", "calibrate", str(folder), "--data", str(config.data)]
    arguments += ["--articles", "held-out-fit"]
    assert main([*arguments, "--levels", "article"]) == 0
    refreshed = json.loads((folder / "desktop_qa.json").read_text())
    assert refreshed["calibration"] == manifest["calibration"]  # the same fit, reproduced
    for score in ("exact", "f1"):
        assert refreshed["evaluation"]["int8"][score] == evaluation["int8"][score]

    # A slow model is fitted on, and measured on, a spread of about N questions.
    assert main([*arguments, "--levels", "article", "--limit", "3"]) == 0
    thinned = json.loads((folder / "desktop_qa.json").read_text())
    assert thinned["evaluation"]["questions"] == 3
    fitted_count = manifest["calibration"]["fitted_on"]["questions"]
    assert thinned["calibration"]["fitted_on"]["questions"] < fitted_count

    # Fitted on whole articles and paragraphs: more questions, and the record says so.
    assert main(arguments) == 0
    both = json.loads((folder / "desktop_qa.json").read_text())["calibration"]["fitted_on"]
    assert both["levels"] == ["article", "paragraph"]
    assert both["questions"] > fitted_count


def test_a_checkpoint_of_other_settings_is_not_resumed(tiny_base: Path, tmp_path: Path) -> None:
    from desktop_qa.core.errors import InputError

    config = tiny_run(tiny_base, tmp_path, "run", checkpoint_every=1, stop_after_steps=1)
    train(config, StringIO())
    with pytest.raises(InputError, match="other settings"):
        train(replace(config, learning_rate=5e-5), StringIO())


def test_bf16_mixed_precision_trains_in_bf16_and_is_part_of_the_run_identity(
    tiny_base: Path, tmp_path: Path
) -> None:
    from desktop_qa.core.errors import InputError

    config = tiny_run(
        tiny_base, tmp_path, "fp32", checkpoint_every=1, stop_after_steps=2, learning_rate=1e-3
    )
    mixed = replace(config, out=tmp_path / "bf16", precision="bf16")
    train(config, StringIO())
    train(mixed, StringIO())
    full = torch.load(config.out / CHECKPOINT_NAME, weights_only=False)["model"]
    half = torch.load(mixed.out / CHECKPOINT_NAME, weights_only=False)["model"]
    assert all(half[k].dtype == torch.float32 for k in half)  # master weights stay fp32
    differences = [
        float((full[k] - half[k]).abs().max()) for k in full if full[k].is_floating_point()
    ]
    assert 0 < max(differences) < 0.1  # same steps, rounded matrix products
    with pytest.raises(InputError, match="other settings"):
        train(replace(mixed, precision="fp32"), StringIO())


def test_a_second_stage_starts_from_the_first_stages_weights_and_records_it(
    tiny_base: Path, tmp_path: Path
) -> None:
    from desktop_qa.core.errors import DatasetError, InputError

    first = tiny_run(
        tiny_base, tmp_path, "first", epochs=1.0, learning_rate=1e-3, seed=2, context="paragraph"
    )
    train(first, StringIO())
    # A paragraph model's calibration fits on both levels (whether this tiny model
    # has one depends on its answering some fitting questions right and some wrong).
    assert fitted_levels("paragraph") == ("article", "paragraph")
    # A learning rate of 0 leaves the weights where they started: the first stage's.
    second = replace(first, out=tmp_path / "second", init=first.out, learning_rate=0.0, seed=3)
    manifest = train(second, StringIO())
    before = torch.load(first.out / CHECKPOINT_NAME, weights_only=False)["model"]
    after = torch.load(second.out / CHECKPOINT_NAME, weights_only=False)["model"]
    assert all(torch.equal(before[k], after[k]) for k in before)
    earlier = manifest["recipe"]["init"]
    assert earlier["steps"] == 6 and earlier["recipe"]["seed"] == "2"
    first_scores = load_model_info(first.out / "model").manifest["evaluation"]
    assert earlier["evaluation"] == first_scores  # each stage's held-out scores too
    assert manifest["recipe"]["seed"] == "3" and "base" not in earlier["recipe"]
    assert manifest["version"] == "seed2+3-steps12"
    third = replace(second, out=tmp_path / "third", init=second.out, seed=4)
    lineage = train(third, StringIO())
    assert lineage["version"] == "seed2+3+4-steps18"
    assert lineage["recipe"]["init"]["recipe"]["init"] == earlier  # every stage kept
    assert stage_samples(lineage, third) == [(2, None, False), (3, None, False), (4, None, False)]
    with pytest.raises(InputError, match="an earlier stage held out 2 articles, this one 3"):
        stage_samples(lineage, replace(third, validation_articles=3))
    with pytest.raises(DatasetError, match="the earlier stages trained on every question"):
        fresh = replace(third, out=tmp_path / "fresh", init=third.out, fresh_questions=True)
        train(fresh, StringIO())

    with pytest.raises(InputError, match="--fresh-questions needs --init"):
        train(replace(first, out=tmp_path / "alone", fresh_questions=True), StringIO())
    with pytest.raises(InputError, match="--init needs an earlier run folder"):
        train(replace(second, out=tmp_path / "fourth", init=tmp_path / "nowhere"), StringIO())
    with pytest.raises(InputError, match="other settings"):
        train(replace(second, init=None), StringIO())


def test_a_run_trains_on_a_gpu_where_there_is_one_and_says_so_where_there_is_none() -> None:
    from desktop_qa.core.errors import InputError

    assert training_device("auto", cuda_available=True, torch_build="b") == "cuda"
    assert training_device("auto", cuda_available=False, torch_build="b") == "cpu"
    assert training_device("cpu", cuda_available=True, torch_build="b") == "cpu"
    assert training_device("cuda", cuda_available=True, torch_build="b") == "cuda"
    with pytest.raises(InputError, match=r"sees no CUDA GPU here \(torch 9, a CPU-only build\)"):
        training_device("cuda", cuda_available=False, torch_build="torch 9, a CPU-only build")
    with pytest.raises(InputError, match="device must be one of auto, cpu, cuda"):
        TrainConfig(base=Path("b"), data=Path("d"), out=Path("o"), device="tpu")


def test_bf16_on_a_cpu_without_native_bf16_is_called_out_as_slow() -> None:
    warning = emulated_bf16_warning("bf16", "cpu", native_bf16=False)
    assert warning is not None and "use --precision fp32" in warning
    assert emulated_bf16_warning("bf16", "cpu", native_bf16=True) is None
    assert emulated_bf16_warning("bf16", "cuda", native_bf16=False) is None
    assert emulated_bf16_warning("fp32", "cpu", native_bf16=False) is None


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_asking_for_cuda_without_a_gpu_is_a_clear_error(
    tiny_base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from desktop_qa.cli import main

    code = main([
        "model", "train", "--base", str(tiny_base), "--data",
        str(synthetic_squad(tmp_path / "train.json")), "--out", str(tmp_path / "run"),
        "--device", "cuda",
    ])  # fmt: skip
    assert code != 0
    assert "--device cuda: PyTorch sees no CUDA GPU here (torch " in capsys.readouterr().err
    assert not (tmp_path / "run" / CHECKPOINT_NAME).exists()


def test_a_second_stage_needs_only_the_bases_config_and_tokenizer(
    tiny_base: Path, tmp_path: Path
) -> None:
    """Where the base encoder's package cannot be installed (a machine lent for a
    training stage), ``--init`` brings every weight: a base folder without weights
    trains the same stage, and without ``--init`` it is refused."""
    import shutil

    from desktop_qa.core.errors import InputError

    bare = tmp_path / "bare-base"
    bare.mkdir()
    for name in ("config.json", "tokenizer.json"):
        shutil.copy(tiny_base / name, bare / name)
    first = tiny_run(tiny_base, tmp_path, "first", learning_rate=1e-3, stop_after_steps=2)
    first = replace(first, checkpoint_every=1, device="cpu")
    train(first, StringIO())
    full = replace(first, out=tmp_path / "full", init=first.out)
    train(full, StringIO())
    train(replace(full, base=bare, out=tmp_path / "bare"), StringIO())
    weights = [
        torch.load(tmp_path / run / CHECKPOINT_NAME, weights_only=False)["model"]
        for run in ("full", "bare")
    ]
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    with pytest.raises(InputError, match=r"needs its weights \(.*\) unless --init gives them"):
        train(replace(first, base=bare, out=tmp_path / "alone"), StringIO())


def test_the_base_models_licence_comes_from_its_card_when_it_has_one(tmp_path: Path) -> None:
    from desktop_qa.core.training import base_description

    (tmp_path / "config.json").write_text('{"num_hidden_layers": 6, "hidden_size": 384}')
    assert base_description(tmp_path)["licence"] == "see the base model's card"
    (tmp_path / "README.md").write_text("# A card\n\nNo header here --- at all.\n")
    assert base_description(tmp_path)["licence"] == "see the base model's card"
    (tmp_path / "README.md").write_text("---\nlanguage: en\nlicense: apache-2.0\n---\n# A card\n")
    described = base_description(tmp_path)
    assert described["licence"] == "apache-2.0" and described["layers"] == "6"
