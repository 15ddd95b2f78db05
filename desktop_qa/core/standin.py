"""Build random-weight stand-in QA models for tests and benchmarks.

A stand-in has the real architecture (``BertForQuestionAnswering`` exported to
ONNX) and a real WordPiece vocabulary, built with ``tokenizers`` from text this
module generates from the Python standard library's documentation. Its weights
are random, so its answers are meaningless: it exists to exercise the pipeline
and to measure speed, and its manifest says ``"stand_in": true`` so the app
never offers it as a real model. Building one needs the ``dev`` extra (torch
and transformers); the result is deterministic for a given seed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_qa.core.config import SHAPES
from desktop_qa.core.convert import export_qa_onnx
from desktop_qa.core.model import FP32_GRAPH, MANIFEST_NAME, TOKENIZER_NAME

if TYPE_CHECKING:
    from tokenizers import Tokenizer

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
#: MPNet's special tokens at MPNet's ids (``<pad>`` is 1: MPNet counts positions past it).
MPNET_SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "[UNK]", "<mask>"]
#: Modules whose documentation is the vocabulary's training text.
CORPUS_MODULES = (
    "argparse", "asyncio", "calendar", "collections", "csv", "datetime", "decimal",
    "difflib", "email", "fractions", "functools", "http.client", "inspect", "itertools",
    "json", "logging", "os", "pathlib", "pickle", "random", "re", "shutil", "sqlite3",
    "statistics", "string", "subprocess", "tarfile", "tempfile", "textwrap", "threading",
    "unittest", "urllib.parse", "zipfile",
)  # fmt: skip
#: Characters every stand-in vocabulary knows, so real papers tokenise without [UNK] words.
ALPHABET_RANGES = ((0x21, 0x7E), (0xA1, 0x17F), (0x370, 0x3FF), (0x2010, 0x2044), (0x2190, 0x22FF))


def corpus_lines() -> Iterator[str]:
    """The docstrings of some standard library modules and their members, line by line.

    They are read from the modules' source files, not from the imported modules:
    what other imports patch or add there (importing Ray replaces functions of
    ``inspect``) must not change the vocabulary. A module without Python source
    (``itertools``) gives its own docstrings as imported.
    """
    import ast
    import importlib
    import importlib.util
    import inspect

    for module_name in CORPUS_MODULES:
        spec = importlib.util.find_spec(module_name)
        origin = spec.origin if spec is not None else None
        if origin is not None and origin.endswith(".py"):
            tree = ast.parse(Path(origin).read_text(encoding="utf-8"))
            docstrings = [ast.get_docstring(tree)]
            for node in sorted(_definitions(tree.body), key=lambda n: n.name):
                docstrings.append(ast.get_docstring(node))
                if isinstance(node, ast.ClassDef):
                    members = sorted(_definitions(node.body), key=lambda n: n.name)
                    docstrings += [ast.get_docstring(member) for member in members]
        else:
            module = importlib.import_module(module_name)
            members = [v for _, v in sorted(vars(module).items()) if inspect.isroutine(v)]
            docstrings = [inspect.getdoc(module), *(inspect.getdoc(m) for m in members)]
        for docstring in docstrings:
            for line in inspect.cleandoc(docstring or "").splitlines():
                if line.strip():
                    yield line.strip()


def _definitions(
    body: list[Any],
) -> list[Any]:
    """The functions and classes defined in a module's or class's body."""
    import ast

    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return [node for node in body if isinstance(node, kinds)]


def build_tokenizer(vocab_size: int, layout: str = "bert") -> Tokenizer:
    """An uncased WordPiece tokenizer whose vocabulary comes from the generated corpus.

    ``layout`` "bert" lays pairs out as ``[CLS] q [SEP] p [SEP]`` with token types;
    "mpnet" as MPNet does, ``<s> q </s></s> p </s>`` without them.

    The vocabulary is the special tokens, every character of the alphabet (alone
    and as a ``##`` continuation), then the corpus's most frequent words, ties
    broken alphabetically, so the same corpus always gives the same vocabulary
    (``tokenizers``' own trainer breaks ties differently from run to run).
    """
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    normalizer = normalizers.BertNormalizer(lowercase=True)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    counts: Counter[str] = Counter()
    for line in corpus_lines():
        words = pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(line))
        counts.update(word for word, _ in words)
    alphabet = sorted(
        {chr(c).lower() for low, high in ALPHABET_RANGES for c in range(low, high + 1)}
        | {c for word in counts for c in word}
    )
    specials = MPNET_SPECIAL_TOKENS if layout == "mpnet" else SPECIAL_TOKENS
    vocab = [*specials, *alphabet, *(f"##{c}" for c in alphabet)]
    known = set(vocab)
    for word, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        if len(vocab) >= vocab_size:
            break
        if word not in known:
            vocab.append(word)
            known.add(word)

    model = models.WordPiece(
        {token: index for index, token in enumerate(vocab)},
        unk_token="[UNK]",
        max_input_chars_per_word=100,
    )
    tokenizer = Tokenizer(model)
    tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizer
    if layout == "mpnet":
        tokenizer.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))
    else:
        tokenizer.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]",
            pair="[CLS] $A [SEP] $B:1 [SEP]:1",
            special_tokens=[("[CLS]", vocab.index("[CLS]")), ("[SEP]", vocab.index("[SEP]"))],
        )
    tokenizer.decoder = decoders.WordPiece()
    return tokenizer


def make_stand_in(out: Path, size: str = "tiny", seed: int = 0, no_answer: bool = False) -> Path:
    """Write a stand-in model folder (``model.onnx``, ``tokenizer.json``, manifest)."""
    import torch
    from transformers import BertConfig, BertForQuestionAnswering

    shape = SHAPES[size]
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(shape.vocab_size)
    tokenizer.save(str(out / TOKENIZER_NAME))
    vocab_size = tokenizer.get_vocab_size()

    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=vocab_size,
        hidden_size=shape.hidden,
        num_hidden_layers=shape.layers,
        num_attention_heads=shape.heads,
        intermediate_size=shape.intermediate,
        max_position_embeddings=512,
    )
    model = BertForQuestionAnswering(config).eval()
    export_qa_onnx(model, out / FP32_GRAPH)
    manifest = {
        "name": f"stand-in-{size}",
        "version": f"seed{seed}",
        "description": "random weights: for tests and benchmarks only, answers are meaningless",
        "stand_in": True,
        "no_answer": no_answer,
        "max_seq_len": shape.max_seq_len,
        "architecture": "bert",
        "shape": shape.__dict__,
    }
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return out
