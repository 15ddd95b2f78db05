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
from tests.checkpoints import checkpoint

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from desktop_qa.core.training import (  # noqa: E402
    CHECKPOINT_NAME,
    batch_plan,
    split_articles,
    train,
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
    assert not info.stand_in and not info.no_answer and info.max_seq_len == 128
    assert (folder / "model.onnx").is_file() and (folder / "model_quantized.onnx").is_file()
    evaluation = manifest["evaluation"]
    assert evaluation["questions"] == 12
    for graph in ("fp32", "int8"):
        assert 0 <= evaluation[graph]["exact"] <= evaluation[graph]["f1"] <= 100
    assert 0 <= evaluation["int8_same_answer"] <= 1
    assert manifest["training"]["steps"] == 12 and manifest["recipe"]["seed"] == "5"
    kept = manifest["int8_kept_in_float"]
    assert kept == resumed["int8_kept_in_float"]
    float_matmuls = {
        node.name
        for node in onnx.load(str(folder / "model_quantized.onnx")).graph.node
        if node.op_type == "MatMul"
    }
    assert set(kept) <= float_matmuls


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
    from desktop_qa.core.errors import InputError

    first = tiny_run(tiny_base, tmp_path, "first", epochs=1.0, learning_rate=1e-3, seed=2)
    train(first, StringIO())
    # A learning rate of 0 leaves the weights where they started: the first stage's.
    second = replace(first, out=tmp_path / "second", init=first.out, learning_rate=0.0, seed=3)
    manifest = train(second, StringIO())
    before = torch.load(first.out / CHECKPOINT_NAME, weights_only=False)["model"]
    after = torch.load(second.out / CHECKPOINT_NAME, weights_only=False)["model"]
    assert all(torch.equal(before[k], after[k]) for k in before)
    earlier = manifest["recipe"]["init"]
    assert earlier["steps"] == 6 and earlier["recipe"]["seed"] == "2"
    assert manifest["recipe"]["seed"] == "3" and "base" not in earlier["recipe"]
    assert manifest["version"] == "seed2+3-steps12"
    third = replace(second, out=tmp_path / "third", init=second.out, seed=4)
    lineage = train(third, StringIO())
    assert lineage["version"] == "seed2+3+4-steps18"
    assert lineage["recipe"]["init"]["recipe"]["init"] == earlier  # every stage kept

    with pytest.raises(InputError, match="--init needs an earlier run folder"):
        train(replace(second, out=tmp_path / "fourth", init=tmp_path / "nowhere"), StringIO())
    with pytest.raises(InputError, match="other settings"):
        train(replace(second, init=None), StringIO())


def test_the_base_models_licence_comes_from_its_card_when_it_has_one(tmp_path: Path) -> None:
    from desktop_qa.core.training import base_description

    (tmp_path / "config.json").write_text('{"num_hidden_layers": 6, "hidden_size": 384}')
    assert base_description(tmp_path)["licence"] == "see the base model's card"
    (tmp_path / "README.md").write_text("# A card\n\nNo header here --- at all.\n")
    assert base_description(tmp_path)["licence"] == "see the base model's card"
    (tmp_path / "README.md").write_text("---\nlanguage: en\nlicense: apache-2.0\n---\n# A card\n")
    described = base_description(tmp_path)
    assert described["licence"] == "apache-2.0" and described["layers"] == "6"
