"""A tiny autoencoder decoder (TAESD's architecture) distilled from the built-in models'
shared VAE decoder, for previews on every step and an optional fast final decode.

  python3 taesd.py distill [--steps 3000]   # train the student on the XL work folder's latents
  python3 taesd.py export                   # ONNX into both built-in models' vae_decoder_tiny/

The layer stack is madebyollin/taesd's Decoder (Clamp, conv, ReLU, Blocks of three 3x3
convolutions with a skip and a ReLU, nearest upsampling, a bias-free conv after each), made
narrower and with two upsamplings, since darkroom-tiny's VAE scales by 4, not 8. As
diffusers' AutoencoderTiny, it takes the UNet's latents as they are (scaling_factor 1) and
returns `sample` in [-1, 1], so its graph reads like a VAE decoder's: latent_sample -> sample.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import export  # noqa: E402
import train  # noqa: E402
import train_xl  # noqa: E402
import weights  # noqa: E402

PACKED = os.path.join(train.HERE, "weights", "taesd-tiny.pt")
ROOT = os.path.abspath(os.path.join(train.HERE, "..", ".."))
WIDTHS = (32, 32, 16)


class Clamp(nn.Module):
    def forward(self, x):
        return torch.tanh(x / 3) * 3


def conv(n_in: int, n_out: int, **kwargs) -> nn.Conv2d:
    return nn.Conv2d(n_in, n_out, 3, padding=1, **kwargs)


class Block(nn.Module):
    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.conv = nn.Sequential(conv(n_in, n_out), nn.ReLU(), conv(n_out, n_out), nn.ReLU(), conv(n_out, n_out))
        self.skip = nn.Conv2d(n_in, n_out, 1, bias=False) if n_in != n_out else nn.Identity()
        self.fuse = nn.ReLU()

    def forward(self, x):
        return self.fuse(self.conv(x) + self.skip(x))


def decoder(latent_channels: int = 4) -> nn.Sequential:
    a, b, c = WIDTHS
    return nn.Sequential(
        Clamp(),
        conv(latent_channels, a),
        nn.ReLU(),
        Block(a, a),
        nn.Upsample(scale_factor=2),
        conv(a, b, bias=False),
        Block(b, b),
        nn.Upsample(scale_factor=2),
        conv(b, c, bias=False),
        Block(c, c),
        conv(c, 3),
    )


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """On [-1, 1] images: peak-to-peak 2."""
    return float(10 * torch.log10(4 / F.mse_loss(a, b)))


def distill(work: str, steps: int, batch: int):
    torch.manual_seed(7)
    latents = torch.from_numpy(np.load(f"{work}/latents.npy"))
    _, _, _, teacher, scaling = weights.load()
    student = decoder()
    held_out, latents = latents[:256], latents[256:]
    opt = torch.optim.AdamW(student.parameters(), lr=2e-3, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.05)
    began = time.time()
    for step in range(1, steps + 1):
        z = latents[torch.randint(0, len(latents), (batch,))]
        # Previews decode a step's denoised estimate, which is rougher than a finished
        # picture's latents: a third of each batch is perturbed to cover it.
        noisy = torch.rand(batch) < 1 / 3
        z = torch.where(noisy[:, None, None, None], z + 0.3 * torch.randn_like(z), z)
        with torch.no_grad():
            target = teacher.decode(z / scaling).clamp(-1, 1)
        out = student(z)
        loss = F.l1_loss(out, target) + F.mse_loss(out, target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 200 == 0:
            rate = (time.time() - began) / step
            train.log(f"taesd {step}/{steps} loss {loss.item():.4f} {rate:.2f}s/step")
    student.eval()
    with torch.no_grad():
        clean = psnr(student(held_out), teacher.decode(held_out / scaling).clamp(-1, 1))
        rough = held_out + 0.3 * torch.randn_like(held_out)
        noisy = psnr(student(rough), teacher.decode(rough / scaling).clamp(-1, 1))
    params = sum(p.numel() for p in student.parameters())
    torch.save({"state": student.state_dict(), "psnr": clean, "psnr_noisy": noisy, "params": params}, PACKED)
    train.log(f"taesd: {params} parameters, {clean:.1f} dB on held-out latents, {noisy:.1f} dB on perturbed ones")


def export_onnx():
    packed = torch.load(PACKED)
    student = decoder()
    student.load_state_dict(packed["state"])
    student.eval()
    config = {
        "_class_name": "AutoencoderTiny",
        "latent_channels": 4,
        "decoder_block_out_channels": list(WIDTHS),
        "upsampling_scaling_factor": 2,
        "scaling_factor": 1.0,
        "_darkroom_distilled_psnr": round(packed["psnr"], 2),
    }
    for model in ("darkroom-tiny", "darkroom-tiny-xl"):
        folder = os.path.join(ROOT, "models", model, "vae_decoder_tiny")
        export.export(
            student,
            (torch.randn(1, 4, 16, 16),),
            f"{folder}/model.onnx",
            ["latent_sample"],
            ["sample"],
            {"latent_sample": {0: "batch_size", 2: "height_latent", 3: "width_latent"}, "sample": {0: "batch_size", 2: "height", 3: "width"}},
        )
        with open(f"{folder}/config.json", "w") as f:
            json.dump(config, f, indent=2)
            f.write("\n")
        print(f"exported to {folder}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stage", choices=["distill", "export"])
    parser.add_argument("--work", default=train_xl.DEFAULT_WORK, help="a work folder holding latents.npy of the shared VAE")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.stage == "distill":
        distill(args.work, args.steps, args.batch)
    else:
        export_onnx()


if __name__ == "__main__":
    main()
