"""The golden sets shipped in golden/: sizes, label coverage, gradability, and simulator compatibility."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from harness.golden.dataset import GoldenSet, load_sets
from harness.golden.scorers import score
from harness.sim.golden import last_user_text, load_golden

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden"


@pytest.fixture(scope="module")
def shipped() -> dict[str, GoldenSet]:
    return {s.name: s for s in load_sets([GOLDEN_DIR])}


def test_three_sets_of_the_required_sizes(shipped: dict[str, GoldenSet]) -> None:
    assert {name: len(s.items) for name, s in shipped.items()} == {
        "support_intents": 112,
        "ticket_extraction": 55,
        "ledgerly_faq": 60,
    }


def test_intents_cover_eight_labels_evenly(shipped: dict[str, GoldenSet]) -> None:
    intents = shipped["support_intents"]
    labels = intents.defaults.labels or []
    counts = Counter(item.expected for item in intents.items)
    assert len(labels) == 8 and set(counts) == set(labels)
    assert set(counts.values()) == {14}
    assert all(item.scorer == "label" and item.expected in item.tags for item in intents.items)


def test_extraction_mixes_invoices_and_tickets_under_their_schemas(shipped: dict[str, GoldenSet]) -> None:
    items = shipped["ticket_extraction"].items
    kinds = Counter(item.tags[0] for item in items)
    assert kinds == {"invoice": 28, "ticket": 27}
    assert all(item.scorer == "json" and item.options.schema is not None for item in items)
    assert {item.expected["product"] for item in items if item.tags[0] == "ticket"} == {
        "card_reader",
        "receipt_printer",
        "cash_drawer",
        "barcode_scanner",
        "subscription",
    }


def test_faq_mixes_four_scorers(shipped: dict[str, GoldenSet]) -> None:
    scorers = Counter(item.scorer for item in shipped["ledgerly_faq"].items)
    assert set(scorers) == {"numeric", "contains", "regex", "normalized"}
    assert scorers["numeric"] >= 30


def test_every_expected_answer_passes_and_a_wrong_one_fails(shipped: dict[str, GoldenSet]) -> None:
    for golden_set in shipped.values():
        for item in golden_set.items:
            answer = item.expected if isinstance(item.expected, str) else json.dumps(item.expected)
            assert score(item.scorer, item.expected, answer, item.options) == 1.0, item.item_id
            assert score(item.scorer, item.expected, "I am not sure.", item.options) == 0.0, item.item_id


def test_the_simulator_keys_items_by_the_text_the_runner_sends(shipped: dict[str, GoldenSet]) -> None:
    book = load_golden(tuple(str(s.path) for s in shipped.values()))
    for golden_set in shipped.values():
        for item in golden_set.items:
            sent = golden_set.prompt_item(item).messages
            assert sent is not None and sent[0]["role"] == "system"
            found = book.lookup(last_user_text(sent))
            assert found is not None and found.expected == item.expected, item.item_id
