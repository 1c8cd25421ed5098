"""Synthetic production logs: weeks of support-ticket traffic, each week under a drift profile.

Statistical, not simulated: each request draws a topic (billing, technical, account,
shipping, returns, general), a prompt from that topic's templates, an output length, latencies,
an outcome and, for a share of requests, a golden grade. A profile (`harness.sim.profiles`)
re-weights the topics, scales output lengths and latencies and sets the accuracy, so a demo
or a test can make one week drift in a known way. Topics differ in prompt length, punctuation
and vocabulary, so a change of topic mix is visible without a topic label, as in real logs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from harness.sim.profiles import DriftProfile, get_profile

MODEL = "support-slm"
BASE_ACCURACY = 0.90
GRADED_SHARE = 0.25  # requests that carry a golden grade (`correct`)
ERROR_SHARE = 0.015
MAX_TOKENS = 768  # outputs reaching it end with finish_reason "length"
SYSTEM_PROMPT = "You are a helpful support assistant for an online shop. Answer briefly and politely."
_SYSTEM_TOKENS = 18
_TOKENS_PER_WORD = 1.3
CONFIG_FILE = "drift-config.yaml"

TOPIC_WEIGHTS: dict[str, float] = {
    "billing": 0.22,
    "technical": 0.25,
    "account": 0.20,
    "shipping": 0.15,
    "returns": 0.10,
    "general": 0.08,
}
# Median output tokens per topic (log-normal around it).
_OUTPUT_MEDIAN = {
    "billing": 90,
    "technical": 260,
    "account": 120,
    "shipping": 110,
    "returns": 100,
    "general": 60,
}

# Words that mark each topic, for the keyword features of a drift config.
TOPIC_KEYWORDS: dict[str, list[str]] = {
    "billing": ["invoice", "refund", "charged", "payment", "subscription"],
    "technical": ["error", "crash", "crashes", "bug", "stack"],
    "account": ["password", "login", "username", "two-factor"],
    "shipping": ["tracking", "delivery", "courier", "shipped"],
    "returns": ["return", "damaged", "exchange", "replacement"],
}

_PROMPTS: dict[str, list[str]] = {
    "billing": [
        "I was charged twice for my {plan} subscription. Can you refund {amount}?",
        "Why does invoice {invoice} show {amount}?",
        "Please stop the payment on my card ending {digits}.",
        "My invoice {invoice} is wrong, I was charged {amount} for the {plan} plan.",
        "When will the refund of {amount} reach my account?",
    ],
    "technical": [
        "The app crashes when I open {feature} on my {device}. The log says:\n{log}\n"
        "I already reinstalled it twice and cleared the cache. What else can I try?",
        "I get this error every time I sync {feature}:\n{log}\n"
        "Is this a known bug? It started after the update.",
        "Since version {version} the {feature} page is blank on {device}. Console output:\n{log}\n"
        "Other pages work. Could you look into it?",
    ],
    "account": [
        "I cannot log in with my username {user}; the password reset link has expired.",
        "How do I turn on two-factor login for my account? I changed phones last week.",
        "Someone changed the password of {user}. Please lock the account until I can check it.",
        "Can I merge the username {user} into my other account?",
    ],
    "shipping": [
        "My order #{order} should have arrived on {date} but the tracking number {tracking} has not "
        "changed for three days.",
        "Which courier handles delivery to {city}? My order #{order} was shipped on {date}.",
        "Can you change the delivery address of order #{order} to {city}? It has not shipped yet.",
    ],
    "returns": [
        "The {product} from order #{order} arrived damaged. How do I return it?",
        "I would like an exchange: the {product} is the wrong size. Order #{order}.",
        "Is a replacement possible for the {product}? It stopped working after {days} days.",
    ],
    "general": [
        "Summarise this customer message as JSON with the fields topic and urgency: '{note}'",
        "Classify the ticket '{note}' and answer only with JSON.",
        "What are your opening hours on public holidays?",
    ],
}
_SLOTS: dict[str, list[str]] = {
    "plan": ["Basic", "Plus", "Family", "Business"],
    "amount": ["$9.99", "$19.00", "$49.90", "$120.00", "€35.50"],
    "invoice": ["INV-20431", "INV-88812", "INV-10077", "INV-56120"],
    "digits": ["4421", "0093", "7780", "1264"],
    "feature": ["the photo gallery", "checkout", "the order history", "notifications", "the wishlist"],
    "device": ["Pixel 8", "iPhone 15", "Galaxy S23", "iPad Air", "Windows laptop"],
    "version": ["4.2.0", "4.3.1", "5.0.0-beta"],
    "log": [
        "ERROR [E1042] sync.worker: connection reset by peer (errno=104) at 12:04:33.127",
        "FATAL java.lang.NullPointerException at com.shop.gallery.Loader.load(Loader.java:88)",
        "TypeError: Cannot read properties of undefined (reading 'items') at cart.js:214:17",
        "E/AndroidRuntime: FATAL EXCEPTION: main Process: com.shop.app, PID: 23817",
    ],
    "user": ["jdoe84", "maria.k", "tt_support", "alex2020"],
    "order": ["558102", "771239", "903344", "120988"],
    "date": ["Monday", "March 3", "the 14th", "last Friday"],
    "tracking": ["1Z999AA10123456784", "JD014600006281", "LX123456789DE"],
    "city": ["Lyon", "Leeds", "Austin", "Osaka", "Porto"],
    "product": ["blender", "running shoes", "desk lamp", "phone case", "backpack"],
    "days": ["3", "10", "21"],
    "note": [
        "My parcel is late again and nobody answers the phone",
        "Great service, just wanted to say thanks",
        "The discount code did not apply at checkout",
    ],
}
_ANSWERS: dict[str, list[str]] = {
    "billing": [
        "I am sorry about the double charge.",
        "I have checked your invoice and the amount matches your plan.",
        "The refund will reach your account within five business days.",
        "You can update your payment method under Settings, Billing.",
        "I have cancelled the duplicate payment.",
    ],
    "technical": [
        "Thanks for sending the log, it helps a lot.",
        "This error usually comes from an outdated cache on the device.",
        "Please update the app to the latest version from the store.",
        "If the crash continues, open Settings, Storage and clear the app data.",
        "Our engineers know about this bug and a fix ships in the next release.",
        "You can also try signing out and signing in again, which refreshes the sync token.",
    ],
    "account": [
        "I have sent a new password reset link to your email address.",
        "For your security the link is valid for thirty minutes.",
        "You can enable two-factor login under Settings, Security.",
        "I have locked the account until you confirm your identity.",
    ],
    "shipping": [
        "I have checked the tracking number with the courier.",
        "Your parcel is at the local depot and should arrive tomorrow.",
        "The delivery address can be changed until the order ships.",
        "I am sorry for the delay.",
    ],
    "returns": [
        "I am sorry the item arrived damaged.",
        "I have created a free return label and emailed it to you.",
        "Once we receive the item we send the replacement within two days.",
        "An exchange for another size is free of charge.",
    ],
    "general": [
        "Our support team is available from 8 am to 8 pm every day.",
        "On public holidays we answer chats from 10 am to 4 pm.",
    ],
}
_JSON_TOPICS = ("shipping", "billing", "technical", "account")


def generate_logs(
    out: Path,
    weeks: int,
    start: date,
    profile_by_week: Mapping[int, str] | None = None,
    requests_per_week: int = 2000,
    seed: int = 0,
) -> list[Path]:
    """Write ``weeks`` files of JSONL logs under ``out`` (one per 7-day period from ``start``;
    give a Monday to align them with ISO weeks) and a matching ``drift-config.yaml``.

    ``profile_by_week`` maps a week number (1 = the first week) to a drift profile name; other
    weeks use ``none``. Each week draws from its own seeded stream, so a week's content does
    not depend on how many weeks are generated.
    """
    profiles = dict(profile_by_week or {})
    for week, name in profiles.items():
        if not 1 <= week <= weeks:
            raise ValueError(f"profile week {week} is outside 1..{weeks}")
        get_profile(name)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for week in range(1, weeks + 1):
        first_day = start + timedelta(days=7 * (week - 1))
        rng = np.random.default_rng([seed, week])
        profile = get_profile(profiles.get(week, "none"))
        path = out / f"requests-{first_day.isoformat()}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for line in week_lines(rng, first_day, profile, requests_per_week):
                handle.write(json.dumps(line, separators=(",", ":")) + "\n")
        written.append(path)
    (out / CONFIG_FILE).write_text(yaml.safe_dump(drift_config()), encoding="utf-8")
    return written


def drift_config() -> dict[str, Any]:
    """A drift config with a keyword feature per topic of these logs."""
    return {
        "keywords": [
            {"name": topic, "words": words, "texts": ["prompt"]} for topic, words in TOPIC_KEYWORDS.items()
        ]
    }


def week_lines(
    rng: np.random.Generator, first_day: date, profile: DriftProfile, n: int
) -> list[dict[str, Any]]:
    """``n`` log objects spread uniformly over the 7 days from ``first_day`` (UTC)."""
    topics = list(TOPIC_WEIGHTS)
    weights = np.array([TOPIC_WEIGHTS[t] * profile.topic_weights.get(t, 1.0) for t in topics])
    topic_index = rng.choice(len(topics), size=n, p=weights / weights.sum())
    week_start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC).timestamp()
    times = np.sort(week_start + rng.uniform(0, 7 * 86400, size=n))
    medians = np.array([_OUTPUT_MEDIAN[t] for t in topics])[topic_index]
    n_out = np.maximum(1, np.round(medians * profile.output_len_scale * rng.lognormal(0, 0.35, n))).astype(
        int
    )
    n_out = np.minimum(n_out, MAX_TOKENS)
    ttft_ms = 150 * profile.latency_scale * rng.lognormal(0, 0.3, n)
    tpot_ms = 20 * profile.latency_scale * rng.lognormal(0, 0.15, n)
    failed = rng.random(n) < ERROR_SHARE
    graded = rng.random(n) < GRADED_SHARE
    accuracy = profile.accuracy if profile.accuracy is not None else BASE_ACCURACY
    correct = rng.random(n) < accuracy
    lines = []
    for i in range(n):
        topic = topics[topic_index[i]]
        prompt = _fill(rng, _PROMPTS[topic][rng.integers(len(_PROMPTS[topic]))])
        n_in = _SYSTEM_TOKENS + round(len(prompt.split()) * _TOKENS_PER_WORD)
        timestamp = datetime.fromtimestamp(float(times[i]), UTC).isoformat(timespec="milliseconds")
        request = {
            "model": MODEL,
            "messages": [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": prompt}],
        }
        if failed[i]:
            lines.append(_error_line(rng, timestamp, request, ttft_ms[i]))
            continue
        ttft = float(ttft_ms[i]) + 0.05 * n_in  # prefill grows with the prompt
        e2e = ttft + float(tpot_ms[i]) * (int(n_out[i]) - 1)
        line: dict[str, Any] = {
            "timestamp": timestamp,
            "model": MODEL,
            "request": request,
            "response": _response(rng, topic, prompt, int(n_out[i]), n_in, times[i]),
            "latency": {"ttft_ms": round(ttft, 2), "e2e_ms": round(e2e, 2)},
            "status": 200,
        }
        if graded[i]:
            line["correct"] = bool(correct[i])
        lines.append(line)
    return lines


def _fill(rng: np.random.Generator, template: str) -> str:
    values = {
        name: options[rng.integers(len(options))]
        for name, options in _SLOTS.items()
        if f"{{{name}}}" in template
    }
    return template.format(**values)


def _response(
    rng: np.random.Generator, topic: str, prompt: str, n_out: int, n_in: int, created: float
) -> dict[str, Any]:
    if topic == "general" and "JSON" in prompt:
        text = json.dumps(
            {"topic": _JSON_TOPICS[rng.integers(len(_JSON_TOPICS))], "urgency": int(rng.integers(1, 4))}
        )
    else:
        text = _answer(rng, topic, round(n_out / _TOKENS_PER_WORD))
    return {
        "id": f"chatcmpl-{rng.integers(1 << 62):x}",
        "object": "chat.completion",
        "created": int(created),
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "length" if n_out >= MAX_TOKENS else "stop",
            }
        ],
        "usage": {"prompt_tokens": n_in, "completion_tokens": n_out, "total_tokens": n_in + n_out},
    }


def _answer(rng: np.random.Generator, topic: str, words: int) -> str:
    """Sentences of the topic's answers until about ``words`` words."""
    bank = _ANSWERS[topic]
    parts: list[str] = []
    count = 0
    while count < words:
        sentence = bank[rng.integers(len(bank))]
        parts.append(sentence)
        count += sentence.count(" ") + 1
    return " ".join(parts)


def _error_line(
    rng: np.random.Generator, timestamp: str, request: dict[str, Any], waited_ms: float
) -> dict[str, Any]:
    status = [429, 500, 503][rng.integers(3)]
    return {
        "timestamp": timestamp,
        "model": MODEL,
        "request": request,
        "latency": {"e2e_ms": round(float(waited_ms), 2)},
        "status": status,
    }
