"""Trains darkroom-tiny in stages, each resumable, in a work folder (default tools/train-tiny/work).

  python3 train.py data        # draw the shapes data set and learn the BPE tokenizer
  python3 train.py vae         # train the KL autoencoder, then encode the data set to latents
  python3 train.py unet        # train text encoder + UNet jointly; resumes from the last checkpoint
  python3 train.py all         # the three stages in order
  python3 train.py finetune    # new data, the packed model's tokenizer and autoencoder, and
                               # text encoder + UNet trained on from the packed weights

Progress goes to stdout; checkpoints are written every few hundred steps so a stopped run
continues where it was. Seeds are fixed: the same stages give the same model.
"""

import argparse
import copy
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import bpe  # noqa: E402
import data  # noqa: E402
from models import AutoencoderKL, TextEncoder, UNet  # noqa: E402
from schedule import alphas_cumprod  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# The architecture in one place: export.py and reference.py build the same networks.
UNET_CHANNELS = (32, 64, 96)
TEXT_DIM = 128
TEXT_LAYERS = 2
HEADS = 4


def log(msg: str):
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def build_text_encoder(vocab_size: int) -> TextEncoder:
    return TextEncoder(vocab_size, TEXT_DIM, TEXT_LAYERS, HEADS)


def build_unet() -> UNet:
    return UNet(UNET_CHANNELS, TEXT_DIM, HEADS)


def stage_data(work: str, count: int, tokenizer=None, seed: int = 1):
    images, captions = data.dataset(count, seed=seed)
    np.save(f"{work}/images.npy", images)
    with open(f"{work}/captions.json", "w") as f:
        json.dump(captions, f)
    os.makedirs(f"{work}/tokenizer", exist_ok=True)
    tokenizer = tokenizer or bpe.Tokenizer(bpe.learn(captions))
    tokenizer.save(f"{work}/tokenizer")
    ids = np.array([tokenizer.encode(c) for c in captions], dtype=np.int64)
    np.save(f"{work}/input_ids.npy", ids)
    longest = int((ids != tokenizer.encoder[bpe.EOS]).sum(1).max())
    log(f"data: {count} images, vocab {tokenizer.vocab_size}, longest caption {longest} tokens")
    for c in captions[:8]:
        log(f"  {c}")


def to_tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1


@torch.no_grad()
def encode_latents(work: str, vae: AutoencoderKL, images: np.ndarray, scaling: float, shift: float = 0.0):
    latents = torch.cat([vae.encode(to_tensor(images[i : i + 512])).chunk(2, dim=1)[0] for i in range(0, len(images), 512)])
    np.save(f"{work}/latents.npy", ((latents - shift) * scaling).numpy())


def stage_vae(work: str, steps: int, latent_channels: int = 4, kl_weight: float = 1e-6, shift: bool = False):
    """Trains the KL autoencoder and encodes the data set. `shift`: also centre the latents
    with a `shift_factor` (latents = (z - shift) x scale), as Flux's and Z-Image's VAE do."""
    torch.manual_seed(2)
    images = np.load(f"{work}/images.npy")
    vae = AutoencoderKL(latent_channels)
    opt = torch.optim.AdamW(vae.parameters(), lr=1e-3, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-3, total_steps=steps, pct_start=0.05)
    rng = np.random.default_rng(2)
    for step in range(1, steps + 1):
        # Random 32x32 crops on the 4-pixel latent grid: the autoencoder is convolutional,
        # and a crop costs a quarter of a full image on a CPU.
        oy, ox = rng.integers(0, 9, 2) * 4
        x = to_tensor(images[rng.integers(0, len(images), 32), oy : oy + 32, ox : ox + 32])
        params = vae.encode(x)
        mean, logvar = params.chunk(2, dim=1)
        logvar = logvar.clamp(-30, 20)
        z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
        recon = vae.decode(z)
        kl = 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).sum(dim=(1, 2, 3)).mean()
        loss = F.l1_loss(recon, x) + F.mse_loss(recon, x) + kl_weight * kl
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 200 == 0:
            log(f"vae {step}/{steps} loss {loss.item():.4f} kl {kl.item():.1f}")
    torch.save(vae.state_dict(), f"{work}/vae.pt")
    with torch.no_grad():
        sample_latents = vae.encode(to_tensor(images[:4096])).chunk(2, dim=1)[0]
    # SD's scaling_factor: makes the latents unit-variance for the diffusion model.
    offset = sample_latents.mean().item() if shift else 0.0
    scaling = 1.0 / (sample_latents - offset).std().item()
    encode_latents(work, vae, images, scaling, offset)
    config = {"scaling_factor": scaling, **({"shift_factor": offset} if shift else {})}
    with open(f"{work}/vae.json", "w") as f:
        json.dump(config, f)
    log(f"vae done: {config}")


def stage_finetune_setup(work: str, count: int, packed_path: str):
    """Prepares a work folder for training on from packed weights: fresh data encoded with
    the packed tokenizer and autoencoder, and a step-0 checkpoint holding the packed EMA
    weights, so the UNet stage resumes from them."""
    packed = torch.load(packed_path)
    tokenizer = bpe.Tokenizer([tuple(m) for m in packed["merges"]])
    stage_data(work, count, tokenizer, seed=11)
    vae = AutoencoderKL()
    vae.load_state_dict(packed["vae"])
    vae.eval()
    torch.save(packed["vae"], f"{work}/vae.pt")
    with open(f"{work}/vae.json", "w") as f:
        json.dump({"scaling_factor": packed["scaling_factor"]}, f)
    encode_latents(work, vae, np.load(f"{work}/images.npy"), packed["scaling_factor"])
    checkpoint = f"{work}/unet-checkpoint.pt"
    if not os.path.exists(checkpoint):
        torch.save({"init": {"text": packed["text"], "unet": packed["unet"]}, "base_step": packed["step"]}, checkpoint)
    log(f"finetune: starting from {packed_path} (trained {packed['step']} steps)")


def train_denoiser(checkpoint: str, modules: dict, batch_loss, steps: int, lr: float, warmup: int):
    """The training loop both built-in models share: AdamW with warm-up and cosine decay,
    gradient clipping, an EMA of every module, and a resumable checkpoint every 500 steps.

    `modules` maps names to networks (their EMA copies are saved as "ema_<name>");
    `batch_loss(step)` draws a batch and returns its loss. A checkpoint holding "init"
    (a fine-tune's starting weights) starts from those with a fresh optimiser."""
    emas = {name: copy.deepcopy(module) for name, module in modules.items()}
    params = [p for module in modules.values() for p in module.parameters()]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    start = 0
    state = torch.load(checkpoint) if os.path.exists(checkpoint) else None
    # Steps the starting weights had already been trained (a fine-tune's), for the packed count.
    base_step = state.get("base_step", 0) if state else 0
    if state and "init" in state:
        for name, module in modules.items():
            module.load_state_dict(state["init"][name])
            emas[name].load_state_dict(state["init"][name])
        log("starting from the packed weights")
    elif state:
        for name, module in modules.items():
            module.load_state_dict(state[name])
            emas[name].load_state_dict(state[f"ema_{name}"])
        opt.load_state_dict(state["opt"])
        start = state["step"]
        torch.set_rng_state(state["rng"])
        log(f"resumed at step {start}")
    pairs = [(e, p) for name in modules for e, p in zip(emas[name].parameters(), modules[name].parameters())]
    log(", ".join(f"{name} {sum(p.numel() for p in m.parameters())} params" for name, m in modules.items()))
    began, running = time.time(), 0.0
    for step in range(start + 1, steps + 1):
        for group in opt.param_groups:
            group["lr"] = lr * min(1.0, step / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / steps)))
        loss = batch_loss(step)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        with torch.no_grad():
            decay = min(0.999, (1 + step) / (10 + step))
            for e, p in pairs:
                e.mul_(decay).add_(p.detach(), alpha=1 - decay)
        running = 0.98 * running + 0.02 * loss.item() if step > start + 1 else loss.item()
        if step % 100 == 0:
            rate = (time.time() - began) / (step - start)
            log(f"step {step}/{steps} loss {running:.4f} {rate:.2f}s/step eta {(steps - step) * rate / 60:.0f}min")
        if step % 500 == 0 or step == steps:
            state = {"opt": opt.state_dict(), "step": step, "base_step": base_step, "rng": torch.get_rng_state()}
            for name, module in modules.items():
                state[name] = module.state_dict()
                state[f"ema_{name}"] = emas[name].state_dict()
            torch.save(state, checkpoint + ".tmp")
            os.replace(checkpoint + ".tmp", checkpoint)
    log("training done")


def noised(x0: torch.Tensor, acp: torch.Tensor):
    """(x_t, t, noise, min-SNR-5 weight) for a batch of clean latents."""
    t = torch.randint(0, 1000, (x0.shape[0],))
    noise = torch.randn_like(x0)
    a = acp[t][:, None, None, None]
    snr = acp[t] / (1 - acp[t])
    # Min-SNR-5 weighting (Hang et al. 2023) converges much faster than plain MSE.
    return a.sqrt() * x0 + (1 - a).sqrt() * noise, t, noise, torch.clamp(snr, max=5.0) / snr


def stage_unet(work: str, steps: int, batch: int, lr: float, warmup: int = 500):
    torch.manual_seed(3)
    latents = torch.from_numpy(np.load(f"{work}/latents.npy"))
    input_ids = torch.from_numpy(np.load(f"{work}/input_ids.npy"))
    tokenizer = bpe.Tokenizer.load(f"{work}/tokenizer")
    empty = torch.tensor(tokenizer.encode(""), dtype=torch.int64)
    text, unet = build_text_encoder(tokenizer.vocab_size), build_unet()
    acp = torch.from_numpy(alphas_cumprod())

    def batch_loss(step):
        idx = torch.randint(0, len(latents), (batch,))
        x0, ids = latents[idx], input_ids[idx].clone()
        # Drop the caption 10% of the time so classifier-free guidance has an unconditional model.
        ids[torch.rand(batch) < 0.1] = empty
        xt, t, noise, weight = noised(x0, acp)
        context, _ = text(ids)
        pred = unet(xt, t, context)
        return (weight * (pred - noise).pow(2).mean(dim=(1, 2, 3))).mean()

    train_denoiser(f"{work}/unet-checkpoint.pt", {"text": text, "unet": unet}, batch_loss, steps, lr, warmup)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stage", choices=["data", "vae", "unet", "all", "finetune"])
    parser.add_argument("--work", default=os.path.join(HERE, "work"))
    parser.add_argument("--count", type=int, default=60000, help="images in the data set")
    parser.add_argument("--vae-steps", type=int, default=3000)
    parser.add_argument("--unet-steps", type=int, default=15000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=6e-4)
    parser.add_argument("--from", dest="packed", default=os.path.join(HERE, "weights", "darkroom-tiny.pt"), help="finetune: the packed weights to start from")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on 2 cores)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    random.seed(0)
    os.makedirs(args.work, exist_ok=True)
    if args.stage in ("data", "all"):
        stage_data(args.work, args.count)
    if args.stage in ("vae", "all"):
        stage_vae(args.work, args.vae_steps)
    if args.stage in ("unet", "all"):
        stage_unet(args.work, args.unet_steps, args.batch, args.lr)
    if args.stage == "finetune":
        if not os.path.exists(f"{args.work}/latents.npy"):
            stage_finetune_setup(args.work, args.count, args.packed)
        stage_unet(args.work, args.unet_steps, args.batch, args.lr, warmup=100)


if __name__ == "__main__":
    main()
