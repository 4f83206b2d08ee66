"""Exports darkroom-tiny-flow to ONNX: Z-Image's folder layout, webnn/Z-Image-Turbo's graph names.

  python3 export_flow.py [--weights weights/darkroom-tiny-flow.pt] [--out models/darkroom-tiny-flow] [--shift 2]

Folders as diffusers' ZImagePipeline has them (model_index.json, scheduler/, text_encoder/,
tokenizer/, transformer/, vae_decoder/ and vae_encoder/ as Optimum splits the VAE), each
graph with the input and output names of the webnn/Z-Image-Turbo export:
  text_encoder  input_ids, attention_mask (int64 [1, L]) -> encoder_hidden_states [1, L, D]
                (the second-to-last hidden state; the last layer is not in the graph)
  transformer   hidden_states [1, 16, h, w], timestep [1] (1 - sigma), encoder_hidden_states
                [1, L, D] -> sample [1, 16, h, w]
  vae_decoder   latent_sample -> sample;  vae_encoder  sample -> latent_parameters
Sizes and the prompt's length stay dynamic. The export is held to PyTorch by
reference_flow.py's fixture, which the TypeScript tests run the graphs on (Debian has no
onnxruntime for Python).
"""

import argparse
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import bpe_llm  # noqa: E402
import train  # noqa: E402
import train_flow  # noqa: E402
from export import export, export_vae, write_json  # noqa: E402

DEFAULT_OUT = os.path.join(train.HERE, "..", "..", "models", "darkroom-tiny-flow")
EXAMPLES = [
    "a red circle on a blue background",
    "a small yellow triangle at the top, black background",
    "一个绿色的正方形在左边,白色背景",
    "a large purple square on the left, white background",
]


class PromptEncoder(torch.nn.Module):
    """The text encoder up to the hidden state the transformer reads."""

    def __init__(self, text):
        super().__init__()
        self.text = text

    def forward(self, input_ids, attention_mask):
        n = input_ids.shape[1]
        x = self.text.embed_tokens(input_ids)
        cos, sin = self.text.rotary(n, x.device)
        causal = torch.ones(n, n, dtype=torch.bool).tril()
        allowed = causal[None, None] & attention_mask.to(torch.bool)[:, None, None, :]
        bias = torch.zeros(allowed.shape).masked_fill(~allowed, -1e9)
        # hidden_states[-2] is the input of the last layer: every layer but the last.
        for layer in self.text.layers[: len(self.text.layers) - 1]:
            x = layer(x, cos, sin, bias)
        return x


class Transformer(torch.nn.Module):
    def __init__(self, transformer):
        super().__init__()
        self.transformer = transformer

    def forward(self, hidden_states, timestep, encoder_hidden_states):
        return self.transformer(hidden_states, timestep, encoder_hidden_states)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", default=train_flow.PACKED)
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--shift", type=float, default=2.0, help="the scheduler's static shift")
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    tokenizer, text, transformer, vae, scaling, shift = train_flow.load(args.weights)
    step = torch.load(args.weights)["step"]
    dim = train_flow.TEXT["dim"]

    os.makedirs(f"{out}/tokenizer", exist_ok=True)
    tokenizer.save(f"{out}/tokenizer", train_flow.MAX_LENGTH)
    ids = torch.tensor([tokenizer.encode(bpe_llm.render_chat("a red circle"))], dtype=torch.int64)
    encoder = PromptEncoder(text)
    path = f"{out}/text_encoder/model.onnx"
    export(
        encoder,
        (ids, torch.ones_like(ids)),
        path,
        ["input_ids", "attention_mask"],
        ["encoder_hidden_states"],
        {"input_ids": {1: "sequence_length"}, "attention_mask": {1: "sequence_length"}, "encoder_hidden_states": {1: "sequence_length"}},
    )
    with torch.no_grad():
        reference = text(ids, torch.ones_like(ids))[train_flow.HIDDEN_STATE]
        assert torch.allclose(encoder(ids, torch.ones_like(ids)), reference), "PromptEncoder is not hidden_states[-2]"
    write_json(
        f"{out}/text_encoder/config.json",
        {
            "architectures": ["Qwen3Model"],
            "model_type": "qwen3",
            "hidden_size": dim,
            "intermediate_size": train_flow.TEXT["hidden"],
            "num_hidden_layers": train_flow.TEXT["layers"],
            "num_attention_heads": train_flow.TEXT["heads"],
            "num_key_value_heads": train_flow.TEXT["kv_heads"],
            "head_dim": train_flow.TEXT["head_dim"],
            "rope_theta": text.rope_theta,
            "rms_norm_eps": 1e-6,
            "max_position_embeddings": train_flow.MAX_LENGTH,
            "vocab_size": tokenizer.vocab_size,
        },
    )

    wrapper = Transformer(transformer)
    path = f"{out}/transformer/model.onnx"
    export(
        wrapper,
        (torch.randn(1, 16, 16, 16), torch.tensor([0.5]), torch.randn(1, 20, dim)),
        path,
        ["hidden_states", "timestep", "encoder_hidden_states"],
        ["sample"],
        {"hidden_states": {2: "height", 3: "width"}, "encoder_hidden_states": {1: "cap_seq_len"}, "sample": {2: "height", 3: "width"}},
    )
    t = train_flow.TRANSFORMER
    write_json(
        f"{out}/transformer/config.json",
        {
            "_class_name": "ZImageTransformer2DModel",
            "all_patch_size": [transformer.patch],
            "all_f_patch_size": [1],
            "in_channels": train_flow.LATENT_CHANNELS,
            "dim": t["dim"],
            "n_layers": t["layers"],
            "n_refiner_layers": t["refiner_layers"],
            "n_heads": t["heads"],
            "n_kv_heads": t["heads"],
            "norm_eps": 1e-5,
            "qk_norm": True,
            "cap_feat_dim": dim,
            "rope_theta": transformer.rope_theta,
            "t_scale": transformer.t_scale,
            "axes_dims": list(t["axes_dims"]),
            "axes_lens": [1024, 512, 512],
        },
    )

    vae_config = {
        "_class_name": "AutoencoderKL",
        "in_channels": 3,
        "out_channels": 3,
        "latent_channels": train_flow.LATENT_CHANNELS,
        "block_out_channels": list(vae.block_out_channels),
        "sample_size": 64,
        "scaling_factor": scaling,
        "shift_factor": shift,
        "mid_block_add_attention": False,
    }
    export_vae(vae, out, vae_config)

    os.makedirs(f"{out}/scheduler", exist_ok=True)
    write_json(
        f"{out}/scheduler/scheduler_config.json",
        {"_class_name": "FlowMatchEulerDiscreteScheduler", "num_train_timesteps": 1000, "shift": args.shift, "use_dynamic_shifting": False},
    )
    write_json(
        f"{out}/model_index.json",
        {
            "_class_name": "ZImagePipeline",
            "_darkroom_training_steps": step,
            "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
            "text_encoder": ["transformers", "Qwen3Model"],
            "tokenizer": ["transformers", "Qwen2Tokenizer"],
            "transformer": ["diffusers", "ZImageTransformer2DModel"],
            "vae": ["diffusers", "AutoencoderKL"],
        },
    )
    write_json(
        f"{out}/darkroom.json",
        {"example_prompts": EXAMPLES, "defaults": {"steps": 8, "guidance": 0, "scheduler": "euler", "width": 64, "height": 64}},
    )
    card = os.path.join(train.HERE, "MODEL_CARD_FLOW.md")
    if os.path.exists(card):
        shutil.copy(card, f"{out}/README.md")
    print(f"exported step {step} to {out}")


if __name__ == "__main__":
    main()
