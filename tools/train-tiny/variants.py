"""Derives test variants of the built-in models that look like other real ONNX exports.

  python3 variants.py [--model models/darkroom-tiny] [--out test/fixtures/tiny-variants]
  python3 variants.py --xl [--model models/darkroom-tiny-xl] [--out test/fixtures/tiny-xl-variants]

Real exports on the hub differ from Optimum's current output in ways the pipeline must
handle; each variant holds only the files that differ from the main model (tests copy the
main model and lay the variant over it):

  fp16/    every graph input, output and weight in float16 (weights cast to float32
           inside the graph, so it runs on CPU); the UNet's timestep is float16 [batch].
  legacy/  as diffusers' conversion script and Optimum < 1.24 wrote them: int32 input_ids,
           int64 [batch] timestep, a vae_encoder that outputs `latent_sample`, and weights in
           external data files (unet/model.onnx_data, text_encoder/weights.pb).
  inpaint9/ the fp16 UNet given the inputs of an inpainting LCM UNet: `sample` with 9
           channels (latents, mask, masked-image latents; the graph reads the first 4) and a
           `timestep_cond` guidance embedding (declared, unused). It checks the pipeline's
           plumbing for those models; it is not a trained inpainting model.

darkroom-tiny-xl's (docs/model-layouts.md says where each comes from):

  fp16/      both text encoders and the UNet in float16, as the Olive / tlwu exports are;
             int32 input_ids on the first encoder only (Optimum < 1.24 and Olive); the UNet's
             weights in an external data file.
  ort-names/ the text encoders with the ONNX Runtime demo's output names: one `hidden_states`
             (the penultimate layer) and `text_embeddings`, nothing else.
"""

import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
PARTS = ["text_encoder", "unet", "vae_encoder", "vae_decoder"]


def retype_input(graph, name, elem_type, shape=None, cast_to=None):
    """Gives graph input `name` a new type (and shape); a Cast node feeds the old type inside."""
    value = next(v for v in graph.input if v.name == name)
    inner = name + "_inner"
    for node in graph.node:
        node.input[:] = [inner if i == name else i for i in node.input]
    graph.node.insert(0, helper.make_node("Cast", [name], [inner], to=cast_to, name=f"cast_{name}"))
    dims = shape if shape is not None else [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]
    value.CopyFrom(helper.make_tensor_value_info(name, elem_type, dims))


def retype_output(graph, name, elem_type):
    value = next(v for v in graph.output if v.name == name)
    inner = name + "_inner"
    for node in graph.node:
        node.output[:] = [inner if o == name else o for o in node.output]
        node.input[:] = [inner if i == name else i for i in node.input]
    graph.node.append(helper.make_node("Cast", [inner], [name], to=elem_type, name=f"cast_{name}"))
    dims = [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]
    value.CopyFrom(helper.make_tensor_value_info(name, elem_type, dims))


def weights_to_fp16(graph):
    """Stores float initializers as float16, each followed by a Cast back to float32."""
    casts = []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT:
            continue
        array = numpy_helper.to_array(init).astype(np.float16)
        name = init.name
        init.CopyFrom(numpy_helper.from_array(array, name + "_fp16"))
        casts.append(helper.make_node("Cast", [name + "_fp16"], [name], to=TensorProto.FLOAT, name=f"cast_{name}"))
    for cast in reversed(casts):
        graph.node.insert(0, cast)


def fp16(model_dir, out, parts=PARTS):
    for part in parts:
        model = onnx.load(f"{model_dir}/{part}/model.onnx")
        graph = model.graph
        weights_to_fp16(graph)
        for value in list(graph.input):
            if value.type.tensor_type.elem_type == TensorProto.FLOAT:
                shape = ["batch_size"] if value.name == "timestep" else None
                retype_input(graph, value.name, TensorProto.FLOAT16, shape, TensorProto.FLOAT)
        for value in list(graph.output):
            if value.type.tensor_type.elem_type == TensorProto.FLOAT:
                retype_output(graph, value.name, TensorProto.FLOAT16)
        onnx.checker.check_model(model)
        os.makedirs(f"{out}/{part}", exist_ok=True)
        onnx.save(model, f"{out}/{part}/model.onnx")


def legacy(model_dir, out):
    for part in ("text_encoder", "unet", "vae_encoder"):
        os.makedirs(f"{out}/{part}", exist_ok=True)
    text = onnx.load(f"{model_dir}/text_encoder/model.onnx")
    retype_input(text.graph, "input_ids", TensorProto.INT32, cast_to=TensorProto.INT64)
    onnx.save(text, f"{out}/text_encoder/model.onnx", save_as_external_data=True, location="weights.pb", size_threshold=0)

    unet = onnx.load(f"{model_dir}/unet/model.onnx")
    retype_input(unet.graph, "timestep", TensorProto.INT64, ["batch_size"], TensorProto.FLOAT)
    onnx.save(unet, f"{out}/unet/model.onnx", save_as_external_data=True, location="model.onnx_data", size_threshold=0)

    encoder = onnx.load(f"{model_dir}/vae_encoder/model.onnx")
    graph = encoder.graph
    params = graph.output[0]
    channels = params.type.tensor_type.shape.dim[1].dim_value // 2
    graph.initializer.extend(
        [
            numpy_helper.from_array(np.array([0], dtype=np.int64), "mean_start"),
            numpy_helper.from_array(np.array([channels], dtype=np.int64), "mean_end"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "mean_axis"),
        ]
    )
    graph.node.append(helper.make_node("Slice", [params.name, "mean_start", "mean_end", "mean_axis"], ["latent_sample"]))
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info("latent_sample", TensorProto.FLOAT, ["batch_size", channels, "height_latent", "width_latent"]))
    onnx.checker.check_model(encoder)
    onnx.save(encoder, f"{out}/vae_encoder/model.onnx")


def inpaint9(fp16_dir, out):
    unet = onnx.load(f"{fp16_dir}/unet/model.onnx")
    graph = unet.graph
    sample = next(v for v in graph.input if v.name == "sample")
    elem = sample.type.tensor_type.elem_type
    inner = "sample_latents"
    for node in graph.node:
        node.input[:] = [inner if i == "sample" else i for i in node.input]
    graph.initializer.extend(
        [
            numpy_helper.from_array(np.array([0], dtype=np.int64), "latents_start"),
            numpy_helper.from_array(np.array([4], dtype=np.int64), "latents_end"),
            numpy_helper.from_array(np.array([1], dtype=np.int64), "latents_axis"),
        ]
    )
    graph.node.insert(0, helper.make_node("Slice", ["sample", "latents_start", "latents_end", "latents_axis"], [inner], name="take_latents"))
    sample.CopyFrom(helper.make_tensor_value_info("sample", elem, ["batch_size", 9, "height", "width"]))
    graph.input.append(helper.make_tensor_value_info("timestep_cond", elem, ["batch_size", 256]))
    onnx.checker.check_model(unet)
    os.makedirs(f"{out}/unet", exist_ok=True)
    onnx.save(unet, f"{out}/unet/model.onnx")


def rename_output(graph, old, new):
    for node in graph.node:
        node.output[:] = [new if o == old else o for o in node.output]
        node.input[:] = [new if i == old else i for i in node.input]
    next(v for v in graph.output if v.name == old).name = new


def xl_fp16(model_dir, out):
    fp16(model_dir, out, ["text_encoder", "text_encoder_2", "unet"])
    text = onnx.load(f"{out}/text_encoder/model.onnx")
    retype_input(text.graph, "input_ids", TensorProto.INT32, cast_to=TensorProto.INT64)
    onnx.save(text, f"{out}/text_encoder/model.onnx")
    unet = onnx.load(f"{out}/unet/model.onnx")
    onnx.save(unet, f"{out}/unet/model.onnx", save_as_external_data=True, location="model.onnx_data", size_threshold=0)


def xl_ort_names(model_dir, out):
    for part, pooled in (("text_encoder", "last_hidden_state"), ("text_encoder_2", "text_embeds")):
        model = onnx.load(f"{model_dir}/{part}/model.onnx")
        graph = model.graph
        layers = sorted(int(v.name.split(".")[1]) for v in graph.output if v.name.startswith("hidden_states."))
        keep = {f"hidden_states.{layers[-2]}": "hidden_states", pooled: "text_embeddings"}
        for old, new in keep.items():
            rename_output(graph, old, new)
        for value in [v for v in graph.output if v.name not in keep.values()]:
            graph.output.remove(value)
        onnx.checker.check_model(model)
        os.makedirs(f"{out}/{part}", exist_ok=True)
        onnx.save(model, f"{out}/{part}/model.onnx")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--xl", action="store_true", help="darkroom-tiny-xl's variants")
    parser.add_argument("--model")
    parser.add_argument("--out")
    args = parser.parse_args()
    name = "darkroom-tiny-xl" if args.xl else "darkroom-tiny"
    args.model = args.model or os.path.join(ROOT, "models", name)
    args.out = args.out or os.path.join(ROOT, "test", "fixtures", "tiny-xl-variants" if args.xl else "tiny-variants")
    if args.xl:
        xl_fp16(args.model, f"{args.out}/fp16")
        xl_ort_names(args.model, f"{args.out}/ort-names")
        print(f"wrote {args.out}/fp16 and {args.out}/ort-names")
        return
    fp16(args.model, f"{args.out}/fp16")
    legacy(args.model, f"{args.out}/legacy")
    inpaint9(f"{args.out}/fp16", f"{args.out}/inpaint9")
    print(f"wrote {args.out}/fp16, {args.out}/legacy and {args.out}/inpaint9")


if __name__ == "__main__":
    sys.exit(main())
