"""Writes the PyTorch reference outputs the TypeScript pipeline must match, and a sample sheet.

  python3 reference.py [--weights tools/train-tiny/weights/darkroom-tiny.pt]
                       [--out test/fixtures/tiny-reference.json] [--sheet sheet.png]

From fixed initial latents, prompts and step counts it samples with the PyTorch networks
(the same weights the ONNX files were exported from) and records the final latents and the
decoded image. It also records token ids for tricky prompts, so the TypeScript tokenizer is
held to the Python one.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
import bpe  # noqa: E402
import weights  # noqa: E402
from schedule import SAMPLERS, sample  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))

CASES = [
    {"sampler": "euler", "prompt": "a red circle on a blue background", "negative": "", "steps": 20, "guidance": 7.5, "seed": 1},
    {"sampler": "ddim", "prompt": "a small green triangle at the top, yellow background", "negative": "blue", "steps": 15, "guidance": 5.0, "seed": 2},
]
TOKEN_PROMPTS = [
    "",
    "a red circle on a blue background",
    "A  Big   ORANGE square,  on the LEFT!!",
    "tiny purple triangle at the bottom; white backdrop's edge",
    "3 circles 42 squares",
    "un cercle rouge sur fond bleu, très joli",
    "a picture of a huge pink square near the top " * 8,
]
SHEET_PROMPTS = [
    "a red circle on a blue background",
    "a green square on a white background",
    "a yellow triangle on a black background",
    "a small blue circle on the left, orange background",
    "a large purple square on a yellow background",
    "a white triangle at the top, red background",
    "a black circle at the bottom on a pink background",
    "an orange square on the right, green background",
]


def encode(text_encoder, tokenizer, prompt):
    ids = torch.tensor([tokenizer.encode(prompt)], dtype=torch.int64)
    return text_encoder(ids)[0]


def to_rgb(decoded: torch.Tensor) -> np.ndarray:
    """[-1, 1] CHW float to HWC uint8, rounding as the TypeScript pipeline does."""
    x = ((decoded.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).numpy()


@torch.no_grad()
def generate(model, prompt, negative, sampler_name, steps, guidance, latents):
    tokenizer, text, unet, vae, scaling = model
    sampler = SAMPLERS[sampler_name](steps, "leading")
    cond = encode(text, tokenizer, prompt).expand(latents.shape[0], -1, -1)
    uncond = encode(text, tokenizer, negative).expand(latents.shape[0], -1, -1)
    final = sample(unet, cond, uncond, latents, sampler, guidance)
    return final, vae.decode(final / scaling)


def sheet(model, path):
    rows = []
    for i, prompt in enumerate(SHEET_PROMPTS):
        latents = torch.from_numpy(np.random.default_rng(100 + i).standard_normal((4, 4, 16, 16), dtype=np.float32))
        _, decoded = generate(model, prompt, "", "euler", 20, 7.5, latents)
        rows.append(np.concatenate(list(to_rgb(decoded)), axis=1))
    grid = np.concatenate(rows, axis=0)
    Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST).save(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", default=weights.DEFAULT_PATH)
    parser.add_argument("--out", default=os.path.join(ROOT, "test", "fixtures", "tiny-reference.json"))
    parser.add_argument("--sheet", help="also write a PNG of sample images for a person to look at")
    parser.add_argument("--time", action="store_true", help="print one JSON line: ms per 20-step image")
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = weights.load(args.weights)
    tokenizer = model[0]

    if args.time:
        latents = torch.from_numpy(np.random.default_rng(0).standard_normal((1, 4, 16, 16), dtype=np.float32))
        generate(model, "a red circle on a blue background", "", "euler", 20, 7.5, latents)
        runs = 5
        began = time.perf_counter()
        for _ in range(runs):
            generate(model, "a red circle on a blue background", "", "euler", 20, 7.5, latents)
        print(json.dumps({"torch_ms_per_image": (time.perf_counter() - began) * 1000 / runs, "torch_threads": 1}))
        return

    cases = []
    for case in CASES:
        latents = np.random.default_rng(case["seed"]).standard_normal((1, 4, 16, 16), dtype=np.float32)
        final, decoded = generate(
            model, case["prompt"], case["negative"], case["sampler"], case["steps"], case["guidance"], torch.from_numpy(latents)
        )
        cases.append(
            {
                **case,
                "spacing": "leading",
                "initial_latents": latents.flatten().tolist(),
                "final_latents": final.flatten().tolist(),
                "image_rgb": to_rgb(decoded).flatten().tolist(),
            }
        )
    tokens = [{"prompt": p, "ids": tokenizer.encode(p)} for p in TOKEN_PROMPTS]
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"latent_shape": [1, 4, 16, 16], "cases": cases, "tokens": tokens}, f)
    print(f"wrote {args.out}")
    if args.sheet:
        sheet(model, args.sheet)
        print(f"wrote {args.sheet}")


if __name__ == "__main__":
    main()
