"""Writes darkroom-tiny-xl's PyTorch reference outputs, which the TypeScript SDXL pipeline
must match, and a sample sheet.

  python3 reference_xl.py [--out test/fixtures/tiny-xl-reference.json] [--sheet sheet.png] [--time]

Each case conditions as diffusers' StableDiffusionXLPipeline does: both encoders'
penultimate hidden states joined, the second's pooled `text_embeds`, `time_ids` =
original size + crop top-left + target size, and all-zero negative conditioning for an
empty negative prompt (`force_zeros_for_empty_prompt`).
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
import reference  # noqa: E402
import train_xl  # noqa: E402
from schedule import SAMPLERS, sample  # noqa: E402

CASES = [
    {"sampler": "euler", "spacing": "leading", "prompt": "a red circle on a blue background", "negative": "", "steps": 20, "guidance": 7.5, "seed": 1},
    {"sampler": "ddim", "spacing": "leading", "prompt": "a small green triangle at the top, yellow background", "negative": "blue", "steps": 15, "guidance": 5.0, "seed": 2},
    # Turbo-style: trailing spacing, no guidance, one UNet row per step.
    {"sampler": "euler", "spacing": "trailing", "prompt": "a large white square on a purple background", "negative": "", "steps": 4, "guidance": 0.0, "seed": 3},
    # Micro-conditioning: drawn at 32 px and cropped 8 px from the top.
    {"sampler": "euler", "spacing": "leading", "prompt": "an orange circle on a black background", "negative": "", "steps": 12, "guidance": 6.0, "seed": 4, "time_ids": [32, 32, 8, 0, 64, 64]},
]


def encode(model, prompt: str):
    tokenizer_1, tokenizer_2, text_1, text_2 = model[:4]
    ids = [torch.tensor([t.encode(prompt)], dtype=torch.int64) for t in (tokenizer_1, tokenizer_2)]
    return train_xl.condition(text_1, text_2, *ids)


@torch.no_grad()
def generate(model, prompt, negative, sampler_name, spacing, steps, guidance, latents, time_ids=(64, 64, 0, 0, 64, 64)):
    unet, vae, scaling = model[4:]
    batch = latents.shape[0]
    context, pooled = encode(model, prompt)
    if negative == "":
        uncontext, unpooled = torch.zeros_like(context), torch.zeros_like(pooled)
    else:
        uncontext, unpooled = encode(model, negative)
    ids = torch.tensor([list(time_ids)], dtype=torch.float32).expand(batch, -1)
    added = [(pooled.expand(batch, -1), unpooled.expand(batch, -1)), (ids, ids)]
    sampler = SAMPLERS[sampler_name](steps, spacing)
    final = sample(unet, context.expand(batch, -1, -1), uncontext.expand(batch, -1, -1), latents, sampler, guidance, added)
    return final, vae.decode(final / scaling)


def sheet(model, path):
    rows = []
    for i, prompt in enumerate(reference.SHEET_PROMPTS):
        latents = torch.from_numpy(np.random.default_rng(100 + i).standard_normal((4, 4, 16, 16), dtype=np.float32))
        _, decoded = generate(model, prompt, "", "euler", "leading", 20, 7.5, latents)
        rows.append(np.concatenate(list(reference.to_rgb(decoded)), axis=1))
    grid = np.concatenate(rows, axis=0)
    Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST).save(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", default=train_xl.PACKED)
    parser.add_argument("--out", default=os.path.join(reference.ROOT, "test", "fixtures", "tiny-xl-reference.json"))
    parser.add_argument("--sheet", help="also write a PNG of sample images for a person to look at")
    parser.add_argument("--time", action="store_true", help="print one JSON line: ms per 20-step image")
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = train_xl.load(args.weights)

    if args.time:
        latents = torch.from_numpy(np.random.default_rng(0).standard_normal((1, 4, 16, 16), dtype=np.float32))
        run = lambda: generate(model, "a red circle on a blue background", "", "euler", "leading", 20, 7.5, latents)  # noqa: E731
        run()
        runs = 5
        began = time.perf_counter()
        for _ in range(runs):
            run()
        print(json.dumps({"torch_ms_per_image": (time.perf_counter() - began) * 1000 / runs, "torch_threads": 1}))
        return

    cases = []
    for case in CASES:
        latents = np.random.default_rng(case["seed"]).standard_normal((1, 4, 16, 16), dtype=np.float32)
        time_ids = case.get("time_ids", [64, 64, 0, 0, 64, 64])
        final, decoded = generate(
            model, case["prompt"], case["negative"], case["sampler"], case["spacing"], case["steps"], case["guidance"], torch.from_numpy(latents), time_ids
        )
        cases.append(
            {
                **case,
                "time_ids": time_ids,
                "initial_latents": latents.flatten().tolist(),
                "final_latents": final.flatten().tolist(),
                "image_rgb": reference.to_rgb(decoded).flatten().tolist(),
            }
        )
    tokens = [{"prompt": p, "ids": model[1].encode(p)} for p in reference.TOKEN_PROMPTS]
    with open(args.out, "w") as f:
        json.dump({"latent_shape": [1, 4, 16, 16], "cases": cases, "tokens_2": tokens}, f)
    print(f"wrote {args.out}")
    if args.sheet:
        sheet(model, args.sheet)
        print(f"wrote {args.sheet}")


if __name__ == "__main__":
    main()
