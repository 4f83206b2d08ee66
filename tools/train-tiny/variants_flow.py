"""Derives test variants of darkroom-tiny-flow that look like other real exports of Z-Image.

  python3 variants_flow.py [--model models/darkroom-tiny-flow] [--out test/fixtures/tiny-flow-variants]

  int4/   transformer/model.onnx with every MatMul on a constant weight as onnxruntime's 4-bit
          MatMulNBits (quantize_int4.py, blocks of 32, accuracy level 0 so that the weights
          are dequantised exactly): laid over the main model, it is held to a PyTorch model
          whose weights went through the same rounding (reference_flow.py).
  webnn/  a whole folder in the webnn/Z-Image-Turbo file set: onnx/text_encoder_model_q4f16.onnx
          and onnx/transformer_model_q4f16.onnx (int4 weights, float16 elsewhere, float16
          inputs and outputs), onnx/vae_decoder_model_f16.onnx, onnx/vae_pre_process_model_f16.onnx
          (latents / scaling_factor + shift_factor, the way that export ships the VAE's
          numbers), and tokenizer/; no model_index.json and no configs.
"""

import argparse
import os
import shutil
import sys

import onnx
from onnx import TensorProto, helper

sys.path.insert(0, os.path.dirname(__file__))
import quantize_int4  # noqa: E402
from variants import retype_input, retype_output, weights_to_fp16  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BLOCK = 32


def int4(model_dir, out):
    model = onnx.load(f"{model_dir}/transformer/model.onnx")
    print("int4 transformer:", quantize_int4.quantize_model(model, BLOCK, accuracy_level=0, min_size=0))
    onnx.checker.check_model(model)
    os.makedirs(f"{out}/transformer", exist_ok=True)
    onnx.save(model, f"{out}/transformer/model.onnx")


def float16_io(model):
    """Float weights stored as float16, float inputs and outputs float16 (webnn's q4f16 / f16 boundary)."""
    graph = model.graph
    weights_to_fp16(graph)
    for value in list(graph.input):
        if value.type.tensor_type.elem_type == TensorProto.FLOAT:
            retype_input(graph, value.name, TensorProto.FLOAT16, None, TensorProto.FLOAT)
    for value in list(graph.output):
        if value.type.tensor_type.elem_type == TensorProto.FLOAT:
            retype_output(graph, value.name, TensorProto.FLOAT16)
    return model


def vae_pre_process(scaling: float, shift: float):
    """webnn's vae_pre_process graph: scaled_latents = latents / scaling_factor + shift_factor, in float16."""
    dims = [1, 16, "height", "width"]
    nodes = [
        helper.make_node("Cast", ["latents"], ["x"], to=TensorProto.FLOAT),
        helper.make_node("Div", ["x", "scaling_factor"], ["scaled"]),
        helper.make_node("Add", ["scaled", "shift_factor"], ["shifted"]),
        helper.make_node("Cast", ["shifted"], ["scaled_latents"], to=TensorProto.FLOAT16),
    ]
    constants = [helper.make_tensor("scaling_factor", TensorProto.FLOAT, [], [scaling]), helper.make_tensor("shift_factor", TensorProto.FLOAT, [], [shift])]
    graph = helper.make_graph(
        nodes,
        "vae_pre_process",
        [helper.make_tensor_value_info("latents", TensorProto.FLOAT16, dims)],
        [helper.make_tensor_value_info("scaled_latents", TensorProto.FLOAT16, dims)],
        constants,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def webnn(model_dir, out):
    import json

    with open(f"{model_dir}/vae_decoder/config.json") as f:
        vae = json.load(f)
    os.makedirs(f"{out}/onnx", exist_ok=True)
    for part, name in [("text_encoder", "text_encoder_model_q4f16"), ("transformer", "transformer_model_q4f16")]:
        model = onnx.load(f"{model_dir}/{part}/model.onnx")
        print(f"webnn {part}:", quantize_int4.quantize_model(model, BLOCK, accuracy_level=4, min_size=0))
        onnx.save(float16_io(model), f"{out}/onnx/{name}.onnx")
    onnx.save(float16_io(onnx.load(f"{model_dir}/vae_decoder/model.onnx")), f"{out}/onnx/vae_decoder_model_f16.onnx")
    pre = vae_pre_process(vae["scaling_factor"], vae["shift_factor"])
    onnx.checker.check_model(pre)
    onnx.save(pre, f"{out}/onnx/vae_pre_process_model_f16.onnx")
    shutil.copytree(f"{model_dir}/tokenizer", f"{out}/tokenizer", dirs_exist_ok=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=os.path.join(ROOT, "models", "darkroom-tiny-flow"))
    parser.add_argument("--out", default=os.path.join(ROOT, "test", "fixtures", "tiny-flow-variants"))
    args = parser.parse_args()
    int4(args.model, f"{args.out}/int4")
    webnn(args.model, f"{args.out}/webnn")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
