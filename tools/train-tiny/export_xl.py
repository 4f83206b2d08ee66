"""Exports darkroom-tiny-xl to ONNX in Optimum's SDXL layout.

  python3 export_xl.py [--weights weights/darkroom-tiny-xl.pt] [--out models/darkroom-tiny-xl]

Names and dtypes are those of an Optimum export of SDXL (see docs/model-layouts.md):
text_encoder (CLIPTextModel, input_ids int64) -> last_hidden_state, pooler_output,
hidden_states.0..N; text_encoder_2 (CLIPTextModelWithProjection) -> text_embeds,
last_hidden_state, hidden_states.0..N; unet(sample, timestep float scalar,
encoder_hidden_states, text_embeds, time_ids) -> out_sample. The autoencoder is
darkroom-tiny's: its graphs are copied, so git stores them once.
"""

import argparse
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import bpe  # noqa: E402
import export  # noqa: E402
import train  # noqa: E402
import train_xl  # noqa: E402
from models import AutoencoderKL  # noqa: E402

ROOT = os.path.abspath(os.path.join(train.HERE, "..", ".."))


class HiddenStates(torch.nn.Module):
    """A text encoder with every hidden state as an output, in Optimum's order."""

    def __init__(self, encoder, projected: bool):
        super().__init__()
        self.encoder = encoder
        self.projected = projected

    def forward(self, input_ids):
        last, pooled, states = self.encoder.encode(input_ids)
        return (pooled, last, *states) if self.projected else (last, pooled, *states)


def export_text_encoder(encoder, spec: dict, folder: str, projected: bool, vocab_size: int):
    layers = [f"hidden_states.{i}" for i in range(spec["layers"] + 1)]
    outputs = ["text_embeds", "last_hidden_state"] if projected else ["last_hidden_state", "pooler_output"]
    outputs += layers
    ids = torch.zeros(1, bpe.MAX_LENGTH, dtype=torch.int64)
    export.export(
        HiddenStates(encoder, projected),
        (ids,),
        f"{folder}/model.onnx",
        ["input_ids"],
        outputs,
        {name: {0: "batch_size"} for name in ["input_ids", *outputs]},
    )
    config = {
        "architectures": ["CLIPTextModelWithProjection" if projected else "CLIPTextModel"],
        "model_type": "clip_text_model",
        "hidden_size": spec["dim"],
        "num_hidden_layers": spec["layers"],
        "num_attention_heads": train.HEADS,
        "max_position_embeddings": bpe.MAX_LENGTH,
        "vocab_size": vocab_size,
    }
    if projected:
        config["projection_dim"] = spec["projection_dim"]
    export.write_json(f"{folder}/config.json", config)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", default=train_xl.PACKED)
    parser.add_argument("--out", default=os.path.join(ROOT, "models", "darkroom-tiny-xl"))
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    tokenizer_1, tokenizer_2, text_1, text_2, unet, _, _ = train_xl.load(args.weights)
    step = torch.load(args.weights)["step"]

    for folder, tokenizer in (("tokenizer", tokenizer_1), ("tokenizer_2", tokenizer_2)):
        os.makedirs(f"{out}/{folder}", exist_ok=True)
        tokenizer.save(f"{out}/{folder}")
    export_text_encoder(text_1, train_xl.TEXT_1, f"{out}/text_encoder", False, tokenizer_1.vocab_size)
    export_text_encoder(text_2, train_xl.TEXT_2, f"{out}/text_encoder_2", True, tokenizer_1.vocab_size)

    batch = 2
    width = train_xl.TEXT_1["dim"] + train_xl.TEXT_2["dim"]
    example = (
        torch.randn(batch, AutoencoderKL.latent_channels, 16, 16),
        torch.tensor(500.0),
        torch.randn(batch, bpe.MAX_LENGTH, width),
        torch.randn(batch, train_xl.TEXT_2["projection_dim"]),
        torch.tensor([[64.0, 64, 0, 0, 64, 64]] * batch),
    )
    export.export(
        unet,
        example,
        f"{out}/unet/model.onnx",
        ["sample", "timestep", "encoder_hidden_states", "text_embeds", "time_ids"],
        ["out_sample"],
        {
            "sample": {0: "batch_size", 2: "height", 3: "width"},
            "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
            "text_embeds": {0: "batch_size"},
            "time_ids": {0: "batch_size"},
            "out_sample": {0: "batch_size", 2: "height", 3: "width"},
        },
    )
    export.write_json(
        f"{out}/unet/config.json",
        {
            "_class_name": "UNet2DConditionModel",
            "in_channels": AutoencoderKL.latent_channels,
            "out_channels": AutoencoderKL.latent_channels,
            "sample_size": 16,
            "block_out_channels": list(train.UNET_CHANNELS),
            "cross_attention_dim": width,
            "attention_head_dim": train.HEADS,
            "addition_embed_type": "text_time",
            "addition_time_embed_dim": train_xl.TIME_IDS_EMBED_DIM,
            "projection_class_embeddings_input_dim": train_xl.TEXT_2["projection_dim"] + 6 * train_xl.TIME_IDS_EMBED_DIM,
        },
    )

    tiny = os.path.join(ROOT, "models", "darkroom-tiny")
    for part in ("vae_encoder", "vae_decoder"):
        shutil.copytree(f"{tiny}/{part}", f"{out}/{part}", dirs_exist_ok=True)
    os.makedirs(f"{out}/scheduler", exist_ok=True)
    export.write_json(f"{out}/scheduler/scheduler_config.json", export.scheduler_config())
    export.write_json(
        f"{out}/model_index.json",
        {
            "_class_name": "StableDiffusionXLPipeline",
            "_darkroom_training_steps": step,
            "force_zeros_for_empty_prompt": True,
            "text_encoder": ["transformers", "CLIPTextModel"],
            "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
            "tokenizer": ["transformers", "CLIPTokenizer"],
            "tokenizer_2": ["transformers", "CLIPTokenizer"],
            "unet": ["diffusers", "UNet2DConditionModel"],
            "vae": ["diffusers", "AutoencoderKL"],
            "scheduler": ["diffusers", "EulerDiscreteScheduler"],
        },
    )
    shutil.copy(os.path.join(train.HERE, "MODEL_CARD_XL.md"), f"{out}/README.md")
    shutil.copy(f"{tiny}/darkroom.json", f"{out}/darkroom.json")
    print(f"exported step {step} to {out}")


if __name__ == "__main__":
    main()
