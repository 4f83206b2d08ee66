"""Exports the trained darkroom-tiny to ONNX in the Hugging Face Optimum layout.

  python3 export.py [--weights weights/darkroom-tiny.pt] [--out models/darkroom-tiny]

The layout, input and output names and dtypes are those of an Optimum >= 1.24 export of
Stable Diffusion: text_encoder(input_ids int64) -> last_hidden_state, pooler_output;
unet(sample, timestep float scalar, encoder_hidden_states) -> out_sample;
vae_encoder(sample) -> latent_parameters (mean and log-variance); vae_decoder(latent_sample)
-> sample. Configs carry the values a pipeline must read (scaling_factor and friends).
"""

import argparse
import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import bpe  # noqa: E402
import train  # noqa: E402
import weights  # noqa: E402
from models import AutoencoderKL  # noqa: E402
from schedule import BETA_END, BETA_START, STEPS_OFFSET, TRAIN_STEPS  # noqa: E402

OPSET = 17


class VaeEncoder(torch.nn.Module):
    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, sample):
        return self.vae.encode(sample)


class VaeDecoder(torch.nn.Module):
    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, latent_sample):
        return self.vae.decode(latent_sample)


def write_json(path: str, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")


def export(module, args, path, inputs, outputs, axes):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.onnx.export(
        module,
        args,
        path,
        input_names=inputs,
        output_names=outputs,
        dynamic_axes=axes,
        opset_version=OPSET,
        do_constant_folding=True,
    )


def export_vae(vae, out: str, config: dict):
    """vae_encoder (sample -> latent_parameters) and vae_decoder (latent_sample -> sample), as
    Optimum splits the VAE, each with the VAE's config."""
    channels = config["latent_channels"]
    export(
        VaeEncoder(vae),
        (torch.randn(1, 3, 64, 64),),
        f"{out}/vae_encoder/model.onnx",
        ["sample"],
        ["latent_parameters"],
        {"sample": {0: "batch_size", 2: "height", 3: "width"}, "latent_parameters": {0: "batch_size", 2: "height_latent", 3: "width_latent"}},
    )
    write_json(f"{out}/vae_encoder/config.json", config)
    export(
        VaeDecoder(vae),
        (torch.randn(1, channels, 16, 16),),
        f"{out}/vae_decoder/model.onnx",
        ["latent_sample"],
        ["sample"],
        {"latent_sample": {0: "batch_size", 2: "height_latent", 3: "width_latent"}, "sample": {0: "batch_size", 2: "height", 3: "width"}},
    )
    write_json(f"{out}/vae_decoder/config.json", config)


def scheduler_config():
    return {
        "_class_name": "EulerDiscreteScheduler",
        "num_train_timesteps": TRAIN_STEPS,
        "beta_start": BETA_START,
        "beta_end": BETA_END,
        "beta_schedule": "scaled_linear",
        "prediction_type": "epsilon",
        "timestep_spacing": "leading",
        "steps_offset": STEPS_OFFSET,
        "set_alpha_to_one": False,
        "clip_sample": False,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", default=weights.DEFAULT_PATH)
    parser.add_argument("--out", default=os.path.join(train.HERE, "..", "..", "models", "darkroom-tiny"))
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    tokenizer, text, unet, vae, scaling = weights.load(args.weights)
    step = weights.training_step(args.weights)

    os.makedirs(f"{out}/tokenizer", exist_ok=True)
    tokenizer.save(f"{out}/tokenizer")
    ids = torch.tensor([tokenizer.encode("a red circle")], dtype=torch.int64)
    export(
        text,
        (ids,),
        f"{out}/text_encoder/model.onnx",
        ["input_ids"],
        ["last_hidden_state", "pooler_output"],
        {"input_ids": {0: "batch_size"}, "last_hidden_state": {0: "batch_size"}, "pooler_output": {0: "batch_size"}},
    )
    write_json(
        f"{out}/text_encoder/config.json",
        {
            "architectures": ["CLIPTextModel"],
            "model_type": "clip_text_model",
            "hidden_size": train.TEXT_DIM,
            "num_hidden_layers": train.TEXT_LAYERS,
            "num_attention_heads": train.HEADS,
            "max_position_embeddings": bpe.MAX_LENGTH,
            "vocab_size": tokenizer.vocab_size,
        },
    )

    latent = torch.randn(2, AutoencoderKL.latent_channels, 16, 16)
    context = torch.randn(2, bpe.MAX_LENGTH, train.TEXT_DIM)
    export(
        unet,
        (latent, torch.tensor(500.0), context),
        f"{out}/unet/model.onnx",
        ["sample", "timestep", "encoder_hidden_states"],
        ["out_sample"],
        {
            "sample": {0: "batch_size", 2: "height", 3: "width"},
            "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
            "out_sample": {0: "batch_size", 2: "height", 3: "width"},
        },
    )
    write_json(
        f"{out}/unet/config.json",
        {
            "_class_name": "UNet2DConditionModel",
            "in_channels": AutoencoderKL.latent_channels,
            "out_channels": AutoencoderKL.latent_channels,
            "sample_size": 16,
            "block_out_channels": list(train.UNET_CHANNELS),
            "cross_attention_dim": train.TEXT_DIM,
            "attention_head_dim": train.HEADS,
        },
    )

    vae_config = {
        "_class_name": "AutoencoderKL",
        "in_channels": 3,
        "out_channels": 3,
        "latent_channels": AutoencoderKL.latent_channels,
        "block_out_channels": list(AutoencoderKL.block_out_channels),
        "sample_size": 64,
        "scaling_factor": scaling,
    }
    export_vae(vae, out, vae_config)

    os.makedirs(f"{out}/scheduler", exist_ok=True)
    write_json(f"{out}/scheduler/scheduler_config.json", scheduler_config())
    write_json(
        f"{out}/model_index.json",
        {
            "_class_name": "StableDiffusionPipeline",
            "_darkroom_training_steps": step,
            "text_encoder": ["transformers", "CLIPTextModel"],
            "tokenizer": ["transformers", "CLIPTokenizer"],
            "unet": ["diffusers", "UNet2DConditionModel"],
            "vae": ["diffusers", "AutoencoderKL"],
            "scheduler": ["diffusers", "EulerDiscreteScheduler"],
            "safety_checker": [None, None],
            "feature_extractor": [None, None],
            "requires_safety_checker": False,
        },
    )
    shutil.copy(os.path.join(train.HERE, "MODEL_CARD.md"), f"{out}/README.md")
    print(f"exported step {step} to {out}")


if __name__ == "__main__":
    main()
