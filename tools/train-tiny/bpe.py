"""A CLIP-style byte-level BPE tokenizer, learned on the captions.

It writes vocab.json and merges.txt in exactly the format of openai/clip-vit-large-patch14's
tokenizer (the one Stable Diffusion 1.x ships), so Darkroom reads it with the same code
as a real model's tokenizer: bytes mapped by bytes_to_unicode, '</w>' marking a word's
end, merges ranked by line order, <|startoftext|> and <|endoftext|> last in the vocab.
"""

import collections
import json
import re

BOS = "<|startoftext|>"
EOS = "<|endoftext|>"
MAX_LENGTH = 77
# CLIP's pattern with \p{L} and \p{N} spelt for Python's re module.
PATTERN = re.compile(
    r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|(?:[^\s\w]|_)+",
    re.IGNORECASE,
)


def bytes_to_unicode() -> dict:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


BYTE_ENCODER = bytes_to_unicode()


def clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def pieces(text: str):
    for token in PATTERN.findall(clean(text)):
        yield "".join(BYTE_ENCODER[b] for b in token.encode("utf-8"))


def as_symbols(piece: str) -> tuple:
    return tuple(piece[:-1]) + (piece[-1] + "</w>",)


def merge_pair(word: tuple, pair: tuple) -> tuple:
    out, i = [], 0
    while i < len(word):
        if i + 1 < len(word) and (word[i], word[i + 1]) == pair:
            out.append(word[i] + word[i + 1])
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


def learn_merges(words: collections.Counter, max_merges: int):
    """BPE's learning loop over words (tuples of symbols, counted): the most frequent pair
    merged, again and again. Shared by this tokenizer and bpe_llm's."""
    merges = []
    while len(merges) < max_merges:
        pairs = collections.Counter()
        for word, count in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] += count
        if not pairs:
            break
        # Most frequent first; ties broken by the pair itself so the result is reproducible.
        best = min(pairs, key=lambda p: (-pairs[p], p))
        if pairs[best] < 2:
            break
        merges.append(best)
        merged = collections.Counter()
        for word, count in words.items():
            merged[merge_pair(word, best)] += count
        words = merged
    return merges


def learn(captions, max_merges: int = 2000):
    return learn_merges(collections.Counter(as_symbols(p) for text in captions for p in pieces(text)), max_merges)


class Tokenizer:
    def __init__(self, merges, pad: str = EOS):
        """`pad` fills prompts to 77 tokens: CLIP's end-of-text, or "!" as SDXL's second
        tokenizer does."""
        base = list(BYTE_ENCODER.values())
        vocab = base + [b + "</w>" for b in base] + ["".join(m) for m in merges] + [BOS, EOS]
        self.encoder = {token: i for i, token in enumerate(vocab)}
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.merges = merges
        self.pad = pad

    def bpe(self, piece: str):
        word = list(as_symbols(piece))
        while len(word) > 1:
            pairs = [(self.ranks.get(p, float("inf")), i) for i, p in enumerate(zip(word, word[1:]))]
            rank, i = min(pairs)
            if rank == float("inf"):
                break
            first, second = word[i], word[i + 1]
            out, j = [], 0
            while j < len(word):
                if j + 1 < len(word) and word[j] == first and word[j + 1] == second:
                    out.append(first + second)
                    j += 2
                else:
                    out.append(word[j])
                    j += 1
            word = out
        return word

    def encode(self, text: str):
        """Token ids with BOS and EOS, truncated and padded to 77 like CLIP's tokenizers."""
        ids = [self.encoder[s] for p in pieces(text) for s in self.bpe(p)]
        ids = [self.encoder[BOS]] + ids[: MAX_LENGTH - 2] + [self.encoder[EOS]]
        return ids + [self.encoder[self.pad]] * (MAX_LENGTH - len(ids))

    @property
    def vocab_size(self) -> int:
        return len(self.encoder)

    def save(self, folder):
        with open(f"{folder}/vocab.json", "w") as f:
            json.dump(self.encoder, f, ensure_ascii=False)
        with open(f"{folder}/merges.txt", "w") as f:
            f.write("#version: 0.2\n")
            f.writelines(f"{a} {b}\n" for a, b in self.merges)
        with open(f"{folder}/special_tokens_map.json", "w") as f:
            json.dump({"bos_token": BOS, "eos_token": EOS, "pad_token": self.pad, "unk_token": EOS}, f, indent=2)
        with open(f"{folder}/tokenizer_config.json", "w") as f:
            json.dump(
                {
                    "tokenizer_class": "CLIPTokenizer",
                    "model_max_length": MAX_LENGTH,
                    "do_lower_case": True,
                    "bos_token": BOS,
                    "eos_token": EOS,
                    "pad_token": self.pad,
                    "unk_token": EOS,
                },
                f,
                indent=2,
            )

    @staticmethod
    def load(folder):
        with open(f"{folder}/merges.txt") as f:
            lines = f.read().strip().split("\n")[1:]
        return Tokenizer([tuple(line.split()) for line in lines])
