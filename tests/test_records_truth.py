"""The simulator's ground truth in a record: from the client's own send time when both read one
machine's clock, from the simulator's receipt of the request otherwise."""

from __future__ import annotations

import pytest

from harness.protocol.clock import CLOCK_ID
from harness.protocol.parsed import ParsedResponse
from harness.records.record import RequestRecord

SIM = {
    "ttft_ms": 50.0,
    "e2e_ms": 130.0,
    "queue_ms": 0.0,
    "first_token_at": 1000.060,
    "last_token_at": 1000.140,
}


def _truth(sim: dict[str, object], sent_clock: float | None) -> tuple[float | None, float | None]:
    record = RequestRecord(request_id="r", scenario="unit")
    record.apply_response(ParsedResponse(ttft_s=0.061, e2e_s=0.141, extra={"sim": sim}), sent_clock)
    return record.truth_ttft_s, record.truth_e2e_s


@pytest.mark.skipif(CLOCK_ID is None, reason="no machine clock id on this platform")
def test_same_machine_truth_counts_from_the_send() -> None:
    # The request was written at 1000.000 and read by the simulator 10 ms later: those 10 ms
    # are the server's, so the truth the client is held to is 60 ms, not the simulator's 50.
    ttft, e2e = _truth({**SIM, "clock": CLOCK_ID}, 1000.000)
    assert ttft == pytest.approx(0.060) and e2e == pytest.approx(0.140)


def test_other_machine_or_no_send_time_keeps_the_receipt_truth() -> None:
    assert _truth({**SIM, "clock": "another-boot"}, 1000.000) == pytest.approx((0.050, 0.130))
    assert _truth({**SIM, "clock": CLOCK_ID}, None) == pytest.approx((0.050, 0.130))
    assert _truth({"ttft_ms": 50.0}, 1000.0) == (pytest.approx(0.050), None)
