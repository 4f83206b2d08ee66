"""Writes darkroom-tiny-flow's PyTorch reference outputs, which the TypeScript pipeline must
match (test/fixtures/tiny-flow-reference.json), and a sample sheet to look at.

  python3 reference_flow.py [--weights weights/darkroom-tiny-flow.pt] [--sheet sheet.png] [--time]

- tokens: the chat-rendered text and ids of prompts in English, Chinese and emoji, from
  bpe_llm (the Python tokenizer that wrote tokenizer.json);
- encoder: the text encoder's hidden state for two prompts;
- transformer: its output for random inputs at several latent sizes and prompt lengths
  (the ONNX export's dynamic shapes are held to PyTorch here);
- cases: whole generations from fixed initial latents (text-to-image without and with
  guidance, image-to-image from given clean latents), their final latents and pictures;
- int4_cases: the first case again with the int4 transformer's weights: every Linear the
  ONNX export turns into a MatMul (those applied to [batch, tokens, features]; the ones on
  [batch, features] become Gemm and stay float) rounded through quantize_int4 as the
  variant's MatMulNBits holds them.
The scheduler's shift is read from the exported model's scheduler_config.json.
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
import bpe_llm  # noqa: E402
import flow_sampling  # noqa: E402
import quantize_int4  # noqa: E402
import train  # noqa: E402
import train_flow  # noqa: E402
from reference import to_rgb  # noqa: E402

ROOT = os.path.abspath(os.path.join(train.HERE, "..", ".."))
MODEL = os.path.join(ROOT, "models", "darkroom-tiny-flow")
TOKEN_PROMPTS = [
    "",
    "a red circle on a blue background",
    "A  Big   ORANGE square,  on the LEFT!!",
    "一个大蓝色正方形在左边,灰色背景",
    "红色的圆形 on a 蓝色 background",
    "a 🐱 and a 🚀 over a plain white background",
    "café naïve Ünïcödé",
]
CASES = [
    {"prompt": "a red circle on a blue background", "negative": "", "steps": 8, "guidance": 0.0, "seed": 1},
    {"prompt": "一个小的黄色三角形在上方,黑色背景", "negative": "green", "steps": 6, "guidance": 2.0, "seed": 2},
    {"prompt": "a green square on the right, white background", "negative": "", "steps": 8, "guidance": 0.0, "seed": 3, "strength": 0.6},
]
SHEET_PROMPTS = [
    "a red circle on a blue background",
    "a green square on a white background",
    "a yellow triangle on a black background",
    "a small blue circle on the left, orange background",
    "a large purple square on a yellow background",
    "a white triangle at the top, red background",
    "一个绿色的正方形在左边,白色背景",
    "黑色背景上有一个红色三角形在下方",
]


# The transformer's Linears on [batch, features] (the timestep's embedding and the adaLN
# modulations): exported as Gemm, left float by quantize_int4.
GEMM_LINEARS = ("t_embedder", "adaLN_modulation")


def int4_model(model):
    """The model with its transformer's MatMul weights rounded to 4 bits in blocks of 32."""
    import copy

    transformer = copy.deepcopy(model[2])
    for name, module in transformer.named_modules():
        if isinstance(module, torch.nn.Linear) and not any(part in name for part in GEMM_LINEARS):
            weight = module.weight.detach().numpy().T  # the [K, N] the MatMul multiplies by
            rounded = quantize_int4.dequantize(*quantize_int4.quantize(weight, 32), weight.shape[0])
            module.weight.data = torch.from_numpy(rounded.T.copy())
    return (*model[:2], transformer, *model[3:])


def shift_of(model_dir: str) -> float:
    with open(os.path.join(model_dir, "scheduler", "scheduler_config.json")) as f:
        return json.load(f)["shift"]


def flat(t: torch.Tensor):
    return [round(float(v), 6) for v in t.flatten()]


@torch.no_grad()
def sheet(model, shift, path, steps):
    rows = []
    for i, prompt in enumerate(SHEET_PROMPTS):
        latents = torch.from_numpy(np.random.default_rng(100 + i).standard_normal((4, 16, 16, 16), dtype=np.float32))
        final = flow_sampling.sample(model, prompt, "", steps, 0.0, latents, shift)
        rows.append(np.concatenate(list(to_rgb(flow_sampling.decode(model, final))), axis=1))
    grid = np.concatenate(rows, axis=0)
    Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST).save(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", default=train_flow.PACKED)
    parser.add_argument("--model", default=MODEL, help="the exported model (for its scheduler's shift)")
    parser.add_argument("--out", default=os.path.join(ROOT, "test", "fixtures", "tiny-flow-reference.json"))
    parser.add_argument("--sheet", help="also write a PNG of sample images for a person to look at")
    parser.add_argument("--steps", type=int, default=8, help="steps for the sheet and the timing")
    parser.add_argument("--time", action="store_true", help="print one JSON line: ms per image at --steps")
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = train_flow.load(args.weights)
    tokenizer, text, transformer = model[:3]
    shift = shift_of(args.model)

    if args.time:
        latents = torch.from_numpy(np.random.default_rng(0).standard_normal((1, 16, 16, 16), dtype=np.float32))
        run = lambda: flow_sampling.decode(model, flow_sampling.sample(model, CASES[0]["prompt"], "", args.steps, 0.0, latents, shift))  # noqa: E731
        run()
        runs = 5
        began = time.perf_counter()
        for _ in range(runs):
            run()
        print(json.dumps({"torch_ms_per_image": (time.perf_counter() - began) * 1000 / runs, "torch_threads": 1, "steps": args.steps}))
        return

    tokens = [{"prompt": p, "text": bpe_llm.render_chat(p), "ids": tokenizer.encode(bpe_llm.render_chat(p))} for p in TOKEN_PROMPTS]
    encoder = [{"prompt": p, "hidden": flat(flow_sampling.encode(text, tokenizer, p))} for p in TOKEN_PROMPTS[1:4:2]]
    rng = np.random.default_rng(7)
    blocks = []
    for h, w, n, t in [(16, 16, 17, 0.0), (8, 8, 33, 0.7), (10, 6, 9, 0.3)]:
        x = rng.standard_normal((1, 16, h, w), dtype=np.float32)
        feats = rng.standard_normal((1, n, train_flow.TEXT["dim"]), dtype=np.float32)
        with torch.no_grad():
            out = transformer(torch.from_numpy(x), torch.tensor([t]), torch.from_numpy(feats))
        blocks.append({"shape": [1, 16, h, w], "timestep": t, "caption_length": n, "hidden_states": flat(torch.from_numpy(x)), "encoder_hidden_states": flat(torch.from_numpy(feats)), "sample": flat(out)})
    cases = []
    for case in CASES:
        noise = np.random.default_rng(case["seed"]).standard_normal((1, 16, 16, 16), dtype=np.float32)
        clean = None
        if "strength" in case:
            clean = torch.from_numpy(np.random.default_rng(50 + case["seed"]).standard_normal((1, 16, 16, 16), dtype=np.float32) * 0.8)
        final = flow_sampling.sample(model, case["prompt"], case["negative"], case["steps"], case["guidance"], torch.from_numpy(noise), shift, clean, case.get("strength", 1.0))
        cases.append(
            {
                **case,
                "initial_latents": flat(torch.from_numpy(noise)),
                **({"image_latents": flat(clean)} if clean is not None else {}),
                "final_latents": flat(final),
                "image_rgb": to_rgb(flow_sampling.decode(model, final)).flatten().tolist(),
            }
        )
    quantized = int4_model(model)
    case = CASES[0]
    noise = torch.from_numpy(np.array(cases[0]["initial_latents"], dtype=np.float32).reshape(1, 16, 16, 16))
    final = flow_sampling.sample(quantized, case["prompt"], case["negative"], case["steps"], case["guidance"], noise, shift)
    int4_cases = [{**case, "initial_latents": cases[0]["initial_latents"], "final_latents": flat(final), "image_rgb": to_rgb(flow_sampling.decode(quantized, final)).flatten().tolist()}]
    with open(args.out, "w") as f:
        json.dump(
            {"latent_shape": [1, 16, 16, 16], "shift": shift, "tokens": tokens, "encoder": encoder, "transformer": blocks, "cases": cases, "int4_cases": int4_cases},
            f,
            ensure_ascii=False,
        )
    print(f"wrote {args.out}")
    if args.sheet:
        sheet(model, shift, args.sheet, args.steps)
        print(f"wrote {args.sheet}")


if __name__ == "__main__":
    main()
