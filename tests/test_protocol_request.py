"""build_request and join_url: the bytes the endpoint is asked for."""

from __future__ import annotations

import pytest

from harness.protocol import PromptItem, SamplingParams, build_request, join_url

CHAT = PromptItem(
    id="c1",
    messages=[
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "What is "}, {"type": "text", "text": "2+2?"}]},
    ],
)
PLAIN = PromptItem(id="p1", prompt="Once upon a time")


def test_streamed_chat_request() -> None:
    params = SamplingParams(max_tokens=64, temperature=0.0, seed=3)
    path, body = build_request("chat", "tiny", CHAT, params, stream=True)
    assert path == "/v1/chat/completions"
    assert body == {
        "model": "tiny",
        "messages": CHAT.messages,
        "max_tokens": 64,
        "temperature": 0.0,
        "seed": 3,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def test_non_streamed_completions_request_with_vllm_extras() -> None:
    params = SamplingParams(max_tokens=128, ignore_eos=True, min_tokens=128, extra={"top_p": 0.9, "seed": 1})
    path, body = build_request("completions", "tiny", PLAIN, params, stream=False)
    assert path == "/v1/completions"
    assert body == {
        "model": "tiny",
        "prompt": "Once upon a time",
        "max_tokens": 128,
        "ignore_eos": True,
        "min_tokens": 128,
        "stream": False,
        "top_p": 0.9,
        "seed": 1,
    }


def test_unset_params_are_left_to_the_server() -> None:
    _, body = build_request("chat", "m", PLAIN, SamplingParams(), stream=False)
    assert body == {
        "model": "m",
        "messages": [{"role": "user", "content": "Once upon a time"}],
        "stream": False,
    }


def test_chat_messages_flattened_for_completions() -> None:
    _, body = build_request("completions", "m", CHAT, SamplingParams(), stream=True)
    assert body["prompt"] == "system: Be brief.\nuser: What is 2+2?\nassistant:"


def test_conversation_ending_with_assistant_gets_no_extra_cue() -> None:
    item = PromptItem(
        id="x", messages=[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hel"}]
    )
    _, body = build_request("completions", "m", item, SamplingParams(), stream=False)
    assert body["prompt"] == "user: Hi\nassistant: Hel"


def test_prompt_item_needs_exactly_one_form() -> None:
    with pytest.raises(ValueError, match="exactly one of `messages` and `prompt`"):
        PromptItem(id="bad")
    with pytest.raises(ValueError, match="'both'"):
        PromptItem(id="both", prompt="a", messages=[{"role": "user", "content": "a"}])


def test_unknown_api_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown api 'embeddings'"):
        build_request("embeddings", "m", PLAIN, SamplingParams(), stream=False)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "base",
    [
        "http://127.0.0.1:8000",
        "http://127.0.0.1:8000/",
        "http://127.0.0.1:8000/v1",
        "http://127.0.0.1:8000/v1/",
    ],
)
def test_join_url_with_or_without_v1(base: str) -> None:
    assert join_url(base, "/v1/chat/completions") == "http://127.0.0.1:8000/v1/chat/completions"


def test_join_url_keeps_a_path_prefix() -> None:
    assert (
        join_url("https://gw.example/openai/v1", "/v1/completions")
        == "https://gw.example/openai/v1/completions"
    )
    assert (
        join_url("https://gw.example/openai", "/v1/completions") == "https://gw.example/openai/v1/completions"
    )
