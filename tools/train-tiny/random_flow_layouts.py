"""Writes tiny, randomly initialised SD3 and Flux models in Hugging Face Optimum's ONNX layouts.

  python3 random_flow_layouts.py [--out test/fixtures]   # -> tiny-sd3/ and tiny-flux/

Nothing here is trained: the folders exist so that Darkroom's SD3 and Flux pipelines can be
run end to end in tests on the exact files, graph names, dtypes and dynamic axes an
`optimum-cli export onnx` of stabilityai/stable-diffusion-3-medium-diffusers or
black-forest-labs/FLUX.1-dev gives, without downloading gigabytes. Weights come from fixed
seeds, so a rerun writes the same graphs.

SD3 (StableDiffusion3Pipeline):
  text_encoder, text_encoder_2  input_ids int64 [batch_size, sequence_length] -> text_embeds,
                last_hidden_state, hidden_states.0 .. hidden_states.N (CLIPTextModelWithProjection
                with output_hidden_states, as Optimum forces it for SD3; widths 32 and 48)
  text_encoder_3  input_ids -> last_hidden_state [batch_size, sequence_length, 96] (T5 encoder)
  transformer   hidden_states [B, 16, h, w], encoder_hidden_states [B, L, 96], pooled_projections
                [B, 40], timestep [B] (0..1000) -> out_hidden_states [B, 16, h, w]
Flux (FluxPipeline, guidance-distilled like FLUX.1-dev):
  text_encoder  input_ids -> last_hidden_state, pooler_output [B, 32] (CLIPTextModel)
  text_encoder_2  input_ids -> last_hidden_state [B, L, 64] (T5 encoder)
  transformer   hidden_states [B, S, 64] (2x2-packed latents), encoder_hidden_states [B, L, 64],
                pooled_projections [B, 32], timestep [B] (t / 1000), img_ids int64 [S, 3],
                txt_ids int64 [L, 3], guidance [B] -> out_hidden_states [B, S, 64]
The ids are int64 because Optimum traces them from random_int_tensor dummies (diffusers
passes floats; ORTModel casts every input to the graph's dtype). Inputs are in the order of
diffusers' forward signatures, which Optimum's ordered_inputs follows. Both folders copy
darkroom-tiny-flow's 16-channel VAE (factor 4) and the CLIP tokenizers of darkroom-tiny and
darkroom-tiny-xl; the T5 tokenizer is a small Unigram vocabulary of the training captions'
words. The networks follow diffusers' SD3Transformer2DModel and FluxTransformer2DModel
block for block at a width of 32: AdaLayerNormZero-modulated joint attention over text and
image tokens, Flux with per-head RMSNorm, 3-axis rotary positions from the ids, and
single-stream blocks. SD3's fixed 2-D sin-cos positions are computed for the patch grid
rather than cropped from a table, so any even latent size works. As Optimum's
fix_dynamic_axes does, output axes the exporter leaves symbolic under names of its own are
set to their sizes.
"""

import argparse
import json
import math
import os
import random
import re
import shutil
import sys
from collections import Counter

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import data  # noqa: E402
import train  # noqa: E402
from export import export as export_graph  # noqa: E402
from export import write_json  # noqa: E402
from models import TextEncoder  # noqa: E402
from models_flow import PlainLayerNorm, RMSNorm, TimestepEmbedder, apply_rope, attend, rope_3d  # noqa: E402

MODELS = os.path.join(train.HERE, "..", "..", "models")
CLIP_TOKENIZER = os.path.join(MODELS, "darkroom-tiny", "tokenizer")
CLIP_TOKENIZER_2 = os.path.join(MODELS, "darkroom-tiny-xl", "tokenizer_2")  # pads with "!"
FLOW_VAE = os.path.join(MODELS, "darkroom-tiny-flow")
LATENT_CHANNELS = 16
CLIP_LENGTH = 77
HEADS, HEAD_DIM = 2, 16
# Depths differ, as CLIP-L's 12 and CLIP-G's 32 do, so each encoder's hidden_states.N must be read.
SD3_CLIP = ({"dim": 32, "layers": 2, "projection": 16}, {"dim": 48, "layers": 1, "projection": 24})
SD3_T5_DIM = 96  # joint_attention_dim: at least 32 + 48, the CLIP widths SD3 joins
FLUX_CLIP_DIM = 32
FLUX_T5_DIM = 64
FLUX_AXES = (4, 6, 6)  # axes_dims_rope: (text index, row, column), summing to HEAD_DIM
T5_SPECIALS = ["<pad>", "</s>", "<unk>"]
SEED = 7


# ---- T5 encoder and its tokenizer ----


def relative_position_bucket(relative, buckets: int = 32, max_distance: int = 128):
    """T5's bidirectional buckets: exact for short distances, logarithmic beyond."""
    buckets //= 2
    side = (relative > 0).to(torch.int64) * buckets
    distance = relative.abs()
    exact = buckets // 2
    # Distances below `exact` take the exact branch, so clamping 0 to 1 (log 0 is -inf) changes nothing.
    far = exact + (torch.log(distance.float().clamp(min=1) / exact) / math.log(max_distance / exact) * (buckets - exact)).to(torch.int64)
    far = torch.min(far, torch.full_like(far, buckets - 1))
    return side + torch.where(distance < exact, distance, far)


class T5Layer(nn.Module):
    """Pre-RMSNorm self-attention (unscaled scores plus the shared position bias), then
    T5 v1.1's gated-GELU feed-forward."""

    def __init__(self, dim: int, heads: int, head_dim: int, ff: int):
        super().__init__()
        self.heads, self.head_dim = heads, head_dim
        self.norm1 = RMSNorm(dim)
        self.q, self.k, self.v = (nn.Linear(dim, heads * head_dim, bias=False) for _ in range(3))
        self.o = nn.Linear(heads * head_dim, dim, bias=False)
        self.norm2 = RMSNorm(dim)
        self.wi_0 = nn.Linear(dim, ff, bias=False)
        self.wi_1 = nn.Linear(dim, ff, bias=False)
        self.wo = nn.Linear(ff, dim, bias=False)

    def forward(self, x, bias):
        b = x.shape[0]
        h = self.norm1(x)

        def split(t):
            return t.reshape(b, -1, self.heads, self.head_dim).transpose(1, 2)

        q, k, v = split(self.q(h)), split(self.k(h)), split(self.v(h))
        out = (q @ k.transpose(-1, -2) + bias).softmax(dim=-1) @ v
        x = x + self.o(out.transpose(1, 2).reshape(b, -1, self.heads * self.head_dim))
        h = self.norm2(x)
        return x + self.wo(F.gelu(self.wi_0(h), approximate="tanh") * self.wi_1(h))


class T5Encoder(nn.Module):
    buckets = 32
    max_distance = 128

    def __init__(self, vocab_size: int, dim: int, layers: int = 1, heads: int = HEADS, head_dim: int = HEAD_DIM, ff: int = 64):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab_size, dim)
        self.relative_attention_bias = nn.Embedding(self.buckets, heads)
        self.layers = nn.ModuleList(T5Layer(dim, heads, head_dim, ff) for _ in range(layers))
        self.final_layer_norm = RMSNorm(dim)

    def forward(self, input_ids):
        positions = torch.arange(input_ids.shape[1])
        buckets = relative_position_bucket(positions[None, :] - positions[:, None], self.buckets, self.max_distance)
        bias = self.relative_attention_bias(buckets).permute(2, 0, 1)[None]
        x = self.embed_tokens(input_ids)
        for layer in self.layers:
            x = layer(x, bias)
        return self.final_layer_norm(x)

    def config(self):
        layer = self.layers[0]
        return {
            "architectures": ["T5EncoderModel"],
            "model_type": "t5",
            "d_model": self.embed_tokens.embedding_dim,
            "d_kv": layer.head_dim,
            "d_ff": layer.wo.in_features,
            "num_layers": len(self.layers),
            "num_heads": layer.heads,
            "relative_attention_num_buckets": self.buckets,
            "relative_attention_max_distance": self.max_distance,
            "feed_forward_proj": "gated-gelu",
            "layer_norm_epsilon": 1e-6,
            "vocab_size": self.embed_tokens.num_embeddings,
            "pad_token_id": 0,
            "eos_token_id": 1,
        }


def unigram_vocab(count: int = 2000):
    """T5-style pieces with log-probability scores: every word of the training captions as
    "▁word" (scored by its frequency), their punctuation, and single characters below every
    word so an unknown word still spells out."""
    rng = random.Random(SEED)
    counts = Counter()
    for _ in range(count):
        scene = data.random_scene(rng)
        scene["mention_background"] = rng.random() < 0.9
        counts.update(re.findall(r"\w+|[^\w\s]", data.caption(scene, rng)))
    total = sum(counts.values())
    pieces = {("▁" + w if w[0].isalnum() else w): math.log(n / total) for w, n in counts.items()}
    floor = min(pieces.values()) - 2
    characters = "▁" + "abcdefghijklmnopqrstuvwxyz" + "abcdefghijklmnopqrstuvwxyz".upper() + "0123456789.,!?'-"
    for c in characters:
        pieces.setdefault(c, floor)
    ranked = sorted(pieces.items(), key=lambda item: (-item[1], item[0]))
    return [[t, 0.0] for t in T5_SPECIALS] + [[t, round(s, 4)] for t, s in ranked]


def save_t5_tokenizer(folder: str, vocab, max_length: int):
    metaspace = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True}
    eos = {"SpecialToken": {"id": "</s>", "type_id": 0}}
    os.makedirs(folder, exist_ok=True)
    write_json(
        f"{folder}/tokenizer.json",
        {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [
                {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
                for i, t in enumerate(T5_SPECIALS)
            ],
            # sentencepiece's nmt_nfkc with remove_extra_whitespaces, which T5's Precompiled map encodes.
            "normalizer": {
                "type": "Sequence",
                "normalizers": [
                    {"type": "NFKC"},
                    {"type": "Strip", "strip_left": True, "strip_right": True},
                    {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
                ],
            },
            "pre_tokenizer": metaspace,
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"Sequence": {"id": "A", "type_id": 0}}, eos],
                "pair": [{"Sequence": {"id": "A", "type_id": 0}}, eos, {"Sequence": {"id": "B", "type_id": 0}}, eos],
                "special_tokens": {"</s>": {"id": "</s>", "ids": [1], "tokens": ["</s>"]}},
            },
            "decoder": metaspace,
            "model": {"type": "Unigram", "unk_id": 2, "vocab": vocab, "byte_fallback": False},
        },
    )
    write_json(
        f"{folder}/tokenizer_config.json",
        {
            "tokenizer_class": "T5TokenizerFast",
            "eos_token": "</s>",
            "pad_token": "<pad>",
            "unk_token": "<unk>",
            "extra_ids": 0,
            "additional_special_tokens": [],
            "model_max_length": max_length,
        },
    )


# ---- the transformers' parts (diffusers' class names in the docstrings) ----


def modulate(x, shift, scale):
    return x * (1 + scale[:, None]) + shift[:, None]


def feed_forward(dim: int):
    """FeedForward with activation_fn "gelu-approximate"."""
    return nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(approximate="tanh"), nn.Linear(4 * dim, dim))


def pooled_embedder(pooled: int, dim: int):
    """PixArtAlphaTextProjection with act_fn "silu": the pooled text into the timestep's embedding."""
    return nn.Sequential(nn.Linear(pooled, dim), nn.SiLU(), nn.Linear(dim, dim))


class HeadProjections(nn.Module):
    """One side's query, key and value, split into heads; with qk_norm (Flux), RMSNorm on
    each head's queries and keys."""

    def __init__(self, dim: int, heads: int, qk_norm: bool):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v = (nn.Linear(dim, dim) for _ in range(3))
        self.norm_q = RMSNorm(dim // heads) if qk_norm else nn.Identity()
        self.norm_k = RMSNorm(dim // heads) if qk_norm else nn.Identity()

    def forward(self, x):
        b, _, d = x.shape

        def split(t):
            return t.reshape(b, -1, self.heads, d // self.heads).transpose(1, 2)

        return self.norm_q(split(self.q(x))), self.norm_k(split(self.k(x))), split(self.v(x))


def merge_heads(x):
    b, h, n, e = x.shape
    return x.transpose(1, 2).reshape(b, n, h * e)


def attend_rotated(q, k, v, rope):
    if rope is not None:
        q, k = apply_rope(q, *rope), apply_rope(k, *rope)
    return merge_heads(attend(q, k, v))


class JointBlock(nn.Module):
    """JointTransformerBlock (SD3) and FluxTransformerBlock: image and text tokens each
    modulated by the conditioning (AdaLayerNormZero: shift, scale and gate for attention and
    for the MLP), one attention over both, text first as Flux joins them (without rotary
    positions, SD3's image-first order gives the same result). SD3's last block is
    context_pre_only: its text side gets AdaLayerNormContinuous and is not carried on."""

    def __init__(self, dim: int, heads: int, qk_norm: bool, context_pre_only: bool = False):
        super().__init__()
        self.norm = PlainLayerNorm(1e-6)
        self.norm1 = nn.Linear(dim, 6 * dim)
        self.norm1_context = nn.Linear(dim, (2 if context_pre_only else 6) * dim)
        self.image = HeadProjections(dim, heads, qk_norm)
        self.text = HeadProjections(dim, heads, qk_norm)
        self.to_out = nn.Linear(dim, dim)
        self.ff = feed_forward(dim)
        self.to_add_out = None if context_pre_only else nn.Linear(dim, dim)
        self.ff_context = None if context_pre_only else feed_forward(dim)

    def forward(self, x, context, temb, rope=None):
        e = F.silu(temb)
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = self.norm1(e).chunk(6, dim=1)
        if self.ff_context is None:
            scale, shift = self.norm1_context(e).chunk(2, dim=1)
            c = modulate(self.norm(context), shift, scale)
        else:
            c_shift_msa, c_scale_msa, c_gate_msa, c_shift_mlp, c_scale_mlp, c_gate_mlp = self.norm1_context(e).chunk(6, dim=1)
            c = modulate(self.norm(context), c_shift_msa, c_scale_msa)
        qkv = zip(self.text(c), self.image(modulate(self.norm(x), shift_msa, scale_msa)))
        out = attend_rotated(*(torch.cat(pair, dim=2) for pair in qkv), rope)
        n = context.shape[1]
        x = x + gate_msa[:, None] * self.to_out(out[:, n:])
        x = x + gate_mlp[:, None] * self.ff(modulate(self.norm(x), shift_mlp, scale_mlp))
        if self.ff_context is None:
            return x, None
        context = context + c_gate_msa[:, None] * self.to_add_out(out[:, :n])
        context = context + c_gate_mlp[:, None] * self.ff_context(modulate(self.norm(context), c_shift_mlp, c_scale_mlp))
        return x, context


class SingleBlock(nn.Module):
    """FluxSingleTransformerBlock: one stream (text then image), AdaLayerNormZeroSingle,
    attention and MLP side by side, joined by one output projection."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.norm = PlainLayerNorm(1e-6)
        self.norm_linear = nn.Linear(dim, 3 * dim)
        self.attn = HeadProjections(dim, heads, qk_norm=True)
        self.proj_mlp = nn.Linear(dim, 4 * dim)
        self.proj_out = nn.Linear(5 * dim, dim)

    def forward(self, x, temb, rope):
        shift, scale, gate = self.norm_linear(F.silu(temb)).chunk(3, dim=1)
        h = modulate(self.norm(x), shift, scale)
        h = torch.cat([attend_rotated(*self.attn(h), rope), F.gelu(self.proj_mlp(h), approximate="tanh")], dim=2)
        return x + gate[:, None] * self.proj_out(h)


class FinalLayer(nn.Module):
    """norm_out (AdaLayerNormContinuous: scale, then shift) and proj_out."""

    def __init__(self, dim: int, out: int):
        super().__init__()
        self.norm = PlainLayerNorm(1e-6)
        self.linear = nn.Linear(dim, 2 * dim)
        self.proj_out = nn.Linear(dim, out)

    def forward(self, x, temb):
        scale, shift = self.linear(F.silu(temb)).chunk(2, dim=1)
        return self.proj_out(modulate(self.norm(x), shift, scale))


def sincos_2d(rows, cols, dim: int):
    """get_2d_sincos_pos_embed on a rows x cols patch grid (positions in patches): the first
    half of the features encodes the column, the second the row, each as [sin, cos]."""

    def sincos(positions, d):
        omega = 1.0 / 10000 ** (torch.arange(d // 2, dtype=torch.float32) / (d // 2))
        angles = positions.reshape(-1, 1) * omega[None, :]
        return torch.cat([angles.sin(), angles.cos()], dim=-1)

    r = torch.arange(rows, dtype=torch.float32)[:, None].expand(rows, cols)
    c = torch.arange(cols, dtype=torch.float32)[None, :].expand(rows, cols)
    return torch.cat([sincos(c, dim // 2), sincos(r, dim // 2)], dim=-1)


class SD3Transformer(nn.Module):
    patch = 2

    def __init__(self, joint_dim: int, pooled_dim: int, layers: int = 2):
        super().__init__()
        self.dim = dim = HEADS * HEAD_DIM
        self.layers = layers
        self.pos_embed = nn.Conv2d(LATENT_CHANNELS, dim, self.patch, stride=self.patch)
        self.timestep_embedder = TimestepEmbedder(dim, dim)
        self.text_embedder = pooled_embedder(pooled_dim, dim)
        self.context_embedder = nn.Linear(joint_dim, dim)
        self.blocks = nn.ModuleList(JointBlock(dim, HEADS, False, context_pre_only=i == layers - 1) for i in range(layers))
        self.final = FinalLayer(dim, self.patch * self.patch * LATENT_CHANNELS)

    def forward(self, hidden_states, encoder_hidden_states, pooled_projections, timestep):
        b = hidden_states.shape[0]
        x = self.pos_embed(hidden_states)
        rows, cols = x.shape[2], x.shape[3]
        x = x.flatten(2).transpose(1, 2) + sincos_2d(rows, cols, self.dim)
        temb = self.timestep_embedder(timestep) + self.text_embedder(pooled_projections)
        context = self.context_embedder(encoder_hidden_states)
        for block in self.blocks:
            x, context = block(x, context, temb)
        x = self.final(x, temb).reshape(b, rows, cols, self.patch, self.patch, LATENT_CHANNELS)
        return x.permute(0, 5, 1, 3, 2, 4).reshape(b, LATENT_CHANNELS, rows * self.patch, cols * self.patch)

    def config(self):
        return {
            "_class_name": "SD3Transformer2DModel",
            "sample_size": 16,
            "patch_size": self.patch,
            "in_channels": LATENT_CHANNELS,
            "out_channels": LATENT_CHANNELS,
            "num_layers": self.layers,
            "attention_head_dim": HEAD_DIM,
            "num_attention_heads": HEADS,
            "joint_attention_dim": self.context_embedder.in_features,
            "caption_projection_dim": self.dim,
            "pooled_projection_dim": self.text_embedder[0].in_features,
        }


class FluxTransformer(nn.Module):
    channels = LATENT_CHANNELS * 4

    def __init__(self, joint_dim: int, pooled_dim: int, layers: int = 1, single_layers: int = 1):
        super().__init__()
        dim = HEADS * HEAD_DIM
        self.x_embedder = nn.Linear(self.channels, dim)
        self.context_embedder = nn.Linear(joint_dim, dim)
        self.timestep_embedder = TimestepEmbedder(dim, dim)
        self.guidance_embedder = TimestepEmbedder(dim, dim)
        self.text_embedder = pooled_embedder(pooled_dim, dim)
        self.blocks = nn.ModuleList(JointBlock(dim, HEADS, True) for _ in range(layers))
        self.single_blocks = nn.ModuleList(SingleBlock(dim, HEADS) for _ in range(single_layers))
        self.final = FinalLayer(dim, self.channels)

    def forward(self, hidden_states, encoder_hidden_states, pooled_projections, timestep, img_ids, txt_ids, guidance):
        temb = self.timestep_embedder(timestep * 1000) + self.guidance_embedder(guidance * 1000)
        temb = temb + self.text_embedder(pooled_projections)
        rope = rope_3d(torch.cat([txt_ids, img_ids], dim=0), FLUX_AXES, 10000.0)
        x, context = self.x_embedder(hidden_states), self.context_embedder(encoder_hidden_states)
        for block in self.blocks:
            x, context = block(x, context, temb, rope)
        n = context.shape[1]
        x = torch.cat([context, x], dim=1)
        for block in self.single_blocks:
            x = block(x, temb, rope)
        return self.final(x[:, n:], temb)

    def config(self):
        return {
            "_class_name": "FluxTransformer2DModel",
            "patch_size": 1,
            "in_channels": self.channels,
            "out_channels": None,
            "num_layers": len(self.blocks),
            "num_single_layers": len(self.single_blocks),
            "attention_head_dim": HEAD_DIM,
            "num_attention_heads": HEADS,
            "joint_attention_dim": self.context_embedder.in_features,
            "pooled_projection_dim": self.text_embedder[0].in_features,
            "guidance_embeds": True,
            "axes_dims_rope": list(FLUX_AXES),
        }


# ---- CLIP ----


class ClipWithHiddenStates(nn.Module):
    """CLIPTextModelWithProjection with output_hidden_states, in Optimum's output order."""

    def __init__(self, text: TextEncoder):
        super().__init__()
        self.text = text

    def forward(self, input_ids):
        x, pooled, hidden_states = self.text.encode(input_ids)
        return (pooled, x, *hidden_states)


def clip_config(text: TextEncoder, architecture: str):
    config = {
        "architectures": [architecture],
        "model_type": "clip_text_model",
        "hidden_size": text.token_embedding.embedding_dim,
        "num_hidden_layers": len(text.layers),
        "num_attention_heads": text.layers[0].self_attn.heads,
        "max_position_embeddings": CLIP_LENGTH,
        "vocab_size": text.token_embedding.num_embeddings,
        "hidden_act": "gelu",
    }
    if text.text_projection is not None:
        config["projection_dim"] = text.text_projection.out_features
    return config


def clip_vocab_size(folder: str) -> int:
    with open(f"{folder}/vocab.json") as f:
        return len(json.load(f))


def build_clip(seed: int, vocab_size: int, dim: int, layers: int = 2, projection: int = 0) -> TextEncoder:
    torch.manual_seed(seed)
    return TextEncoder(vocab_size, dim=dim, layers=layers, heads=HEADS, max_length=CLIP_LENGTH, projection_dim=projection).eval()


# ---- the folders ----


def export(module, args, path, inputs, outputs, axes):
    """export.py's export, then what Optimum's fix_dynamic_axes does after it: an output axis
    the exporter left symbolic under a name of its own (not one of `axes`) gets the size
    PyTorch gives it, so the graph does not declare a fixed width as dynamic."""
    export_graph(module, args, path, inputs, outputs, axes)
    results = module(*args)
    results = results if isinstance(results, tuple) else (results,)
    allowed = {name for axis in axes.values() for name in axis.values()}
    model = onnx.load(path)
    for output, result in zip(model.graph.output, results):
        for i, dim in enumerate(output.type.tensor_type.shape.dim):
            if dim.dim_param and dim.dim_param not in allowed:
                dim.dim_value = result.shape[i]
    onnx.save(model, path)


TEXT_AXES = {0: "batch_size", 1: "sequence_length"}


def export_t5(out: str, folder: str, seed: int, vocab, dim: int):
    torch.manual_seed(seed)
    t5 = T5Encoder(len(vocab), dim).eval()
    axes = {"input_ids": TEXT_AXES, "last_hidden_state": TEXT_AXES}
    export(t5, (torch.tensor([[5, 6, 7, 1]]),), f"{out}/{folder}/model.onnx", ["input_ids"], ["last_hidden_state"], axes)
    write_json(f"{out}/{folder}/config.json", t5.config())


def copy_vae(out: str):
    for part in ("vae_decoder", "vae_encoder"):
        shutil.copytree(f"{FLOW_VAE}/{part}", f"{out}/{part}", dirs_exist_ok=True)


def write_common(out: str, scheduler: dict, index: dict):
    os.makedirs(f"{out}/scheduler", exist_ok=True)
    write_json(f"{out}/scheduler/scheduler_config.json", {"_class_name": "FlowMatchEulerDiscreteScheduler", **scheduler})
    write_json(f"{out}/model_index.json", index)
    write_json(f"{out}/darkroom.json", {"defaults": {"width": 64, "height": 64}})
    copy_vae(out)


def write_sd3(out: str, vocab):
    encoders = [("text_encoder", "tokenizer", CLIP_TOKENIZER), ("text_encoder_2", "tokenizer_2", CLIP_TOKENIZER_2)]
    for i, ((folder, tokenizer_folder, tokenizer), clip) in enumerate(zip(encoders, SD3_CLIP)):
        text = build_clip(SEED + i, clip_vocab_size(tokenizer), clip["dim"], clip["layers"], clip["projection"])
        names = ["text_embeds", "last_hidden_state"] + [f"hidden_states.{j}" for j in range(len(text.layers) + 1)]
        export(
            ClipWithHiddenStates(text),
            (torch.arange(CLIP_LENGTH)[None],),
            f"{out}/{folder}/model.onnx",
            ["input_ids"],
            names,
            {name: TEXT_AXES for name in ["input_ids", *names]},
        )
        write_json(f"{out}/{folder}/config.json", clip_config(text, "CLIPTextModelWithProjection"))
        shutil.copytree(tokenizer, f"{out}/{tokenizer_folder}", dirs_exist_ok=True)
    pooled = sum(clip["projection"] for clip in SD3_CLIP)
    export_t5(out, "text_encoder_3", SEED + 2, vocab, SD3_T5_DIM)
    save_t5_tokenizer(f"{out}/tokenizer_3", vocab, 256)

    torch.manual_seed(SEED + 3)
    transformer = SD3Transformer(SD3_T5_DIM, pooled).eval()
    export(
        transformer,
        (torch.randn(2, LATENT_CHANNELS, 16, 16), torch.randn(2, 20, SD3_T5_DIM), torch.randn(2, pooled), torch.tensor([1000.0, 500.0])),
        f"{out}/transformer/model.onnx",
        ["hidden_states", "encoder_hidden_states", "pooled_projections", "timestep"],
        ["out_hidden_states"],
        {
            "hidden_states": {0: "batch_size", 2: "height", 3: "width"},
            "encoder_hidden_states": TEXT_AXES,
            "pooled_projections": {0: "batch_size"},
            "timestep": {0: "step"},
            "out_hidden_states": {0: "batch_size", 2: "height", 3: "width"},
        },
    )
    write_json(f"{out}/transformer/config.json", transformer.config())
    write_common(
        out,
        {"num_train_timesteps": 1000, "shift": 3.0},
        {
            "_class_name": "StableDiffusion3Pipeline",
            "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
            "text_encoder": ["transformers", "CLIPTextModelWithProjection"],
            "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
            "text_encoder_3": ["transformers", "T5EncoderModel"],
            "tokenizer": ["transformers", "CLIPTokenizer"],
            "tokenizer_2": ["transformers", "CLIPTokenizer"],
            "tokenizer_3": ["transformers", "T5TokenizerFast"],
            "transformer": ["diffusers", "SD3Transformer2DModel"],
            "vae": ["diffusers", "AutoencoderKL"],
        },
    )


def image_ids(rows: int, cols: int):
    """diffusers' _prepare_latent_image_ids: (0, row, column) for each packed patch."""
    ids = torch.zeros(rows, cols, 3, dtype=torch.int64)
    ids[..., 1] = torch.arange(rows)[:, None]
    ids[..., 2] = torch.arange(cols)[None, :]
    return ids.reshape(-1, 3)


def write_flux(out: str, vocab):
    text = build_clip(SEED + 10, clip_vocab_size(CLIP_TOKENIZER), FLUX_CLIP_DIM)
    export(
        text,
        (torch.arange(CLIP_LENGTH)[None],),
        f"{out}/text_encoder/model.onnx",
        ["input_ids"],
        ["last_hidden_state", "pooler_output"],
        {"input_ids": TEXT_AXES, "last_hidden_state": TEXT_AXES, "pooler_output": {0: "batch_size"}},
    )
    write_json(f"{out}/text_encoder/config.json", clip_config(text, "CLIPTextModel"))
    shutil.copytree(CLIP_TOKENIZER, f"{out}/tokenizer", dirs_exist_ok=True)
    export_t5(out, "text_encoder_2", SEED + 11, vocab, FLUX_T5_DIM)
    save_t5_tokenizer(f"{out}/tokenizer_2", vocab, 512)

    torch.manual_seed(SEED + 12)
    transformer = FluxTransformer(FLUX_T5_DIM, FLUX_CLIP_DIM).eval()
    rows, cols, length = 4, 6, 10
    export(
        transformer,
        (
            torch.randn(2, rows * cols, FluxTransformer.channels),
            torch.randn(2, length, FLUX_T5_DIM),
            torch.randn(2, FLUX_CLIP_DIM),
            torch.tensor([1.0, 0.5]),
            image_ids(rows, cols),
            torch.zeros(length, 3, dtype=torch.int64),
            torch.tensor([3.5, 3.5]),
        ),
        f"{out}/transformer/model.onnx",
        ["hidden_states", "encoder_hidden_states", "pooled_projections", "timestep", "img_ids", "txt_ids", "guidance"],
        ["out_hidden_states"],
        {
            "hidden_states": {0: "batch_size", 1: "packed_height_width"},
            "encoder_hidden_states": TEXT_AXES,
            "pooled_projections": {0: "batch_size"},
            "timestep": {0: "step"},
            "img_ids": {0: "packed_height_width"},
            "txt_ids": {0: "sequence_length"},
            "guidance": {0: "batch_size"},
            "out_hidden_states": {0: "batch_size", 1: "packed_height_width"},
        },
    )
    write_json(f"{out}/transformer/config.json", transformer.config())
    write_common(
        out,
        {
            "num_train_timesteps": 1000,
            "shift": 3.0,
            "use_dynamic_shifting": True,
            "base_shift": 0.5,
            "max_shift": 1.15,
            "base_image_seq_len": 256,
            "max_image_seq_len": 4096,
        },
        {
            "_class_name": "FluxPipeline",
            "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
            "text_encoder": ["transformers", "CLIPTextModel"],
            "text_encoder_2": ["transformers", "T5EncoderModel"],
            "tokenizer": ["transformers", "CLIPTokenizer"],
            "tokenizer_2": ["transformers", "T5TokenizerFast"],
            "transformer": ["diffusers", "FluxTransformer2DModel"],
            "vae": ["diffusers", "AutoencoderKL"],
        },
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(train.HERE, "..", "..", "test", "fixtures"))
    args = parser.parse_args()
    vocab = unigram_vocab()
    for name, write in (("tiny-sd3", write_sd3), ("tiny-flux", write_flux)):
        out = os.path.abspath(os.path.join(args.out, name))
        with torch.no_grad():
            write(out, vocab)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
