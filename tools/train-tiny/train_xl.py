"""Trains darkroom-tiny-xl: darkroom-tiny's world with SDXL's architecture in small.

  python3 train_xl.py data       # draw size- and crop-conditioned data, encode it with the shared VAE
  python3 train_xl.py unet       # train both text encoders and the UNet; resumes from the last checkpoint
  python3 train_xl.py all        # both stages
  python3 train_xl.py pack       # pack the EMA weights into weights/darkroom-tiny-xl.pt
  python3 train_xl.py finetune   # from the packed weights, with pictures upscaled from 32 px or less
                                 # drawn more often (--small-share), so the size conditioning is learned

What makes it SDXL-shaped (and what the pipeline must therefore do):
- two CLIP-style text encoders, each with its own tokenizer (the same BPE; the second pads
  with "!" as SDXL's tokenizer_2 does); the UNet reads both encoders' penultimate hidden
  states concatenated on the feature axis, and the second encoder's projected pooled
  output (`text_embeds`);
- a UNet whose timestep embedding is joined by SDXL's "text_time" addition embedding of
  `text_embeds` and the six `time_ids` (original size, crop top-left, target size);
- micro-conditioning in the data: 40% of pictures drawn at 64 px, 30% drawn at 24-48 px
  and upscaled (original size says so), 30% drawn at 80-96 px and cropped (the crop
  offset says where), so `time_ids` change the picture as in SDXL;
- unconditional training both ways SDXL pipelines feed it: 5% empty captions and 5%
  all-zero conditioning (`force_zeros_for_empty_prompt`).
It starts from darkroom-tiny's packed weights wherever the shapes match and shares its
autoencoder and tokenizer merges.
"""

import argparse
import json
import os
import random
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
import bpe  # noqa: E402
import data  # noqa: E402
import train  # noqa: E402
import weights  # noqa: E402
from models import AutoencoderKL, TextEncoder, UNet  # noqa: E402
from schedule import alphas_cumprod  # noqa: E402

# The architecture in one place: export and reference build the same networks.
TEXT_1 = {"dim": 128, "layers": 3}
TEXT_2 = {"dim": 96, "layers": 3, "projection_dim": 64}
TIME_IDS_EMBED_DIM = 16
PAD_2 = "!"
DEFAULT_WORK = os.path.join(train.HERE, "work-xl")
PACKED = os.path.join(train.HERE, "weights", "darkroom-tiny-xl.pt")
PLAIN, UPSCALED = 0.4, 0.7  # cumulative shares: plain, then upscaled, the rest cropped


def build_text_encoders(vocab_size: int):
    return (
        TextEncoder(vocab_size, TEXT_1["dim"], TEXT_1["layers"], train.HEADS),
        TextEncoder(vocab_size, TEXT_2["dim"], TEXT_2["layers"], train.HEADS, projection_dim=TEXT_2["projection_dim"]),
    )


def build_unet() -> UNet:
    return UNet(
        train.UNET_CHANNELS,
        TEXT_1["dim"] + TEXT_2["dim"],
        train.HEADS,
        text_embeds_dim=TEXT_2["projection_dim"],
        time_ids_embed_dim=TIME_IDS_EMBED_DIM,
    )


def condition(text_1, text_2, ids_1, ids_2):
    """(encoder_hidden_states, text_embeds) as diffusers' StableDiffusionXLPipeline builds
    them: both penultimate hidden states joined on the feature axis, the second's pooled."""
    _, _, states_1 = text_1.encode(ids_1)
    _, pooled, states_2 = text_2.encode(ids_2)
    return torch.cat([states_1[-2], states_2[-2]], dim=-1), pooled


def conditioned_sample(rng: random.Random):
    """(image, caption, time_ids) with SDXL's micro-conditioning."""
    scene = data.random_scene(rng)
    scene["mention_background"] = rng.random() < 0.9
    caption = data.caption(scene, rng)
    kind = rng.random()
    if kind < PLAIN:
        return data.draw(scene, rng), caption, (64, 64, 0, 0, 64, 64)
    if kind < UPSCALED:
        side = rng.randint(24, 48)
        small = Image.fromarray(data.draw(scene, rng, side))
        return np.asarray(small.resize((64, 64), Image.BICUBIC)), caption, (side, side, 0, 0, 64, 64)
    side = rng.randint(80, 96)
    top, left = rng.randint(0, side - 64), rng.randint(0, side - 64)
    return data.draw(scene, rng, side)[top : top + 64, left : left + 64], caption, (side, side, top, left, 64, 64)


def stage_data(work: str, count: int, packed_path: str):
    packed = torch.load(packed_path)
    merges = [tuple(m) for m in packed["merges"]]
    tokenizer_1, tokenizer_2 = bpe.Tokenizer(merges), bpe.Tokenizer(merges, pad=PAD_2)
    rng = random.Random(21)
    images = np.empty((count, data.SIZE, data.SIZE, 3), dtype=np.uint8)
    captions, time_ids = [], np.empty((count, 6), dtype=np.float32)
    for i in range(count):
        images[i], text, time_ids[i] = conditioned_sample(rng)
        captions.append(text)
    for name, tokenizer in (("input_ids", tokenizer_1), ("input_ids_2", tokenizer_2)):
        np.save(f"{work}/{name}.npy", np.array([tokenizer.encode(c) for c in captions], dtype=np.int64))
    np.save(f"{work}/time_ids.npy", time_ids)
    with open(f"{work}/captions.json", "w") as f:
        json.dump(captions, f)
    _, _, _, vae, scaling = weights.load(packed_path)
    train.encode_latents(work, vae, images, scaling)
    Image.fromarray(np.concatenate(list(images[:16]), axis=1)).save(f"{work}/samples.png")
    train.log(f"data: {count} pictures encoded with the shared autoencoder")


def load_matching(module: torch.nn.Module, source: dict):
    """Copies every tensor of `source` whose name and shape match; a cross-attention key or
    value that reads the wider joined context takes the old weights in its first columns."""
    own = module.state_dict()
    for name, tensor in source.items():
        if name not in own:
            continue
        if own[name].shape == tensor.shape:
            own[name] = tensor.clone()
        elif own[name].dim() == 2 and own[name].shape[0] == tensor.shape[0] and own[name].shape[1] > tensor.shape[1]:
            own[name] = torch.zeros_like(own[name])
            own[name][:, : tensor.shape[1]] = tensor
    module.load_state_dict(own)


def initial_weights(vocab_size: int, packed_path: str) -> dict:
    packed = torch.load(packed_path)
    text_1, text_2 = build_text_encoders(vocab_size)
    unet = build_unet()
    torch.manual_seed(5)
    load_matching(text_1, packed["text"])
    # The extra third layer starts as a copy of the second.
    text_1.layers[2].load_state_dict(text_1.layers[1].state_dict())
    load_matching(unet, packed["unet"])
    # The addition embedding starts at zero, so the first steps behave as darkroom-tiny.
    torch.nn.init.zeros_(unet.add_embedding[2].weight)
    torch.nn.init.zeros_(unet.add_embedding[2].bias)
    return {"text_1": text_1.state_dict(), "text_2": text_2.state_dict(), "unet": unet.state_dict()}


def stage_unet(work: str, steps: int, batch: int, lr: float, packed_path: str, small_share: float = 0.0, init=None, warmup: int = 200):
    torch.manual_seed(3)
    latents = torch.from_numpy(np.load(f"{work}/latents.npy"))
    ids_1 = torch.from_numpy(np.load(f"{work}/input_ids.npy"))
    ids_2 = torch.from_numpy(np.load(f"{work}/input_ids_2.npy"))
    time_ids = torch.from_numpy(np.load(f"{work}/time_ids.npy"))
    merges = [tuple(m) for m in torch.load(packed_path)["merges"]]
    tokenizer_1, tokenizer_2 = bpe.Tokenizer(merges), bpe.Tokenizer(merges, pad=PAD_2)
    empty_1 = torch.tensor(tokenizer_1.encode(""), dtype=torch.int64)
    empty_2 = torch.tensor(tokenizer_2.encode(""), dtype=torch.int64)
    text_1, text_2 = build_text_encoders(tokenizer_1.vocab_size)
    unet = build_unet()
    checkpoint = f"{work}/unet-checkpoint.pt" if init is None else f"{work}/finetune-checkpoint.pt"
    if not os.path.exists(checkpoint):
        base = torch.load(packed_path)["step"] if init is None else init["step"]
        weights_ = initial_weights(tokenizer_1.vocab_size, packed_path) if init is None else {k: init[k] for k in ("text_1", "text_2", "unet")}
        torch.save({"init": weights_, "base_step": base}, checkpoint)
    # Pictures drawn at 32 px or less and upscaled: the rarest lesson of the size conditioning.
    small = torch.nonzero((time_ids[:, 0] <= 32) & (time_ids[:, 2] == 0)).flatten()
    acp = torch.from_numpy(alphas_cumprod())

    def batch_loss(step):
        idx = torch.randint(0, len(latents), (batch,))
        if small_share > 0:
            n = int(batch * small_share)
            idx[:n] = small[torch.randint(0, len(small), (n,))]
        x0, a, b = latents[idx], ids_1[idx].clone(), ids_2[idx].clone()
        drop = torch.rand(batch)
        a[drop < 0.05], b[drop < 0.05] = empty_1, empty_2
        context, pooled = condition(text_1, text_2, a, b)
        zero = (drop >= 0.05) & (drop < 0.1)
        context = context * (~zero)[:, None, None]
        pooled = pooled * (~zero)[:, None]
        xt, t, noise, weight = train.noised(x0, acp)
        pred = unet(xt, t, context, pooled, time_ids[idx])
        return (weight * (pred - noise).pow(2).mean(dim=(1, 2, 3))).mean()

    modules = {"text_1": text_1, "text_2": text_2, "unet": unet}
    train.train_denoiser(checkpoint, modules, batch_loss, steps, lr, warmup=warmup)
    return checkpoint


def pack(work: str, packed_path: str, out: str, checkpoint: str):
    """The EMA weights, with the shared tokenizer merges and autoencoder, in one file."""
    state = torch.load(f"{work}/{checkpoint}")
    base = torch.load(packed_path)
    packed = {
        "step": state["step"] + state.get("base_step", 0),
        "merges": base["merges"],
        "text_1": state["ema_text_1"],
        "text_2": state["ema_text_2"],
        "unet": state["ema_unet"],
        "vae": base["vae"],
        "scaling_factor": base["scaling_factor"],
    }
    torch.save(packed, out)
    train.log(f"packed step {state['step']} into {out}")


def load(path: str = PACKED):
    """(tokenizer_1, tokenizer_2, text_1, text_2, unet, vae, scaling_factor), in eval mode."""
    packed = torch.load(path)
    merges = [tuple(m) for m in packed["merges"]]
    tokenizer_1, tokenizer_2 = bpe.Tokenizer(merges), bpe.Tokenizer(merges, pad=PAD_2)
    text_1, text_2 = build_text_encoders(tokenizer_1.vocab_size)
    unet, vae = build_unet(), AutoencoderKL()
    for module, key in ((text_1, "text_1"), (text_2, "text_2"), (unet, "unet"), (vae, "vae")):
        module.load_state_dict(packed[key])
        module.eval()
    return tokenizer_1, tokenizer_2, text_1, text_2, unet, vae, packed["scaling_factor"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stage", choices=["data", "unet", "all", "pack", "finetune"])
    parser.add_argument("--small-share", type=float, default=0.4, help="finetune: share of each batch upscaled from 32 px or less")
    parser.add_argument("--work", default=DEFAULT_WORK)
    parser.add_argument("--count", type=int, default=40000, help="pictures in the data set")
    parser.add_argument("--unet-steps", type=int, default=6000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=4e-4)
    parser.add_argument("--from", dest="packed", default=weights.DEFAULT_PATH, help="darkroom-tiny's packed weights")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on 2 cores)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.work, exist_ok=True)
    if args.stage in ("data", "all"):
        stage_data(args.work, args.count, args.packed)
    if args.stage in ("unet", "all"):
        stage_unet(args.work, args.unet_steps, args.batch, args.lr, args.packed)
    if args.stage == "pack":
        pack(args.work, args.packed, PACKED, "unet-checkpoint.pt")
    if args.stage == "finetune":
        checkpoint = stage_unet(args.work, args.unet_steps, args.batch, args.lr, args.packed, args.small_share, init=torch.load(PACKED), warmup=100)
        pack(args.work, args.packed, PACKED, os.path.basename(checkpoint))


if __name__ == "__main__":
    main()
