"""A Qwen2/Qwen3-style byte-level BPE tokenizer for darkroom-tiny-flow, learned on its captions.

It writes `tokenizer.json` (the Hugging Face `tokenizers` format Qwen3 ships: NFC
normaliser, Qwen2's split pattern, byte-level mapping with no prefix space, BPE with no
end-of-word suffix) and a `tokenizer_config.json` whose chat template is rendered exactly
as transformers' `apply_chat_template` renders Qwen3's. This module is also the Python
tokenizer the TypeScript one is tested against: `encode` follows the `tokenizers`
algorithm (special tokens split out first, then pre-tokens, then merges by rank).
"""

import collections
import json
import unicodedata

import jinja2
import regex

from bpe import BYTE_ENCODER, learn_merges, merge_pair

# Qwen2's pre-tokenizer pattern, from Qwen/Qwen3's tokenizer.json.
PATTERN = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"]
PAD, EOS = "<|endoftext|>", "<|im_end|>"
# Qwen3's chat template reduced to what a text-to-image pipeline uses: system and user
# messages, the generation prompt, and `enable_thinking` (false adds an empty think block),
# giving the same text as Qwen3's template for those inputs.
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}"
    "{{- '<|im_start|>assistant\\n' }}"
    "{%- if enable_thinking is defined and enable_thinking is false %}"
    "{{- '<think>\\n\\n</think>\\n\\n' }}"
    "{%- endif %}"
    "{%- endif %}"
)
SPLIT = regex.compile(PATTERN)


def pieces(text: str):
    for token in SPLIT.findall(unicodedata.normalize("NFC", text)):
        yield "".join(BYTE_ENCODER[b] for b in token.encode("utf-8"))


def learn(texts, max_merges: int = 1500):
    return learn_merges(collections.Counter(tuple(p) for text in texts for p in pieces(text)), max_merges)


TEMPLATE = jinja2.Environment().from_string(CHAT_TEMPLATE)


def render_chat(prompt: str, enable_thinking: bool = True) -> str:
    """The text Z-Image's pipeline encodes: the prompt as the user's message, with the
    assistant's generation prompt after it."""
    return TEMPLATE.render(
        messages=[{"role": "user", "content": prompt}], add_generation_prompt=True, enable_thinking=enable_thinking
    )


class Tokenizer:
    def __init__(self, merges):
        vocab = sorted(set(BYTE_ENCODER.values()), key=lambda c: ord(c))
        vocab += ["".join(m) for m in merges]
        self.encoder = {token: i for i, token in enumerate(vocab)}
        self.special = {token: len(vocab) + i for i, token in enumerate(SPECIAL)}
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.merges = merges

    def bpe(self, piece: str):
        word = tuple(piece)
        while len(word) > 1:
            rank, pair = min((self.ranks.get(p, float("inf")), p) for p in zip(word, word[1:]))
            if rank == float("inf"):
                break
            word = merge_pair(word, pair)
        return word

    def encode(self, text: str):
        """Ids without padding, special tokens recognised anywhere in the text."""
        ids = []
        for part in regex.split("(" + "|".join(regex.escape(s) for s in SPECIAL) + ")", text):
            if part in self.special:
                ids.append(self.special[part])
            elif part:
                ids.extend(self.encoder[s] for p in pieces(part) for s in self.bpe(p))
        return ids

    @property
    def vocab_size(self) -> int:
        return len(self.encoder) + len(self.special)

    def save(self, folder, max_length: int):
        byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
        added = [
            {"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
            for s, i in self.special.items()
        ]
        spec = {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": {"type": "NFC"},
            "pre_tokenizer": {
                "type": "Sequence",
                "pretokenizers": [
                    {"type": "Split", "pattern": {"Regex": PATTERN}, "behavior": "Isolated", "invert": False},
                    byte_level,
                ],
            },
            "post_processor": byte_level,
            "decoder": byte_level,
            "model": {
                "type": "BPE",
                "dropout": None,
                "unk_token": None,
                "continuing_subword_prefix": "",
                "end_of_word_suffix": "",
                "fuse_unk": False,
                "byte_fallback": False,
                "ignore_merges": False,
                "vocab": self.encoder,
                "merges": [f"{a} {b}" for a, b in self.merges],
            },
        }
        with open(f"{folder}/tokenizer.json", "w") as f:
            json.dump(spec, f, ensure_ascii=False)
        config = {
            "tokenizer_class": "Qwen2Tokenizer",
            "add_bos_token": False,
            "bos_token": None,
            "eos_token": EOS,
            "pad_token": PAD,
            "unk_token": None,
            "errors": "replace",
            "model_max_length": max_length,
            "split_special_tokens": False,
            "added_tokens_decoder": {str(a["id"]): {k: v for k, v in a.items() if k != "id"} for a in added},
            "chat_template": CHAT_TEMPLATE,
        }
        with open(f"{folder}/tokenizer_config.json", "w") as f:
            json.dump(config, f, ensure_ascii=False, indent=2)

    @staticmethod
    def load(folder):
        with open(f"{folder}/tokenizer.json") as f:
            merges = json.load(f)["model"]["merges"]
        return Tokenizer([tuple(m.split(" ")) for m in merges])
