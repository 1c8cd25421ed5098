"""Write a tiny random Llama model that vLLM and llama.cpp can serve: `python tiny_model_build.py OUT_DIR`.

Runs inside the vLLM venv (it needs torch, transformers and tokenizers). Shape: hidden 128, 4 heads
of dim 32 (a head size vLLM's CPU attention supports), 2 layers, intermediate 256, vocab ~2k.

The tokenizer is a Llama-2-style BPE (metaspace `▁`, byte fallback `<0xXX>`), trained on English
text that ships with Python (the language reference in `pydoc_data.topics`). That shape is the one
llama.cpp's converter maps without a pre-tokenizer hash table (a GPT-2 byte-level BPE trained here
would be refused as an unknown pre-tokenizer).

Every request must stream exactly `max_tokens` tokens, one printable chunk each, so the weights make
the end-of-sequence, special, byte and whitespace-only tokens unreachable: residual dimension 0
carries a constant 1 through the network (its embedding column is 1, no layer writes to it), so the
final norm's output is always positive there, and those tokens' `lm_head` rows are -1000 on that
dimension only. Their logits sit ~1000 below every other token's at any temperature.
"""

from __future__ import annotations

import json
import pydoc_data.topics
import sys
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

VOCAB_SIZE = 2048
CONTROL = ["<unk>", "<s>", "</s>"]
ROLE_MARKERS = ["<|system|>", "<|user|>", "<|assistant|>"]
BYTE_TOKENS = [f"<0x{b:02X}>" for b in range(256)]
CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
BANNED_LOGIT_WEIGHT = -1000.0


def training_text() -> list[str]:
    topics = pydoc_data.topics.topics
    return [topics[key] for key in sorted(topics)]


def build_tokenizer() -> Tokenizer:
    """Train the BPE, then lay its vocab out like Llama 2's: control tokens, 256 byte tokens, merges."""
    trainer_model = Tokenizer(models.BPE(unk_token="<unk>"))
    trainer_model.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
    reserved = len(CONTROL) + len(BYTE_TOKENS) + len(ROLE_MARKERS)
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE - reserved, show_progress=False)
    trainer_model.train_from_iterator(training_text(), trainer=trainer)
    trained = json.loads(trainer_model.to_str())["model"]

    vocab: dict[str, int] = {token: i for i, token in enumerate(CONTROL + BYTE_TOKENS)}
    for token, _ in sorted(trained["vocab"].items(), key=lambda item: item[1]):
        vocab.setdefault(token, len(vocab))
    for marker in ROLE_MARKERS:
        vocab[marker] = len(vocab)
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in trained["merges"]]

    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
    tokenizer.decoder = decoders.Sequence(
        [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
    )
    tokenizer.add_special_tokens(CONTROL + ROLE_MARKERS)
    return tokenizer


def banned_ids(tokenizer: Tokenizer) -> list[int]:
    """Tokens a request must never generate: specials, raw bytes, non-printable or blank pieces."""
    banned = []
    for token, token_id in tokenizer.get_vocab().items():
        text = token.replace("▁", " ")
        printable = text.isascii() and text.isprintable() and text.strip() != ""
        if token in CONTROL or token in ROLE_MARKERS or token in BYTE_TOKENS or not printable:
            banned.append(token_id)
    return sorted(banned)


def build_model(vocab_size: int, banned: list[int]) -> LlamaForCausalLM:
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=2048,
        rms_norm_eps=1e-5,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=2,
        tie_word_embeddings=False,
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).float().eval()
    with torch.no_grad():
        model.model.embed_tokens.weight[:, 0] = 1.0
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight[0, :] = 0.0
            layer.mlp.down_proj.weight[0, :] = 0.0
        model.lm_head.weight[:, 0] = 0.0
        model.lm_head.weight[banned, :] = 0.0
        model.lm_head.weight[banned, 0] = BANNED_LOGIT_WEIGHT
    return model


def check_banned_unreachable(model: LlamaForCausalLM, banned: list[int], vocab_size: int) -> float:
    """The smallest margin, over random sequences, between the best allowed and the best banned logit."""
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(0, vocab_size, (8, 64), generator=generator)
    with torch.no_grad():
        logits = model(input_ids=ids).logits
    allowed = torch.ones(vocab_size, dtype=torch.bool)
    allowed[banned] = False
    margin = logits[..., allowed].max(-1).values - logits[..., ~allowed].max(-1).values
    return float(margin.min())


def main(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer()
    banned = banned_ids(tokenizer)
    vocab_size = tokenizer.get_vocab_size()
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="</s>",
        model_max_length=2048,
    )
    wrapped.chat_template = CHAT_TEMPLATE
    wrapped.save_pretrained(out_dir)

    model = build_model(vocab_size, banned)
    margin = check_banned_unreachable(model, banned, vocab_size)
    if margin < 100:
        raise SystemExit(f"banned tokens are reachable (logit margin {margin:.1f})")
    model.save_pretrained(out_dir, safe_serialization=True)
    facts = {
        "vocab_size": vocab_size,
        "banned_tokens": len(banned),
        "min_logit_margin": round(margin, 1),
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    (out_dir / "tiny_model_facts.json").write_text(json.dumps(facts, indent=2) + "\n")
    print(json.dumps(facts))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
