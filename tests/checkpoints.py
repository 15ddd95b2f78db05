"""Small random Hugging Face checkpoints, as ``save_pretrained`` writes them (dev extra)."""

from __future__ import annotations

import json
from pathlib import Path


def checkpoint(folder: Path, tokenizer_json: Path, qa_head: bool = True) -> Path:
    """A small random BERT in save_pretrained layout.

    A wide weight init gives peaked logits, as a trained model has, so the best
    span is not a near-tie that any rounding could flip.
    """
    import torch
    import transformers

    vocab = json.loads(tokenizer_json.read_text())["model"]["vocab"]
    config = transformers.BertConfig(
        vocab_size=len(vocab), hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=128, initializer_range=0.2,
    )  # fmt: skip
    torch.manual_seed(3)
    model_class = transformers.BertForQuestionAnswering if qa_head else transformers.BertModel
    model_class(config).save_pretrained(folder)
    (folder / "tokenizer.json").write_bytes(tokenizer_json.read_bytes())
    return folder


def mpnet_checkpoint(folder: Path, qa_head: bool = True) -> Path:
    """A small random MPNet in save_pretrained layout, with an MPNet-style tokenizer
    (``<s> q </s></s> p </s>``, no token types, ``<pad>`` = 1)."""
    import torch
    import transformers

    from desktop_qa.core.standin import build_tokenizer

    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(4000, layout="mpnet")
    tokenizer.save(str(folder / "tokenizer.json"))
    config = transformers.MPNetConfig(
        vocab_size=tokenizer.get_vocab_size(), hidden_size=64, num_hidden_layers=2,
        num_attention_heads=2, intermediate_size=128, initializer_range=0.2,
        max_position_embeddings=514, pad_token_id=1, bos_token_id=0, eos_token_id=2,
    )  # fmt: skip
    torch.manual_seed(3)
    model_class = transformers.MPNetForQuestionAnswering if qa_head else transformers.MPNetModel
    model_class(config).save_pretrained(folder)
    return folder
