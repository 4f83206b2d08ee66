"""Rewrites an ONNX model's MatMuls with constant weights as 4-bit MatMulNBits.

  python3 quantize_int4.py IN.onnx OUT.onnx [--block-size 32] [--accuracy-level 4] [--min-size N]

A MatMul whose second input is a 2-D float32 initializer W [K, N] becomes onnxruntime's
contrib operator com.microsoft.MatMulNBits: W is quantised to 4 bits in blocks of
block_size along K, each block with its own float scale and 4-bit zero point. This is how
real int4 exports (webnn/Z-Image-Turbo's *_q4f16.onnx and the like) store their weights,
so Darkroom's loaders and tests can be run against the same format with a model of our own.
The quantisation is the one onnxruntime's own MatMulNBitsQuantizer does (asymmetric,
round to nearest), reimplemented in numpy because there is no Python onnxruntime here.
Weights with fewer than --min-size elements stay float. Only the main graph is rewritten.
"""

# What this relies on, read in microsoft/onnxruntime (stored copies, at the commits given):
#
# docs/ContribOperators.md @ 004b79eda305a216ab8d0e21eabe81d7713eb768, com.microsoft.MatMulNBits:
#   "dequantized_weight = (quantized_weight - zero_point) * scale"; attributes K, N (required),
#   bits, block_size (required, "a power of two and >= 16"), accuracy_level ("0(unset), 1(fp32),
#   2(fp16), 3(bf16), or 4(int8) ... 4 means input A can be quantized with the same block_size
#   to int8 internally"). Inputs: A; B "Packed uint8 tensor of shape (N, k_blocks, blob_size),
#   where k_blocks = ceil(K / block_size) and blob_size = (block_size * bits / 8)"; scales
#   "(N, k_blocks) and same data type as input A"; zero_points (optional) "Packed (uint8) format
#   has shape (N, ceil(k_blocks * bits / 8)), and it uses same bit-packing method as Input B ...
#   If not provided, a default zero point is used: 2^(bits - 1) (e.g., 8 for 4-bit)"; "for 4 bits,
#   the first 4 bits are stored in the lower 4 bits of a byte, and the second 4 bits are stored
#   in the higher 4 bits". Output Y has A's rank.
# onnxruntime/core/graph/contrib_ops/contrib_defs.cc @ 6fa5002d5848f8425b49334396371032694d4ede:
#   B is "[N][n_blocks_per_col][blob_size]", n_blocks_per_col = (K + block_size - 1) / block_size,
#   blob_size = block_size / 8 * bits; scales "[N * n_blocks_per_col]". Shape inference
#   (MatmulWithQuantWeightShapeInference, transB=true): fails unless A's last dim is K; Y is
#   A.shape[:-1] + [N].
# onnxruntime/contrib_ops/cpu/quantization/matmul_nbits_helper.h @ 28e8f65539478df8b9286ace80f06fff6d64f8c7,
#   CheckInputs: bits in {2, 4, 8}; block_size a power of 2 >= 16; B exactly (N, k_blocks,
#   blob_size); scales (N * k_blocks) or (N, k_blocks); uint8 zero_points
#   (N * ceil(k_blocks * bits / 8)) or (N, ceil(k_blocks * bits / 8)).
# onnxruntime/python/tools/quantization/matmul_nbits_quantizer.py @ 03ef21ec507814f0c19406dcfb21121384f7c26b,
#   DefaultWeightOnlyQuantizer (QOperator, is_symmetric=False): pads K with zero rows to
#   k_blocks * block_size; packed (N, k_blocks, blob_size) uint8, scales (N * k_blocks),
#   zero points (N * ceil(k_blocks / 2)) uint8, filled by quantize_matmul_4bits; node attributes
#   K = rows, N = cols, bits, block_size, and accuracy_level only when non-zero ("not supported
#   by most EPs"); initializers named W_Q4, W_scales, W_zero_points. (It also renames the node
#   to name_Q4; this tool keeps the name.)
# onnxruntime/python/onnxruntime_pybind_quant.cc @ 011a3891669060861e0bfe22bd21a38a6e210016:
#   quantize_matmul_4bits calls MlasQuantizeBlockwise<T, 4>(dst, scale, zp, src, block_size,
#   columnwise=true, K, N, N), with zero points "[N, (block_per_K + 1) / 2]".
# onnxruntime/core/mlas/lib/q4_dq.cpp @ 04000081e8ecfd88f3692d8a6f1fdd0ec7731769:
#   range2scalezp: min = min(min, 0), max = max(max, 0), scale = (max - min) / 15,
#   zp = roundf(-min / scale) clamped to [0, 15] (min, that is 0, when scale == 0).
#   BlockwiseQuantizer<..., Columnwise=true>::quantizeAndTranspose: per block of one column,
#   q = clamp(roundf(v * (scale ? 1 / scale : 0) + zp), 0, 15); dst[n * q_rows + k / 2] =
#   q[k even] | q[k odd] << 4; zero_points[n * ceil(k_blocks / 2) + b / 2] = zp[b even] |
#   zp[b odd] << 4 (the unused high nibble of an odd count stays 0). dequantize reads them
#   back as (q - zp) * scale, with zp 8 when there are no zero points.

import argparse
import os

import numpy as np
import onnx
from onnx import numpy_helper

MS_DOMAIN = "com.microsoft"
BITS = 4
LEVELS = 2**BITS - 1


def roundf(x: np.ndarray) -> np.ndarray:
    """C's roundf (halves away from zero) where x >= 0, and <= 0 where x < 0, which is all the
    clamp to [0, 15] after it needs; in float64, x + 0.5 is exact for a float32 x."""
    return np.floor(x.astype(np.float64) + 0.5)


def pack_nibbles(values: np.ndarray) -> np.ndarray:
    """Pairs along the last axis into bytes, the even element in the low nibble."""
    if values.shape[-1] % 2:
        values = np.concatenate([values, np.zeros_like(values[..., :1])], axis=-1)
    return (values[..., 0::2] | (values[..., 1::2] << 4)).astype(np.uint8)


def unpack_nibbles(packed: np.ndarray) -> np.ndarray:
    return np.stack([packed & 0xF, packed >> 4], axis=-1).reshape(*packed.shape[:-1], -1)


def quantize(weight: np.ndarray, block_size: int):
    """float32 [K, N] -> (B uint8 [N, k_blocks, block_size / 2], scales float32 [N * k_blocks],
    zero points uint8 [N * ceil(k_blocks / 2)]), as onnxruntime's quantize_matmul_4bits does."""
    k, n = weight.shape
    k_blocks = -(-k // block_size)
    padded = np.pad(weight, ((0, k_blocks * block_size - k), (0, 0)))
    blocks = padded.T.reshape(n, k_blocks, block_size)
    low = np.minimum(blocks.min(axis=2), 0)
    high = np.maximum(blocks.max(axis=2), 0)
    scales = (high - low) / np.float32(LEVELS)
    nonzero = scales != 0
    safe = np.where(nonzero, scales, np.float32(1))
    zero_points = np.clip(roundf(np.where(nonzero, -low / safe, 0)), 0, LEVELS).astype(np.uint8)
    reciprocal = np.where(nonzero, np.float32(1) / safe, np.float32(0))
    q = np.clip(roundf(blocks * reciprocal[..., None] + zero_points[..., None]), 0, LEVELS).astype(np.uint8)
    return pack_nibbles(q), scales.reshape(-1), pack_nibbles(zero_points).reshape(-1)


def dequantize(packed: np.ndarray, scales: np.ndarray, zero_points: np.ndarray, k: int) -> np.ndarray:
    """MatMulNBits' B, scales and zero points -> the float32 [K, N] weight the operator multiplies by."""
    n, k_blocks, _ = packed.shape
    q = unpack_nibbles(packed).astype(np.float32)
    zp = unpack_nibbles(zero_points.reshape(n, -1))[:, :k_blocks].astype(np.float32)
    weight = (q - zp[..., None]) * scales.reshape(n, k_blocks)[..., None]
    return weight.reshape(n, -1)[:, :k].T


def quantizable_weights(graph: onnx.GraphProto, min_size: int) -> dict:
    """Initializers that are constant (not overridable graph inputs) 2-D float32 of min_size or more."""
    inputs = {i.name for i in graph.input}
    return {
        t.name: t
        for t in graph.initializer
        if t.name not in inputs
        and t.data_type == onnx.TensorProto.FLOAT
        and len(t.dims) == 2
        and t.dims[0] * t.dims[1] >= min_size
    }


def used_names(graph: onnx.GraphProto) -> set:
    """Every tensor name a node reads, subgraphs included."""
    names = set()
    for node in graph.node:
        names.update(node.input)
        for attr in node.attribute:
            for sub in [attr.g] if attr.HasField("g") else attr.graphs:
                names |= used_names(sub)
    return names


def to_matmul_nbits(node: onnx.NodeProto, quantized: list, k: int, n: int, block_size: int, accuracy_level: int):
    """Turns the MatMul node into MatMulNBits in place: same name, input A, output and position."""
    a = node.input[0]
    node.op_type, node.domain = "MatMulNBits", MS_DOMAIN
    del node.input[:]
    node.input.extend([a, *quantized])  # B, scales, zero_points
    attributes = {"K": k, "N": n, "bits": BITS, "block_size": block_size}
    if accuracy_level:  # as onnxruntime's quantiser: 0 (unset) is left out
        attributes["accuracy_level"] = accuracy_level
    node.attribute.extend(onnx.helper.make_attribute(key, value) for key, value in attributes.items())


def quantize_model(model: onnx.ModelProto, block_size: int, accuracy_level: int, min_size: int) -> str:
    """Rewrites the model in place; returns a one-line summary."""
    graph = model.graph
    weights = quantizable_weights(graph, min_size)
    quantized = {}  # weight name -> names of its B, scales and zero points (a shared weight is done once)
    matmuls = converted = before = after = 0
    for node in graph.node:
        if node.op_type != "MatMul" or node.domain not in ("", "ai.onnx"):
            continue
        matmuls += 1
        weight = weights.get(node.input[1])
        if weight is None:
            continue
        k, n = weight.dims
        if weight.name not in quantized:
            tensors = quantize(numpy_helper.to_array(weight), block_size)
            names = [f"{weight.name}_Q4", f"{weight.name}_scales", f"{weight.name}_zero_points"]
            graph.initializer.extend(numpy_helper.from_array(t, name) for t, name in zip(tensors, names))
            quantized[weight.name] = names
            before += k * n * 4
            after += sum(t.nbytes for t in tensors)
        to_matmul_nbits(node, quantized[weight.name], k, n, block_size, accuracy_level)
        converted += 1

    used = used_names(graph)
    for t in [t for t in graph.initializer if t.name in quantized and t.name not in used]:
        graph.initializer.remove(t)
    if quantized and not any(o.domain == MS_DOMAIN for o in model.opset_import):
        model.opset_import.append(onnx.helper.make_opsetid(MS_DOMAIN, 1))
    return (
        f"{converted} of {matmuls} MatMuls -> MatMulNBits (4-bit, block {block_size}, accuracy_level {accuracy_level}); "
        f"their weights {before} -> {after} bytes"
    )


def block_size_arg(value: str) -> int:
    size = int(value)
    if size < 16 or size & (size - 1):
        raise argparse.ArgumentTypeError("must be a power of 2 and at least 16")
    return size


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--block-size", type=block_size_arg, default=32)
    parser.add_argument(
        "--accuracy-level", type=int, choices=range(5), default=4, help="4: onnxruntime may quantise A to int8 per block; 0: left unset"
    )
    parser.add_argument("--min-size", type=int, default=0, help="leave weights with fewer elements in float")
    args = parser.parse_args()
    model = onnx.load(args.input)
    summary = quantize_model(model, args.block_size, args.accuracy_level, args.min_size)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    onnx.save(model, args.output)
    print(f"{args.output}: {summary}")


if __name__ == "__main__":
    main()
