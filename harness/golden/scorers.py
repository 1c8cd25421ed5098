"""Scorers: how well one model output matches one golden item's expected answer.

Every scorer returns a score in [0, 1]; an item is *correct* when its score is 1. Only the
json scorer gives partial credit (the share of compared fields that are equal).

==========  ====================================================================================
exact       the stripped output equals ``expected`` (or one of ``accept``)
normalized  equal after normalising both: Unicode NFKC, case-folded, punctuation dropped,
            the articles a/an/the dropped, whitespace collapsed
contains    the normalised output contains the normalised ``expected`` (or one of ``accept``)
            as a whole-word phrase
regex       ``pattern`` matches the output (``re.search``; ``expected`` is a canonical answer)
label       the one label of ``labels`` the output names equals ``expected``; an output naming
            none or several different labels scores 0
numeric     the first number in the output is within ``max(tolerance, rel_tolerance·|expected|)``
json        the output is JSON (a fenced ```json block is unwrapped), conforms to ``schema`` when
            one is given (else scores 0), and the ``fields`` (default: every key of ``expected``,
            dotted paths allowed) equal the expected ones; strings compare case-folded with
            whitespace collapsed, numbers to 1e-9
==========  ====================================================================================
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from harness.golden.json_schema import violation


@dataclass(frozen=True, slots=True)
class ScorerOptions:
    accept: tuple[str, ...] = ()
    pattern: str | None = None
    labels: tuple[str, ...] = ()
    tolerance: float = 0.0
    rel_tolerance: float = 0.0
    schema: dict[str, Any] | None = None
    fields: tuple[str, ...] | None = None


_SEPARATOR = re.compile(r"[\s_-]+")
_ARTICLES = re.compile(r"\b(?:a|an|the)\b")
# A number not glued to a preceding word ("v2", "A-1042" keep their digits apart from a sign).
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][-+]?\d+)?(?<=\d)")
_FENCE = re.compile(r"^\s*```[A-Za-z0-9_-]*\s*\n(.*?)\n?\s*```\s*$", re.DOTALL)


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in text)
    return " ".join(_ARTICLES.sub(" ", text).split())


def _answers(expected: Any, options: ScorerOptions) -> list[str]:
    return [str(expected), *options.accept]


def exact(expected: Any, output: str, options: ScorerOptions) -> float:
    got = output.strip()
    return float(any(got == answer.strip() for answer in _answers(expected, options)))


def normalized(expected: Any, output: str, options: ScorerOptions) -> float:
    got = normalize(output)
    return float(any(got == normalize(answer) for answer in _answers(expected, options)))


def contains(expected: Any, output: str, options: ScorerOptions) -> float:
    got = f" {normalize(output)} "
    return float(any(f" {normalize(answer)} " in got for answer in _answers(expected, options)))


def regex(expected: Any, output: str, options: ScorerOptions) -> float:
    return float(options.pattern is not None and re.search(options.pattern, output) is not None)


def label(expected: Any, output: str, options: ScorerOptions) -> float:
    return float(extract_label(output, options.labels) == expected)


def extract_label(output: str, labels: tuple[str, ...]) -> str | None:
    """The single label named in `output`, or None when it names none or several.

    A label matches as a whole phrase, case-insensitively, with ``_``, ``-`` and spaces
    interchangeable; longer labels win over labels they contain ("billing_dispute" over
    "billing").
    """
    found = {labels[_group_index(m)] for m in _label_pattern(labels).finditer(output)}
    return found.pop() if len(found) == 1 else None


@lru_cache(maxsize=64)
def _label_pattern(labels: tuple[str, ...]) -> re.Pattern[str]:
    # One named group per label, longest first, so the regex engine prefers the longer label.
    order = sorted(range(len(labels)), key=lambda i: -len(labels[i]))
    parts = []
    for i in order:
        words = [re.escape(w) for w in _SEPARATOR.split(labels[i].strip()) if w]
        parts.append(f"(?P<l{i}>{_SEPARATOR.pattern.join(words)})")
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])", re.IGNORECASE)


def _group_index(match: re.Match[str]) -> int:
    name = match.lastgroup
    assert name is not None  # every alternative is a named group
    return int(name[1:])


def first_number(text: str) -> float | None:
    match = _NUMBER.search(text)
    return float(match.group().replace(",", "")) if match else None


def numeric(expected: Any, output: str, options: ScorerOptions) -> float:
    got = first_number(output)
    if got is None:
        return 0.0
    target = float(expected)
    allowed = max(options.tolerance, options.rel_tolerance * abs(target))
    return float(abs(got - target) <= allowed + 1e-12)


def parse_json_output(output: str) -> Any:
    """The JSON value in `output` (fenced or bare, or the outermost {...}); raises ValueError."""
    text = output.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    try:
        return json.loads(text)
    except ValueError:
        start, end = text.find("{"), text.rfind("}")
        if 0 <= start < end:
            return json.loads(text[start : end + 1])
        raise


def json_fields(expected: Any, output: str, options: ScorerOptions) -> float:
    try:
        value = parse_json_output(output)
    except ValueError:
        return 0.0
    if options.schema is not None and violation(value, options.schema) is not None:
        return 0.0
    paths = options.fields
    if paths is None:
        if not isinstance(expected, dict):
            return float(values_equal(value, expected))
        paths = tuple(expected)
    equal = sum(values_equal(_lookup(value, p), _lookup(expected, p)) for p in paths)
    return equal / len(paths)


_MISSING = object()


def _lookup(value: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return _MISSING
        value = value[key]
    return value


def values_equal(got: Any, want: Any) -> bool:
    if got is _MISSING or want is _MISSING:
        return False
    if isinstance(want, bool) or isinstance(got, bool):
        return got is want
    if isinstance(want, int | float) and isinstance(got, int | float):
        return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(want, str) and isinstance(got, str):
        return " ".join(got.split()).casefold() == " ".join(want.split()).casefold()
    if isinstance(want, list) and isinstance(got, list):
        return len(got) == len(want) and all(values_equal(g, w) for g, w in zip(got, want, strict=True))
    if isinstance(want, dict) and isinstance(got, dict):
        return got.keys() == want.keys() and all(values_equal(got[k], want[k]) for k in want)
    return bool(got == want)


Scorer = Callable[[Any, str, ScorerOptions], float]

SCORERS: dict[str, Scorer] = {
    "exact": exact,
    "normalized": normalized,
    "contains": contains,
    "regex": regex,
    "label": label,
    "numeric": numeric,
    "json": json_fields,
}


def score(scorer: str, expected: Any, output: str, options: ScorerOptions) -> float:
    """Score `output` against `expected` with the named scorer (a name from `SCORERS`)."""
    return SCORERS[scorer](expected, output, options)
