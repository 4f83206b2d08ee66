"""Trains darkroom-tiny-flow: darkroom-tiny's world with Z-Image's architecture in small.

  python3 train_flow.py data       # draw the data (a quarter of the captions in Chinese), learn the tokenizer
  python3 train_flow.py vae        # train the 16-channel autoencoder, encode the data with shift and scale
  python3 train_flow.py dit        # train text encoder + transformer with the rectified-flow objective
  python3 train_flow.py all        # the three stages in order
  python3 train_flow.py pack       # pack the EMA weights into weights/darkroom-tiny-flow.pt

What makes it Z-Image-shaped (and what the pipeline must therefore do):
- a decoder-only causal text encoder (Qwen3's blocks: RMSNorm, rotary positions, grouped
  query attention with per-head q/k norms, SwiGLU) reading the prompt rendered with a
  chat template, of which the pipeline takes the second-to-last hidden state at the
  prompt's tokens only (no padding);
- a 16-channel autoencoder whose latents are (z - shift_factor) x scaling_factor;
- a single-stream transformer over 2x2 patches of the latents and the caption's tokens
  together, with 3-D rotary positions, each side first refined on its own;
- the rectified-flow objective in Z-Image's convention: x_t = (1 - t) x noise + t x latents
  for t in [0, 1] (t = 1 - sigma), and the transformer predicts latents - noise (the
  pipeline negates it into the scheduler's velocity);
- no classifier-free guidance at sampling time (Turbo models run with guidance 0), so
  captions are dropped only rarely.
"""

import argparse
import json
import os
import random
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import bpe_llm  # noqa: E402
import data  # noqa: E402
import train  # noqa: E402
from models import AutoencoderKL  # noqa: E402
from models_flow import FlowTransformer, QwenTextEncoder  # noqa: E402

DEFAULT_WORK = os.path.join(train.HERE, "work-flow")
PACKED = os.path.join(train.HERE, "weights", "darkroom-tiny-flow.pt")
LATENT_CHANNELS = 16
CHINESE = 0.25
MAX_LENGTH = 512
# The architecture in one place: export and reference build the same networks.
TEXT = {"dim": 128, "layers": 3, "heads": 4, "kv_heads": 2, "head_dim": 32, "hidden": 384}
TRANSFORMER = {"dim": 128, "layers": 4, "refiner_layers": 1, "heads": 4, "axes_dims": (8, 12, 12)}
# The text encoder's hidden state the transformer reads, as Z-Image's pipeline takes it.
HIDDEN_STATE = -2


def build_text_encoder(vocab_size: int) -> QwenTextEncoder:
    return QwenTextEncoder(vocab_size, **TEXT)


def build_transformer() -> FlowTransformer:
    return FlowTransformer(LATENT_CHANNELS, cap_feat_dim=TEXT["dim"], **TRANSFORMER)


def caption_features(text, ids, mask):
    """The features Z-Image's pipeline gives the transformer: the second-to-last hidden
    state, of which only the prompt's tokens are kept (padding is replaced by the
    transformer's own pad token)."""
    return text(ids, mask)[HIDDEN_STATE]


def sample_t(batch: int) -> torch.Tensor:
    """t in [0, 1] (1 = clean): logit-normal, which favours the middle where the flow is
    hardest to learn, mixed with 10% uniform so both ends are seen."""
    t = torch.sigmoid(torch.randn(batch))
    uniform = torch.rand(batch) < 0.1
    return torch.where(uniform, torch.rand(batch), t)


def stage_dit(work: str, steps: int, batch: int, lr: float, warmup: int = 500):
    torch.manual_seed(4)
    latents = torch.from_numpy(np.load(f"{work}/latents.npy"))
    input_ids = torch.from_numpy(np.load(f"{work}/input_ids.npy"))
    lengths = torch.from_numpy(np.load(f"{work}/lengths.npy"))
    tokenizer = bpe_llm.Tokenizer.load(f"{work}/tokenizer")
    empty = torch.tensor(tokenizer.encode(bpe_llm.render_chat("")), dtype=torch.int64)
    text, transformer = build_text_encoder(tokenizer.vocab_size), build_transformer()
    positions = torch.arange(input_ids.shape[1])

    def batch_loss(step):
        idx = torch.randint(0, len(latents), (batch,))
        x0, ids, lens = latents[idx], input_ids[idx].clone(), lengths[idx].clone()
        # Drop the caption 10% of the time (the empty prompt, rendered), so guidance can be used.
        drop = torch.rand(batch) < 0.1
        ids[drop, : len(empty)] = empty
        lens[drop] = len(empty)
        mask = positions[None, :] < lens[:, None]
        t = sample_t(batch)
        noise = torch.randn_like(x0)
        xt = t[:, None, None, None] * x0 + (1 - t[:, None, None, None]) * noise
        pred = transformer(xt, t, caption_features(text, ids, mask), mask)
        return (pred - (x0 - noise)).pow(2).mean()

    train.train_denoiser(f"{work}/dit-checkpoint.pt", {"text": text, "transformer": transformer}, batch_loss, steps, lr, warmup)


def merge_corpus(captions):
    """What the merges are learned on: the English captions as the pipeline renders them
    (so the chat template's words are tokens too), and the Chinese words one by one. The
    split pattern keeps a run of Chinese characters as one piece, so merges learned on whole
    captions would make tokens of whole phrases; a real tokenizer, learned on far more text,
    has tokens for words."""
    english = [bpe_llm.render_chat(c) for c in captions if c.isascii()]
    words = list(data.COLOURS_ZH.values()) + list(data.SHAPES_ZH.values()) + ["一个", "背景", "上", "有", "是"]
    words += [w for table in (data.POSITION_PHRASES_ZH, data.SIZE_WORDS_ZH) for phrases in table.values() for w in phrases]
    return english + words * 200


def stage_data(work: str, count: int, seed: int = 5):
    images, captions = data.dataset(count, seed=seed, chinese=CHINESE)
    np.save(f"{work}/images.npy", images)
    with open(f"{work}/captions.json", "w") as f:
        json.dump(captions, f, ensure_ascii=False)
    os.makedirs(f"{work}/tokenizer", exist_ok=True)
    tokenizer = bpe_llm.Tokenizer(bpe_llm.learn(merge_corpus(captions[:20000])))
    tokenizer.save(f"{work}/tokenizer", MAX_LENGTH)
    encoded = [tokenizer.encode(bpe_llm.render_chat(c)) for c in captions]
    longest = max(len(e) for e in encoded)
    pad = tokenizer.special[bpe_llm.PAD]
    ids = np.full((count, longest), pad, dtype=np.int64)
    for i, e in enumerate(encoded):
        ids[i, : len(e)] = e
    np.save(f"{work}/input_ids.npy", ids)
    np.save(f"{work}/lengths.npy", np.array([len(e) for e in encoded], dtype=np.int64))
    train.log(f"data: {count} images, vocab {tokenizer.vocab_size}, longest prompt {longest} tokens")
    for c in captions[:6]:
        train.log(f"  {c} -> {len(tokenizer.encode(bpe_llm.render_chat(c)))} tokens")


def pack(work: str, path: str = PACKED, checkpoint: str = "dit-checkpoint.pt"):
    """The EMA weights, tokenizer merges, VAE and its scale and shift, in one file."""
    state = torch.load(f"{work}/{checkpoint}")
    with open(f"{work}/vae.json") as f:
        vae = json.load(f)
    packed = {
        "step": state["step"] + state.get("base_step", 0),
        "merges": bpe_llm.Tokenizer.load(f"{work}/tokenizer").merges,
        "text": state["ema_text"],
        "transformer": state["ema_transformer"],
        "vae": torch.load(f"{work}/vae.pt"),
        "scaling_factor": vae["scaling_factor"],
        "shift_factor": vae["shift_factor"],
    }
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.save(packed, path)
    train.log(f"packed step {packed['step']} into {path}")


def load(path: str = PACKED):
    """(tokenizer, text encoder, transformer, vae, scaling_factor, shift_factor), in eval mode."""
    packed = torch.load(path)
    tokenizer = bpe_llm.Tokenizer([tuple(m) for m in packed["merges"]])
    text, transformer, vae = build_text_encoder(tokenizer.vocab_size), build_transformer(), AutoencoderKL(LATENT_CHANNELS)
    text.load_state_dict(packed["text"])
    transformer.load_state_dict(packed["transformer"])
    vae.load_state_dict(packed["vae"])
    for module in (text, transformer, vae):
        module.eval()
    return tokenizer, text, transformer, vae, packed["scaling_factor"], packed["shift_factor"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stage", choices=["data", "vae", "dit", "all", "pack"])
    parser.add_argument("--work", default=DEFAULT_WORK)
    parser.add_argument("--count", type=int, default=60000)
    parser.add_argument("--vae-steps", type=int, default=3000)
    parser.add_argument("--dit-steps", type=int, default=12000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    random.seed(0)
    os.makedirs(args.work, exist_ok=True)
    if args.stage in ("data", "all"):
        stage_data(args.work, args.count)
    if args.stage in ("vae", "all"):
        train.stage_vae(args.work, args.vae_steps, LATENT_CHANNELS, kl_weight=1e-5, shift=True)
    if args.stage in ("dit", "all"):
        stage_dit(args.work, args.dit_steps, args.batch, args.lr)
    if args.stage == "pack":
        pack(args.work)


if __name__ == "__main__":
    main()
