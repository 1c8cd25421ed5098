"""Scorers: each one on answers a model really gives (right, wrong, wordy, malformed)."""

from __future__ import annotations

import json

import pytest

from harness.config.golden_set import SCORER_NAMES
from harness.golden.json_schema import schema_problem, violation
from harness.golden.scorers import SCORERS, ScorerOptions, extract_label, first_number, normalize, score

NONE = ScorerOptions()
LABELS = ("billing", "billing_dispute", "refund", "account_access", "how_to")


def test_every_scorer_a_set_may_name_exists() -> None:
    assert sorted(SCORERS) == sorted(SCORER_NAMES)


def test_exact_strips_whitespace_only_and_accepts_alternatives() -> None:
    assert score("exact", "Frankfurt", "  Frankfurt\n", NONE) == 1.0
    assert score("exact", "Frankfurt", "frankfurt", NONE) == 0.0
    assert (
        score("exact", "Frankfurt", "Frankfurt am Main", ScorerOptions(accept=("Frankfurt am Main",))) == 1.0
    )


def test_normalized_ignores_case_punctuation_articles_and_spacing() -> None:
    assert normalize("  The Thirty-Day  window!") == "thirty day window"
    assert score("normalized", "Net 30", "net 30.", NONE) == 1.0
    assert (
        score("normalized", "Discover", "The Discover card", ScorerOptions(accept=("Discover card",))) == 1.0
    )
    assert score("normalized", "Discover", "Discover and Visa", NONE) == 0.0


def test_contains_matches_whole_words_only() -> None:
    assert score("contains", "30 days", "Refunds are possible within 30 days of delivery.", NONE) == 1.0
    assert score("contains", "30 days", "within 130 days", NONE) == 0.0
    assert score("contains", "1 year", "All hardware has a 1-year warranty.", NONE) == 1.0
    assert score("contains", "1 year", "a one year warranty", ScorerOptions(accept=("one year",))) == 1.0


def test_regex_uses_the_pattern_not_the_expected_text() -> None:
    yes = ScorerOptions(pattern=r"(?i)^\W*yes\b")
    assert score("regex", "Yes, it is refunded.", "yes — when the dispute is won", yes) == 1.0
    assert score("regex", "Yes, it is refunded.", "No.", yes) == 0.0
    phone = ScorerOptions(pattern=r"\(?800\)?[\s.-]*555[\s.-]*0142")
    assert score("regex", "+1 (800) 555-0142", "Call 800.555.0142 (Scale plans).", phone) == 1.0


@pytest.mark.parametrize(
    ("output", "label"),
    [
        ("billing", "billing"),
        ("Intent: Billing.", "billing"),
        ("This is a billing dispute", "billing_dispute"),  # the longer label wins over the one it contains
        ("account-access", "account_access"),
        ("ACCOUNT ACCESS", "account_access"),
        ("how_to", "how_to"),
        ("billing or refund, hard to say", None),  # two labels: ambiguous
        ("I am not sure.", None),
        ("refunded", None),  # a label must be a whole word
    ],
)
def test_label_extraction(output: str, label: str | None) -> None:
    assert extract_label(output, LABELS) == label


def test_label_scorer_credits_only_the_single_named_label() -> None:
    options = ScorerOptions(labels=LABELS)
    assert score("label", "refund", "The customer wants a refund.", options) == 1.0
    assert score("label", "refund", "billing", options) == 0.0
    assert score("label", "refund", "refund or billing", options) == 0.0


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("$1,234.50 due", 1234.5),
        ("Order A-1042 costs 29 dollars", 1042.0),  # the first number; no sign glued to a word
        ("-3.2e2 degrees", -320.0),
        ("about .5 percent", 0.5),
        ("v2 of the app, 7 days", 7.0),
        ("no digits here", None),
    ],
)
def test_first_number(text: str, number: float | None) -> None:
    assert first_number(text) == number


def test_numeric_tolerances() -> None:
    assert score("numeric", 79, "The Growth plan is $79 per month.", NONE) == 1.0
    assert score("numeric", 79, "$78.99", NONE) == 0.0
    assert score("numeric", 79, "$78.99", ScorerOptions(tolerance=0.05)) == 1.0
    assert score("numeric", 300, "about 290 transactions", ScorerOptions(rel_tolerance=0.05)) == 1.0
    assert score("numeric", 300, "about 280 transactions", ScorerOptions(rel_tolerance=0.05)) == 0.0
    assert score("numeric", 79, "seventy-nine", NONE) == 0.0


INVOICE = {
    "invoice_number": "NP-88213",
    "vendor": "Northgate Packaging Ltd",
    "total": 134.4,
    "currency": "GBP",
}
SCHEMA = {
    "type": "object",
    "required": ["invoice_number", "total", "currency"],
    "properties": {
        "total": {"type": "number", "minimum": 0},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
    },
}


def test_json_gives_partial_credit_per_field() -> None:
    answer = {**INVOICE, "vendor": "northgate  packaging ltd", "total": 134.40}
    fenced = f"```json\n{json.dumps(answer)}\n```"
    assert score("json", INVOICE, fenced, NONE) == 1.0
    wrong_total = json.dumps({**INVOICE, "total": 112.0})
    assert score("json", INVOICE, wrong_total, NONE) == 0.75
    chatty = 'Here you go: {"invoice_number": "NP-88213", "total": 134.4} Hope this helps!'
    assert score("json", INVOICE, chatty, NONE) == 0.5
    assert score("json", INVOICE, "not json at all", NONE) == 0.0


def test_json_schema_breach_scores_zero_and_fields_select_what_counts() -> None:
    lower_currency = json.dumps({**INVOICE, "currency": "gbp"})
    assert score("json", INVOICE, lower_currency, NONE) == 1.0  # strings compare case-folded
    assert (
        score("json", INVOICE, lower_currency, ScorerOptions(schema=SCHEMA)) == 0.0
    )  # but the schema says A-Z
    only_total = ScorerOptions(fields=("total",))
    assert score("json", INVOICE, '{"total": 134.4, "vendor": "someone else"}', only_total) == 1.0
    nested = ScorerOptions(fields=("customer.email",))
    assert (
        score(
            "json", {"customer": {"email": "a@b.example"}}, '{"customer": {"email": "A@B.example"}}', nested
        )
        == 1.0
    )
    assert score("json", {"order_id": None}, '{"order_id": null}', NONE) == 1.0
    assert score("json", {"order_id": None}, '{"order_id": "LG-1"}', NONE) == 0.0
    assert score("json", {"paid": True}, '{"paid": 1}', NONE) == 0.0  # true is not 1


def test_json_schema_subset_reports_the_first_breach_and_refuses_unknown_keywords() -> None:
    assert violation({"invoice_number": "X", "total": -1, "currency": "GBP"}, SCHEMA) == "$.total is below 0"
    assert violation({"total": 1, "currency": "GBP"}, SCHEMA) == "$ misses required field(s) invoice_number"
    assert violation({"a": 1}, {"type": "object", "properties": {}, "additionalProperties": False}) == (
        "$ has unexpected field(s) a"
    )
    assert (
        violation([1, "x"], {"type": "array", "items": {"type": "integer"}}) == "$[1] is not of type integer"
    )
    assert violation({"o": None}, {"properties": {"o": {"type": ["string", "null"]}}}) is None
    assert (
        schema_problem({"type": "string", "format": "email"}) == "schema uses unsupported keyword(s) format"
    )
    assert (
        schema_problem({"properties": {"x": {"type": "text"}}})
        == "schema.properties.x has unknown type(s) ['text']"
    )
