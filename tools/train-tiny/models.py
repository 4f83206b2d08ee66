"""The three networks of darkroom-tiny, shaped like Stable Diffusion's at a small scale.

- TextEncoder: CLIP's text transformer (causal pre-LN blocks, learned positions,
  final layer norm, pooled output at the end-of-text token).
- AutoencoderKL: 64x64x3 <-> 16x16x4, with a diagonal Gaussian posterior.
- UNet: residual blocks with a timestep embedding, transformer blocks with
  self-attention and cross-attention on the text, skip connections.
Upsampling is nearest + convolution (ConvTranspose2d is slow in Debian's torch); the
autoencoder has no residual block at full resolution, where convolutions cost most.
Attention is written out by hand: torch 1.13 has no scaled_dot_product_attention.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int, context_dim=None):
        super().__init__()
        self.heads = heads
        context_dim = context_dim or dim
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(context_dim, dim, bias=False)
        self.to_v = nn.Linear(context_dim, dim, bias=False)
        self.to_out = nn.Linear(dim, dim)

    def forward(self, x, context=None, mask=None):
        context = x if context is None else context
        b, n, d = x.shape
        h = self.heads

        def split(t):
            return t.reshape(b, -1, h, d // h).transpose(1, 2)

        q, k, v = split(self.to_q(x)), split(self.to_k(context)), split(self.to_v(context))
        scores = q @ k.transpose(-1, -2) * (d // h) ** -0.5
        if mask is not None:
            scores = scores + mask
        out = scores.softmax(dim=-1) @ v
        return self.to_out(out.transpose(1, 2).reshape(b, n, d))


class TextBlock(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.layer_norm1 = nn.LayerNorm(dim)
        self.self_attn = Attention(dim, heads)
        self.layer_norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, dim * 4), nn.GELU(), nn.Linear(dim * 4, dim))

    def forward(self, x, mask):
        x = x + self.self_attn(self.layer_norm1(x), mask=mask)
        return x + self.mlp(self.layer_norm2(x))


class TextEncoder(nn.Module):
    def __init__(
        self, vocab_size: int, dim: int = 128, layers: int = 3, heads: int = 4, max_length: int = 77, projection_dim: int = 0
    ):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab_size, dim)
        self.position_embedding = nn.Parameter(torch.randn(max_length, dim) * 0.01)
        self.layers = nn.ModuleList(TextBlock(dim, heads) for _ in range(layers))
        self.final_layer_norm = nn.LayerNorm(dim)
        # CLIPTextModelWithProjection's text_projection: SDXL's pooled `text_embeds`.
        self.text_projection = nn.Linear(dim, projection_dim, bias=False) if projection_dim else None
        causal = torch.full((max_length, max_length), float("-inf")).triu(1)
        self.register_buffer("causal_mask", causal, persistent=False)

    def encode(self, input_ids):
        """(last_hidden_state, pooled, hidden_states) as transformers' CLIP gives them:
        hidden_states holds the embeddings and each layer's output, before the final norm.
        The pooled output is projected when the encoder has a projection."""
        n = input_ids.shape[1]
        x = self.token_embedding(input_ids) + self.position_embedding[:n]
        hidden_states = [x]
        for layer in self.layers:
            x = layer(x, self.causal_mask[:n, :n])
            hidden_states.append(x)
        x = self.final_layer_norm(x)
        # CLIP pools at the end-of-text token, which has the highest id in the vocab.
        pooled = x[torch.arange(x.shape[0]), input_ids.to(torch.int64).argmax(dim=-1)]
        if self.text_projection is not None:
            pooled = self.text_projection(pooled)
        return x, pooled, hidden_states

    def forward(self, input_ids):
        x, pooled, _ = self.encode(input_ids)
        return x, pooled


def norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(8, channels, eps=1e-6)


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, temb: int = 0):
        super().__init__()
        self.norm1 = norm(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout) if temb else None
        self.norm2 = norm(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, emb=None):
        h = self.conv1(F.silu(self.norm1(x)))
        if self.time_emb_proj is not None:
            h = h + self.time_emb_proj(F.silu(emb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return self.shortcut(x) + h


class Upsample(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)

    def forward(self, x, size=None):
        if size is None:
            return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))
        return self.conv(F.interpolate(x, size=size, mode="nearest"))


class Encoder(nn.Module):
    def __init__(self, channels=(32, 64, 64), latent: int = 4):
        super().__init__()
        c0, c1, c2 = channels
        self.net = nn.Sequential(
            nn.Conv2d(3, c0, 3, padding=1),
            nn.SiLU(),
            nn.Conv2d(c0, c1, 3, stride=2, padding=1),
            ResBlock(c1, c1),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1),
            ResBlock(c2, c2),
            norm(c2),
            nn.SiLU(),
            nn.Conv2d(c2, 2 * latent, 3, padding=1),
        )

    def forward(self, x):
        return self.net(x)


class Decoder(nn.Module):
    def __init__(self, channels=(32, 64, 64), latent: int = 4):
        super().__init__()
        c0, c1, c2 = channels
        self.net = nn.Sequential(
            nn.Conv2d(latent, c2, 3, padding=1),
            ResBlock(c2, c2),
            Upsample(c2, c1),
            ResBlock(c1, c1),
            Upsample(c1, c0),
            norm(c0),
            nn.SiLU(),
            nn.Conv2d(c0, 3, 3, padding=1),
        )

    def forward(self, z):
        return self.net(z)


class AutoencoderKL(nn.Module):
    block_out_channels = (32, 64, 64)
    latent_channels = 4  # darkroom-tiny's; darkroom-tiny-flow's has 16

    def __init__(self, latent_channels: int = 4):
        super().__init__()
        self.latent_channels = latent_channels
        self.encoder = Encoder(self.block_out_channels, latent_channels)
        self.decoder = Decoder(self.block_out_channels, latent_channels)

    def encode(self, x):
        """Returns the posterior's parameters: mean and log-variance, concatenated on channels."""
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)


def timestep_embedding(timesteps, dim: int):
    """diffusers' get_timestep_embedding with flip_sin_to_cos=True, downscale_freq_shift=0."""
    half = dim // 2
    exponent = -math.log(10000) * torch.arange(half, dtype=torch.float32) / half
    args = timesteps.to(torch.float32)[:, None] * torch.exp(exponent)[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class Transformer(nn.Module):
    def __init__(self, channels: int, context_dim: int, heads: int, self_attention: bool = True):
        super().__init__()
        self.norm = norm(channels)
        self.proj_in = nn.Linear(channels, channels)
        self.norm1 = nn.LayerNorm(channels) if self_attention else None
        self.attn1 = Attention(channels, heads) if self_attention else None
        self.norm2 = nn.LayerNorm(channels)
        self.attn2 = Attention(channels, heads, context_dim)
        self.norm3 = nn.LayerNorm(channels)
        self.ff = nn.Sequential(nn.Linear(channels, channels * 2), nn.GELU(), nn.Linear(channels * 2, channels))
        self.proj_out = nn.Linear(channels, channels)

    def forward(self, x, context):
        b, c, h, w = x.shape
        t = self.proj_in(self.norm(x).reshape(b, c, h * w).transpose(1, 2))
        if self.attn1 is not None:
            t = t + self.attn1(self.norm1(t))
        t = t + self.attn2(self.norm2(t), context)
        t = t + self.ff(self.norm3(t))
        return x + self.proj_out(t).transpose(1, 2).reshape(b, c, h, w)


class UNet(nn.Module):
    # Self-attention on the 16x16 level costs most of a training step for little gain,
    # so the first level only attends to the text.
    def __init__(
        self,
        channels=(64, 96, 128),
        context_dim: int = 128,
        heads: int = 4,
        in_channels: int = 4,
        text_embeds_dim: int = 0,
        time_ids_embed_dim: int = 0,
    ):
        super().__init__()
        self.channels = channels
        temb = channels[0] * 4
        self.time_embedding = nn.Sequential(nn.Linear(channels[0], temb), nn.SiLU(), nn.Linear(temb, temb))
        # SDXL's addition_embed_type "text_time": the pooled text and the six time_ids, each
        # given a sinusoidal embedding, added to the timestep's embedding.
        self.time_ids_embed_dim = time_ids_embed_dim
        self.add_embedding = (
            nn.Sequential(nn.Linear(text_embeds_dim + 6 * time_ids_embed_dim, temb), nn.SiLU(), nn.Linear(temb, temb))
            if text_embeds_dim
            else None
        )
        self.conv_in = nn.Conv2d(in_channels, channels[0], 3, padding=1)
        self.down = nn.ModuleList()
        self.downsamplers = nn.ModuleList()
        previous = channels[0]
        for i, c in enumerate(channels):
            block = Transformer(c, context_dim, heads, self_attention=i > 0)
            self.down.append(nn.ModuleList([ResBlock(previous, c, temb), block]))
            if i < len(channels) - 1:
                self.downsamplers.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
            previous = c
        self.mid = nn.ModuleList([ResBlock(previous, previous, temb), Transformer(previous, context_dim, heads)])
        self.up = nn.ModuleList()
        self.upsamplers = nn.ModuleList()
        for i, c in reversed(list(enumerate(channels))):
            block = Transformer(c, context_dim, heads, self_attention=i > 0)
            self.up.append(nn.ModuleList([ResBlock(previous + c, c, temb), block]))
            if i > 0:
                self.upsamplers.append(Upsample(c, c))
            previous = c
        self.norm_out = norm(channels[0])
        self.conv_out = nn.Conv2d(channels[0], in_channels, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states, text_embeds=None, time_ids=None):
        timestep = timestep.reshape(-1).expand(sample.shape[0])
        emb = self.time_embedding(timestep_embedding(timestep, self.channels[0]))
        if self.add_embedding is not None:
            time_embeds = timestep_embedding(time_ids.reshape(-1), self.time_ids_embed_dim).reshape(sample.shape[0], -1)
            emb = emb + self.add_embedding(torch.cat([text_embeds, time_embeds], dim=-1))
        x = self.conv_in(sample)
        skips = []
        for i, (res, attn) in enumerate(self.down):
            x = attn(res(x, emb), encoder_hidden_states)
            skips.append(x)
            if i < len(self.downsamplers):
                x = self.downsamplers[i](x)
        x = self.mid[1](self.mid[0](x, emb), encoder_hidden_states)
        for i, (res, attn) in enumerate(self.up):
            x = attn(res(torch.cat([x, skips.pop()], dim=1), emb), encoder_hidden_states)
            if i < len(self.upsamplers):
                # Upsample to the skip's size, so latents of any size (odd ones too) work.
                x = self.upsamplers[i](x, skips[-1].shape[-2:])
        return self.conv_out(F.silu(self.norm_out(x)))
