"""Trains darkroom-tiny in stages, each resumable, in a work folder (default tools/train-tiny/work).

  python3 train.py data        # draw the shapes data set and learn the BPE tokenizer
  python3 train.py vae         # train the KL autoencoder, then encode the data set to latents
  python3 train.py unet        # train text encoder + UNet jointly; resumes from the last checkpoint
  python3 train.py all         # the three stages in order

Progress goes to stdout; checkpoints are written every few hundred steps so a stopped run
continues where it was. Seeds are fixed: the same stages give the same model.
"""

import argparse
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


def stage_data(work: str, count: int):
    images, captions = data.dataset(count, seed=1)
    np.save(f"{work}/images.npy", images)
    with open(f"{work}/captions.json", "w") as f:
        json.dump(captions, f)
    os.makedirs(f"{work}/tokenizer", exist_ok=True)
    tokenizer = bpe.Tokenizer(bpe.learn(captions))
    tokenizer.save(f"{work}/tokenizer")
    ids = np.array([tokenizer.encode(c) for c in captions], dtype=np.int64)
    np.save(f"{work}/input_ids.npy", ids)
    longest = int((ids != tokenizer.encoder[bpe.EOS]).sum(1).max())
    log(f"data: {count} images, vocab {tokenizer.vocab_size}, longest caption {longest} tokens")
    for c in captions[:8]:
        log(f"  {c}")


def to_tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1


def stage_vae(work: str, steps: int):
    torch.manual_seed(2)
    images = np.load(f"{work}/images.npy")
    vae = AutoencoderKL()
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
        loss = F.l1_loss(recon, x) + F.mse_loss(recon, x) + 1e-6 * kl
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 200 == 0:
            log(f"vae {step}/{steps} loss {loss.item():.4f} kl {kl.item():.1f}")
    torch.save(vae.state_dict(), f"{work}/vae.pt")
    with torch.no_grad():
        latents = torch.cat([vae.encode(to_tensor(images[i : i + 512])).chunk(2, dim=1)[0] for i in range(0, len(images), 512)])
    # SD's scaling_factor: makes the latents unit-variance for the diffusion model.
    scaling = 1.0 / latents.std().item()
    np.save(f"{work}/latents.npy", (latents * scaling).numpy())
    with open(f"{work}/vae.json", "w") as f:
        json.dump({"scaling_factor": scaling}, f)
    log(f"vae done: scaling_factor {scaling:.5f}")


def stage_unet(work: str, steps: int, batch: int, lr: float):
    torch.manual_seed(3)
    latents = torch.from_numpy(np.load(f"{work}/latents.npy"))
    input_ids = torch.from_numpy(np.load(f"{work}/input_ids.npy"))
    tokenizer = bpe.Tokenizer.load(f"{work}/tokenizer")
    empty = torch.tensor(tokenizer.encode(""), dtype=torch.int64)
    text, unet = build_text_encoder(tokenizer.vocab_size), build_unet()
    ema_text, ema_unet = build_text_encoder(tokenizer.vocab_size), build_unet()
    params = list(text.parameters()) + list(unet.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    acp = torch.from_numpy(alphas_cumprod())
    snr = acp / (1 - acp)
    start = 0
    checkpoint = f"{work}/unet-checkpoint.pt"
    if os.path.exists(checkpoint):
        state = torch.load(checkpoint)
        text.load_state_dict(state["text"])
        unet.load_state_dict(state["unet"])
        ema_text.load_state_dict(state["ema_text"])
        ema_unet.load_state_dict(state["ema_unet"])
        opt.load_state_dict(state["opt"])
        start = state["step"]
        torch.set_rng_state(state["rng"])
        log(f"resumed at step {start}")
    else:
        ema_text.load_state_dict(text.state_dict())
        ema_unet.load_state_dict(unet.state_dict())
    pairs = list(zip(list(ema_text.parameters()) + list(ema_unet.parameters()), params))
    log(f"unet {sum(p.numel() for p in unet.parameters())} params, text encoder {sum(p.numel() for p in text.parameters())}")
    began, running = time.time(), 0.0
    for step in range(start + 1, steps + 1):
        for group in opt.param_groups:
            group["lr"] = lr * min(1.0, step / 500) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / steps)))
        idx = torch.randint(0, len(latents), (batch,))
        x0, ids = latents[idx], input_ids[idx].clone()
        # Drop the caption 10% of the time so classifier-free guidance has an unconditional model.
        ids[torch.rand(batch) < 0.1] = empty
        t = torch.randint(0, 1000, (batch,))
        noise = torch.randn_like(x0)
        a = acp[t][:, None, None, None]
        xt = a.sqrt() * x0 + (1 - a).sqrt() * noise
        context, _ = text(ids)
        pred = unet(xt, t, context)
        # Min-SNR-5 weighting (Hang et al. 2023) converges much faster than plain MSE.
        weight = torch.clamp(snr[t], max=5.0) / snr[t]
        loss = (weight * (pred - noise).pow(2).mean(dim=(1, 2, 3))).mean()
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
            log(f"unet {step}/{steps} loss {running:.4f} {rate:.2f}s/step eta {(steps - step) * rate / 60:.0f}min")
        if step % 500 == 0 or step == steps:
            state = {
                "text": text.state_dict(),
                "unet": unet.state_dict(),
                "ema_text": ema_text.state_dict(),
                "ema_unet": ema_unet.state_dict(),
                "opt": opt.state_dict(),
                "step": step,
                "rng": torch.get_rng_state(),
            }
            torch.save(state, checkpoint + ".tmp")
            os.replace(checkpoint + ".tmp", checkpoint)
    log("unet done")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stage", choices=["data", "vae", "unet", "all"])
    parser.add_argument("--work", default=os.path.join(HERE, "work"))
    parser.add_argument("--count", type=int, default=60000, help="images in the data set")
    parser.add_argument("--vae-steps", type=int, default=3000)
    parser.add_argument("--unet-steps", type=int, default=15000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=6e-4)
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


if __name__ == "__main__":
    main()
