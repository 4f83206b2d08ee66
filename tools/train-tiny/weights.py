"""Packs the trained EMA weights, the tokenizer merges and the VAE scale into one file.

  python3 weights.py [--work DIR] [--out weights/darkroom-tiny.pt]

The packed file is committed, so export, reference outputs, test variants and the PyTorch
side of the benchmark can be rebuilt without retraining.
"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import bpe  # noqa: E402
import train  # noqa: E402
from models import AutoencoderKL  # noqa: E402

DEFAULT_PATH = os.path.join(train.HERE, "weights", "darkroom-tiny.pt")


def pack(work: str, path: str):
    state = torch.load(f"{work}/unet-checkpoint.pt")
    with open(f"{work}/vae.json") as f:
        scaling = json.load(f)["scaling_factor"]
    packed = {
        "step": state["step"] + state.get("base_step", 0),
        "merges": bpe.Tokenizer.load(f"{work}/tokenizer").merges,
        "text": state["ema_text"],
        "unet": state["ema_unet"],
        "vae": torch.load(f"{work}/vae.pt"),
        "scaling_factor": scaling,
    }
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.save(packed, path)
    print(f"packed step {state['step']} into {path}")


def load(path: str = DEFAULT_PATH):
    """(tokenizer, text encoder, unet, vae, scaling_factor), in eval mode."""
    packed = torch.load(path)
    tokenizer = bpe.Tokenizer([tuple(m) for m in packed["merges"]])
    text, unet, vae = train.build_text_encoder(tokenizer.vocab_size), train.build_unet(), AutoencoderKL()
    text.load_state_dict(packed["text"])
    unet.load_state_dict(packed["unet"])
    vae.load_state_dict(packed["vae"])
    for module in (text, unet, vae):
        module.eval()
    return tokenizer, text, unet, vae, packed["scaling_factor"]


def training_step(path: str = DEFAULT_PATH) -> int:
    return torch.load(path)["step"]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", default=os.path.join(train.HERE, "work"))
    parser.add_argument("--out", default=DEFAULT_PATH)
    args = parser.parse_args()
    pack(args.work, args.out)
