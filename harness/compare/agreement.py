"""Answer agreement between two sides on the same prompts: exact, normalised, token-level F1.

Answers pair by ``pair_id`` (copies of one request fanned out to several targets); where the
two sides share no pair id (separate runs, alternating fan-out) they pair by prompt id, the
first successful answer of each side. Definitions, per pair:

- exact: the two answers are equal after stripping surrounding whitespace;
- normalised: equal after the golden scorers' normalisation (NFKC, case-folded, punctuation
  and articles dropped, whitespace collapsed);
- token F1: the harmonic mean of token precision and recall between the two normalised
  answers' whitespace tokens, counted as multisets (SQuAD's F1; 1.0 when both are empty).
The most divergent pairs (lowest token F1) are kept as examples.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd

from harness.analysis import metrics as m
from harness.golden.scorers import normalize

EXAMPLES = 5
EXAMPLE_CHARS = 400


def token_f1(a: str, b: str) -> float:
    ta, tb = normalize(a).split(), normalize(b).split()
    if not ta and not tb:
        return 1.0
    common = sum((Counter(ta) & Counter(tb)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(tb), common / len(ta)
    return 2 * precision * recall / (precision + recall)


def answers(records: pd.DataFrame) -> pd.DataFrame:
    """Successful measured answers: ``pair_id``, ``prompt_id``, ``output_text``."""
    ok = m.successful(m.measured(m.ensure_fields(records)))
    return ok.loc[ok["output_text"].notna(), ["pair_id", "prompt_id", "output_text"]]


def pair_answers(reference: pd.DataFrame, other: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Paired answers (``prompt_id``, ``ref``, ``other``) of two sides' records, and the key used."""
    a, b = answers(reference), answers(other)
    shared = set(a["pair_id"].dropna()) & set(b["pair_id"].dropna())
    key = "pair_id" if shared else "prompt_id"
    a = a.dropna(subset=[key]).drop_duplicates(key)
    b = b.dropna(subset=[key]).drop_duplicates(key)
    joined = a.merge(b, on=key, suffixes=("_ref", "_other"))
    prompt = joined["prompt_id"] if key == "prompt_id" else joined["prompt_id_ref"]
    pairs = pd.DataFrame(
        {"prompt_id": prompt, "ref": joined["output_text_ref"], "other": joined["output_text_other"]}
    )
    return pairs.reset_index(drop=True), key


def agreement(reference: pd.DataFrame, other: pd.DataFrame) -> dict[str, Any]:
    """Agreement of ``other``'s answers with ``reference``'s (shares in 0..1, None without pairs)."""
    pairs, key = pair_answers(reference, other)
    if pairs.empty:
        return {
            "pairs": 0,
            "paired_by": key,
            "exact": None,
            "normalized": None,
            "token_f1": None,
            "divergent": [],
        }
    ref, oth = pairs["ref"].astype(str), pairs["other"].astype(str)
    exact = ref.str.strip() == oth.str.strip()
    normalised = ref.map(normalize) == oth.map(normalize)
    f1 = pd.Series([token_f1(x, y) for x, y in zip(ref, oth, strict=True)], index=pairs.index)
    worst = f1.sort_values(kind="stable").index[:EXAMPLES]
    divergent = [
        {
            "prompt_id": str(pairs.at[i, "prompt_id"]),
            "token_f1": float(f1[i]),
            "reference": ref[i][:EXAMPLE_CHARS],
            "other": oth[i][:EXAMPLE_CHARS],
        }
        for i in worst
        if f1[i] < 1.0
    ]
    return {
        "pairs": len(pairs),
        "paired_by": key,
        "exact": float(exact.mean()),
        "normalized": float(normalised.mean()),
        "token_f1": float(f1.mean()),
        "divergent": divergent,
    }
