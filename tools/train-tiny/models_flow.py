"""The networks of darkroom-tiny-flow: Z-Image's in small (diffusers' ZImageTransformer2DModel
and transformers' Qwen3Model, written out for torch 1.13 and ONNX export).

- QwenTextEncoder: Qwen3's decoder blocks (RMSNorm before attention and MLP, grouped-query
  attention with RMSNorm on each head's queries and keys, rotary positions in the
  rotate-half form, SwiGLU MLP), causal, with a padding mask. `hidden_states` is
  transformers' tuple: the embeddings, the input of every later layer, and the final
  normed output, so [-2] is the second-to-last layer's output, the one Z-Image reads.
- FlowTransformer: Z-Image's single-stream DiT. 2x2 latent patches and the caption's
  features are each embedded and padded to a multiple of 32 tokens with a learned pad
  token, refined on their own (the image side modulated by the timestep, the caption
  side not), then joined, image first, into one sequence that every main block attends
  over. Positions are 3-D rotary (frame, row, column) in the interleaved-pair form:
  caption token i sits at (1 + i, 0, 0), image patch (h, w) at (caption length + 1, h, w).
  Blocks are modulated by the timestep embedding (scale, tanh gate) with RMSNorm
  sandwiches; the final layer is a scale-modulated LayerNorm and a linear map.
Attention is written out: torch 1.13 has no scaled_dot_product_attention.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

SEQ_MULTI_OF = 32
ADALN_EMBED_DIM = 256


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def attend(q, k, v, bias=None):
    """q, k, v: (batch, heads, tokens, head_dim); bias is added to the scores."""
    scores = q @ k.transpose(-1, -2) * q.shape[-1] ** -0.5
    if bias is not None:
        scores = scores + bias
    return scores.softmax(dim=-1) @ v


# ---- text encoder (Qwen3) ----


def rotate_half(x):
    a, b = x.chunk(2, dim=-1)
    return torch.cat([-b, a], dim=-1)


class QwenAttention(nn.Module):
    def __init__(self, dim: int, heads: int, kv_heads: int, head_dim: int):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, head_dim
        self.q_proj = nn.Linear(dim, heads * head_dim, bias=False)
        self.k_proj = nn.Linear(dim, kv_heads * head_dim, bias=False)
        self.v_proj = nn.Linear(dim, kv_heads * head_dim, bias=False)
        self.o_proj = nn.Linear(heads * head_dim, dim, bias=False)
        self.q_norm = RMSNorm(head_dim)
        self.k_norm = RMSNorm(head_dim)

    def forward(self, x, cos, sin, bias):
        b, n, _ = x.shape
        q = self.q_norm(self.q_proj(x).reshape(b, n, self.heads, self.head_dim)).transpose(1, 2)
        k = self.k_norm(self.k_proj(x).reshape(b, n, self.kv_heads, self.head_dim)).transpose(1, 2)
        v = self.v_proj(x).reshape(b, n, self.kv_heads, self.head_dim).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        # Each key-value head serves heads / kv_heads query heads (repeat_interleave, written
        # with expand so the ONNX trace keeps the sequence length dynamic).
        repeat = self.heads // self.kv_heads

        def share(t):
            return t[:, :, None].expand(b, self.kv_heads, repeat, n, self.head_dim).reshape(b, self.heads, n, self.head_dim)

        k, v = share(k), share(v)
        out = attend(q, k, v, bias).transpose(1, 2).reshape(b, n, -1)
        return self.o_proj(out)


class QwenMLP(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.gate_proj = nn.Linear(dim, hidden, bias=False)
        self.up_proj = nn.Linear(dim, hidden, bias=False)
        self.down_proj = nn.Linear(hidden, dim, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class QwenLayer(nn.Module):
    def __init__(self, dim, heads, kv_heads, head_dim, hidden):
        super().__init__()
        self.input_layernorm = RMSNorm(dim)
        self.self_attn = QwenAttention(dim, heads, kv_heads, head_dim)
        self.post_attention_layernorm = RMSNorm(dim)
        self.mlp = QwenMLP(dim, hidden)

    def forward(self, x, cos, sin, bias):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, bias)
        return x + self.mlp(self.post_attention_layernorm(x))


class QwenTextEncoder(nn.Module):
    def __init__(self, vocab_size, dim=128, layers=3, heads=4, kv_heads=2, head_dim=32, hidden=384, rope_theta=1e6):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab_size, dim)
        self.layers = nn.ModuleList(QwenLayer(dim, heads, kv_heads, head_dim, hidden) for _ in range(layers))
        self.norm = RMSNorm(dim)
        self.head_dim, self.rope_theta = head_dim, rope_theta

    def rotary(self, n: int, device):
        inv = 1.0 / self.rope_theta ** (torch.arange(0, self.head_dim, 2, dtype=torch.float32, device=device) / self.head_dim)
        freqs = torch.arange(n, dtype=torch.float32, device=device)[:, None] * inv[None, :]
        emb = torch.cat([freqs, freqs], dim=-1)
        return emb.cos(), emb.sin()

    def forward(self, input_ids, attention_mask):
        """All hidden states, as transformers' output_hidden_states gives them."""
        n = input_ids.shape[1]
        x = self.embed_tokens(input_ids)
        cos, sin = self.rotary(n, x.device)
        causal = torch.ones(n, n, dtype=torch.bool, device=x.device).tril()
        allowed = causal[None, None] & attention_mask.to(torch.bool)[:, None, None, :]
        bias = torch.zeros(allowed.shape, device=x.device).masked_fill(~allowed, -1e9)
        states = []
        for layer in self.layers:
            states.append(x)
            x = layer(x, cos, sin, bias)
        states.append(self.norm(x))
        return states


# ---- transformer (Z-Image) ----


def timestep_embedding(t, dim: int, max_period: float = 10000.0):
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    args = t.to(torch.float32)[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class TimestepEmbedder(nn.Module):
    def __init__(self, out_size: int, mid_size: int, frequency_size: int = 256):
        super().__init__()
        self.frequency_size = frequency_size
        self.mlp = nn.Sequential(nn.Linear(frequency_size, mid_size), nn.SiLU(), nn.Linear(mid_size, out_size))

    def forward(self, t):
        return self.mlp(timestep_embedding(t, self.frequency_size))


def rope_3d(positions, axes_dims, theta: float):
    """(cos, sin), each (tokens, head_dim / 2), for (tokens, 3) integer positions."""
    angles = []
    for axis, dim in enumerate(axes_dims):
        inv = 1.0 / theta ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim)
        angles.append(positions[:, axis : axis + 1].to(torch.float32) * inv[None, :])
    angles = torch.cat(angles, dim=-1)
    return angles.cos(), angles.sin()


def apply_rope(x, cos, sin):
    """Rotates interleaved pairs (x[2i], x[2i+1]) as complex numbers, as Z-Image's
    view_as_complex does. x: (batch, heads, tokens, head_dim)."""
    pairs = x.reshape(*x.shape[:-1], -1, 2)
    real, imag = pairs[..., 0], pairs[..., 1]
    return torch.stack([real * cos - imag * sin, real * sin + imag * cos], dim=-1).flatten(-2)


class JointAttention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(dim, dim, bias=False)
        self.to_v = nn.Linear(dim, dim, bias=False)
        self.norm_q = RMSNorm(dim // heads, eps=1e-5)
        self.norm_k = RMSNorm(dim // heads, eps=1e-5)
        self.to_out = nn.Linear(dim, dim, bias=False)

    def forward(self, x, cos, sin):
        b, n, d = x.shape

        def split(t):
            return t.reshape(b, n, self.heads, d // self.heads).transpose(1, 2)

        q, k, v = self.norm_q(split(self.to_q(x))), self.norm_k(split(self.to_k(x))), split(self.to_v(x))
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        return self.to_out(attend(q, k, v).transpose(1, 2).reshape(b, n, d))


class FeedForward(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.w1 = nn.Linear(dim, hidden, bias=False)
        self.w2 = nn.Linear(hidden, dim, bias=False)
        self.w3 = nn.Linear(dim, hidden, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class FlowBlock(nn.Module):
    def __init__(self, dim: int, heads: int, modulation: bool):
        super().__init__()
        self.attention = JointAttention(dim, heads)
        self.feed_forward = FeedForward(dim, int(dim / 3 * 8))
        self.attention_norm1, self.attention_norm2 = RMSNorm(dim, 1e-5), RMSNorm(dim, 1e-5)
        self.ffn_norm1, self.ffn_norm2 = RMSNorm(dim, 1e-5), RMSNorm(dim, 1e-5)
        self.adaLN_modulation = nn.Sequential(nn.Linear(min(dim, ADALN_EMBED_DIM), 4 * dim)) if modulation else None

    def forward(self, x, cos, sin, adaln=None):
        if self.adaLN_modulation is None:
            x = x + self.attention_norm2(self.attention(self.attention_norm1(x), cos, sin))
            return x + self.ffn_norm2(self.feed_forward(self.ffn_norm1(x)))
        scale_msa, gate_msa, scale_mlp, gate_mlp = self.adaLN_modulation(adaln)[:, None, :].chunk(4, dim=2)
        x = x + gate_msa.tanh() * self.attention_norm2(self.attention(self.attention_norm1(x) * (1 + scale_msa), cos, sin))
        return x + gate_mlp.tanh() * self.ffn_norm2(self.feed_forward(self.ffn_norm1(x) * (1 + scale_mlp)))


class PlainLayerNorm(nn.Module):
    """LayerNorm without weight and bias, written out: torch 1.13 exports nn.LayerNorm(
    elementwise_affine=False) as a LayerNormalization node with no scale, which ONNX refuses."""

    def __init__(self, eps: float):
        super().__init__()
        self.eps = eps

    def forward(self, x):
        centred = x - x.mean(-1, keepdim=True)
        return centred * torch.rsqrt(centred.pow(2).mean(-1, keepdim=True) + self.eps)


class FinalLayer(nn.Module):
    def __init__(self, dim: int, out: int):
        super().__init__()
        self.norm_final = PlainLayerNorm(1e-6)
        self.linear = nn.Linear(dim, out)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(min(dim, ADALN_EMBED_DIM), dim))

    def forward(self, x, adaln):
        return self.linear(self.norm_final(x) * (1 + self.adaLN_modulation(adaln)[:, None, :]))


def pad_count(n):
    """Tokens that fill n up to a multiple of 32 (n may be a traced size: no branching on it)."""
    return (SEQ_MULTI_OF - n % SEQ_MULTI_OF) % SEQ_MULTI_OF


class FlowTransformer(nn.Module):
    def __init__(
        self,
        in_channels=16,
        dim=128,
        layers=4,
        refiner_layers=1,
        heads=4,
        cap_feat_dim=128,
        patch=2,
        axes_dims=(8, 12, 12),
        rope_theta=256.0,
        t_scale=1000.0,
    ):
        super().__init__()
        self.in_channels, self.patch, self.axes_dims, self.rope_theta, self.t_scale = in_channels, patch, axes_dims, rope_theta, t_scale
        self.x_embedder = nn.Linear(patch * patch * in_channels, dim)
        self.t_embedder = TimestepEmbedder(min(dim, ADALN_EMBED_DIM), mid_size=256)
        self.cap_embedder = nn.Sequential(RMSNorm(cap_feat_dim, 1e-5), nn.Linear(cap_feat_dim, dim))
        self.x_pad_token = nn.Parameter(torch.zeros(dim))
        self.cap_pad_token = nn.Parameter(torch.zeros(dim))
        self.noise_refiner = nn.ModuleList(FlowBlock(dim, heads, True) for _ in range(refiner_layers))
        self.context_refiner = nn.ModuleList(FlowBlock(dim, heads, False) for _ in range(refiner_layers))
        self.layers = nn.ModuleList(FlowBlock(dim, heads, True) for _ in range(layers))
        self.final_layer = FinalLayer(dim, patch * patch * in_channels)

    def positions(self, cap_padded, h, w):
        """(image, caption) integer positions (frame, row, column); sizes may be traced."""
        cap = torch.arange(1, cap_padded + 1)
        zeros = torch.zeros_like(cap)
        cap = torch.stack([cap, zeros, zeros], dim=-1)
        rows = torch.arange(h)[:, None].expand(h, w).reshape(-1)
        cols = torch.arange(w)[None, :].expand(h, w).reshape(-1)
        img = torch.stack([torch.zeros_like(rows) + cap_padded + 1, rows, cols], dim=-1)
        return img, cap

    def forward(self, latents, t, cap_feats, cap_mask=None):
        """latents (B, C, H, W); t (B,) in [0, 1], 1 = clean; cap_feats (B, L, D), the
        caption's features with no padding. Returns the prediction of latents - noise.
        `cap_mask` (training only): captions of different lengths in one batch, their
        padding given the pad token as one caption of that padded length would have.
        Written without branches on sizes, so an ONNX trace keeps them dynamic."""
        b, c, H, W = latents.shape
        p = self.patch
        h, w = H // p, W // p
        x = latents.reshape(b, c, h, p, w, p).permute(0, 2, 4, 3, 5, 1).reshape(b, h * w, p * p * c)
        adaln = self.t_embedder(t * self.t_scale)
        cap_len = cap_feats.shape[1]
        x_pad, cap_pad = pad_count(h * w), pad_count(cap_len)
        img_pos, cap_pos = self.positions(cap_len + cap_pad, h, w)
        # Image padding tokens sit at position (0, 0, 0).
        img_pos = torch.cat([img_pos, torch.zeros(x_pad, 3, dtype=img_pos.dtype)])
        x = torch.cat([self.x_embedder(x), self.x_pad_token.expand(b, x_pad, -1)], dim=1)
        cap = self.cap_embedder(cap_feats)
        if cap_mask is not None:
            cap = torch.where(cap_mask[:, :, None], cap, self.cap_pad_token)
        cap = torch.cat([cap, self.cap_pad_token.expand(b, cap_pad, -1)], dim=1)
        x_cos, x_sin = rope_3d(img_pos, self.axes_dims, self.rope_theta)
        cap_cos, cap_sin = rope_3d(cap_pos, self.axes_dims, self.rope_theta)
        for block in self.noise_refiner:
            x = block(x, x_cos, x_sin, adaln)
        for block in self.context_refiner:
            cap = block(cap, cap_cos, cap_sin)
        joint = torch.cat([x, cap], dim=1)
        cos, sin = torch.cat([x_cos, cap_cos]), torch.cat([x_sin, cap_sin])
        for block in self.layers:
            joint = block(joint, cos, sin, adaln)
        out = self.final_layer(joint, adaln)[:, : h * w]
        return out.reshape(b, h, w, p, p, c).permute(0, 5, 1, 3, 2, 4).reshape(b, c, H, W)
