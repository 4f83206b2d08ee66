"""Stable Diffusion's noise schedule and two samplers (Euler, DDIM), as in diffusers.

Used to train the UNet and to write the reference outputs the TypeScript pipeline must
match. The formulas follow diffusers' EulerDiscreteScheduler and DDIMScheduler with
SD 1.x's configuration (scaled_linear betas 0.00085..0.012, 1000 steps, steps_offset 1,
set_alpha_to_one false); the TypeScript schedulers are tested against diffusers itself.
"""

import numpy as np
import torch

TRAIN_STEPS = 1000
BETA_START = 0.00085
BETA_END = 0.012
STEPS_OFFSET = 1


def alphas_cumprod() -> np.ndarray:
    betas = np.linspace(BETA_START**0.5, BETA_END**0.5, TRAIN_STEPS, dtype=np.float32) ** 2
    return np.cumprod(1.0 - betas, dtype=np.float32)


def timesteps(steps: int, spacing: str) -> np.ndarray:
    if spacing == "linspace":
        return np.linspace(0, TRAIN_STEPS - 1, steps, dtype=np.float64)[::-1].copy()
    if spacing == "leading":
        ratio = TRAIN_STEPS // steps
        return (np.arange(0, steps) * ratio).round()[::-1].astype(np.float64) + STEPS_OFFSET
    if spacing == "trailing":
        ratio = TRAIN_STEPS / steps
        return np.round(np.arange(TRAIN_STEPS, 0, -ratio)).astype(np.float64) - 1
    raise ValueError(spacing)


class Euler:
    def __init__(self, steps: int, spacing: str):
        acp = alphas_cumprod().astype(np.float64)
        sigmas = ((1 - acp) / acp) ** 0.5
        self.timesteps = timesteps(steps, spacing)
        self.sigmas = np.concatenate([np.interp(self.timesteps, np.arange(len(sigmas)), sigmas), [0.0]]).astype(np.float32)
        top = float(self.sigmas.max())
        self.init_noise_sigma = top if spacing in ("linspace", "trailing") else (top**2 + 1) ** 0.5

    def scale(self, sample, i):
        return sample / (float(self.sigmas[i]) ** 2 + 1) ** 0.5

    def step(self, eps, i, sample):
        sigma, sigma_next = float(self.sigmas[i]), float(self.sigmas[i + 1])
        denoised = sample - sigma * eps
        return sample + (sample - denoised) / sigma * (sigma_next - sigma)


class DDIM:
    def __init__(self, steps: int, spacing: str):
        self.acp = alphas_cumprod()
        self.timesteps = timesteps(steps, spacing).astype(np.int64)
        self.ratio = TRAIN_STEPS // steps
        self.init_noise_sigma = 1.0

    def scale(self, sample, i):
        return sample

    def step(self, eps, i, sample):
        t = int(self.timesteps[i])
        prev = t - self.ratio
        a_t = float(self.acp[t])
        # set_alpha_to_one=False: the last step lands on alphas_cumprod[0], as in SD 1.x.
        a_prev = float(self.acp[prev]) if prev >= 0 else float(self.acp[0])
        x0 = (sample - (1 - a_t) ** 0.5 * eps) / a_t**0.5
        return a_prev**0.5 * x0 + (1 - a_prev) ** 0.5 * eps


SAMPLERS = {"euler": Euler, "ddim": DDIM}


@torch.no_grad()
def sample(unet, cond, uncond, latents, sampler, guidance: float, added=()):
    """Classifier-free guidance as in diffusers: uncond and cond in one batch of 2B; with
    guidance <= 1 the UNet sees the prompt alone, once per step. `added` holds further UNet
    inputs as (cond, uncond) pairs (SDXL's text_embeds and time_ids)."""
    guided = guidance > 1
    x = latents * sampler.init_noise_sigma
    context = torch.cat([uncond, cond]) if guided else cond
    extra = [torch.cat([u, c]) if guided else c for c, u in added]
    for i, t in enumerate(sampler.timesteps):
        model_in = sampler.scale(torch.cat([x, x]) if guided else x, i)
        # The exported UNet takes the timestep as a float scalar, as Optimum exports do.
        out = unet(model_in, torch.tensor(float(t)), context, *extra)
        if guided:
            eps_uncond, eps_cond = out.chunk(2)
            out = eps_uncond + guidance * (eps_cond - eps_uncond)
        x = sampler.step(out, i, x)
    return x
