"""Sampling darkroom-tiny-flow as diffusers' ZImagePipeline does (pipeline_z_image.py at
huggingface/diffusers@58eb52c), in PyTorch: the reference the TypeScript pipeline is held to.

- prompt: the chat template rendered around it, tokenized without padding; the text
  encoder's second-to-last hidden state at those tokens;
- sigmas: torch.linspace(1, 1/N, N), shifted by the scheduler's static shift
  (shift x s / (1 + (shift - 1) x s)), then a terminal 0;
- each step: timestep fed = (1000 - sigma x 1000) / 1000, the transformer's output
  negated into a velocity, guidance pos + g (pos - neg) when g > 0, and
  x += (sigma_next - sigma) x velocity;
- img2img: t_start = int(N - min(N x strength, N)); x = sigma x noise + (1 - sigma) x clean;
- decode: latents / scaling_factor + shift_factor through the VAE decoder.
"""

import torch

import bpe_llm


def sigmas_for(steps: int, shift: float) -> torch.Tensor:
    s = torch.linspace(1.0, 1 / steps, steps)
    s = shift * s / (1 + (shift - 1) * s)
    return torch.cat([s, torch.zeros(1)])


def encode(text, tokenizer, prompt: str) -> torch.Tensor:
    """[1, L, D]: the prompt's features, no padding."""
    ids = torch.tensor([tokenizer.encode(bpe_llm.render_chat(prompt))], dtype=torch.int64)
    return text(ids, torch.ones_like(ids))[-2]


@torch.no_grad()
def sample(model, prompt, negative, steps, guidance, latents, shift, clean=None, strength=1.0):
    """Final latents [B, C, h, w] from initial noise `latents`; `clean` starts image-to-image."""
    tokenizer, text, transformer = model[:3]
    cond = encode(text, tokenizer, prompt)
    uncond = encode(text, tokenizer, negative) if guidance > 0 else None
    sigmas = sigmas_for(steps, shift)
    start = int(max(steps - min(steps * strength, steps), 0)) if clean is not None else 0
    x = latents if clean is None else sigmas[start] * latents + (1 - sigmas[start]) * clean
    b = x.shape[0]
    for i in range(start, steps):
        t = (1000 - sigmas[i] * 1000) / 1000
        tt = t.reshape(1).expand(b)
        pos = transformer(x, tt, cond.expand(b, -1, -1))
        pred = pos if uncond is None else pos + guidance * (pos - transformer(x, tt, uncond.expand(b, -1, -1)))
        x = x + (sigmas[i + 1] - sigmas[i]) * -pred
    return x


@torch.no_grad()
def decode(model, latents):
    vae, scaling, shift = model[3:6]
    return vae.decode(latents / scaling + shift)
