"""The converter's fused graph for the firmware's kernels: one EMBBERT_LAYER per encoder layer.

The host cannot run the custom operator; these tests check the graph the pass writes (what each fused
operator reads, the quantization its carriers hold, the memory plan) and the sources the firmware builds
from it. tests/test_firmware.py runs the fused graph on QEMU against the host's builtin graph, bit for bit.
"""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from convert import c_sources, fused_layers, memory_rewrite, offline_plan, row_chunks, to_tflite
from convert.graph import Graph

FUSED_INPUTS = 21  # fused_layer_fast.cc: kInputCount


@pytest.fixture(scope="module")
def stock(tiny_checkpoint, tmp_path_factory):
    """The tiny checkpoint's flatbuffer without the memory pass."""
    out = tmp_path_factory.mktemp("stock")
    argv = ["--checkpoint", str(tiny_checkpoint), "--out", str(out), "--eval-samples", "16", "--row-chunks", "off"]
    assert to_tflite.main(argv) == 0
    assert not (out / to_tflite.FUSED_MODEL_FILE).exists()
    return (out / "model.tflite").read_bytes()


def _quantization(graph, tensor):
    q = graph.tensors[tensor].quantization
    return list(np.asarray(q.scale, dtype=np.float32)), list(q.zeroPoint)


def test_each_layer_becomes_one_fused_operator(stock):
    builtin = Graph(stock)
    layers = row_chunks.find_layers(builtin)
    fused = Graph(fused_layers.fuse_for_firmware(stock)[0])
    names = [fused.op_name(op) for op in fused.operators]
    assert names.count(fused_layers.CUSTOM_CODE) == len(layers)
    for gone in ("SOFTMAX", "BATCH_MATMUL", "DEPTHWISE_CONV_2D", "LOGISTIC", "TRANSPOSE", "SUB"):
        assert gone not in names
    assert names.count("FULLY_CONNECTED") == builtin_names(builtin).count("FULLY_CONNECTED") - 3 * len(layers)
    for op, layer in zip([op for op in fused.operators if fused.op_name(op) == fused_layers.CUSTOM_CODE], layers):
        assert len(op.inputs) == FUSED_INPUTS and len(op.outputs) == 1
        # The intermediates' quantization, carried by one-element constants, in fused_layer_fast.cc's order.
        roles = ("query", "scores", "mask_add", "softmax", "context", "attention_out", "depthwise", "logistic",
                 "silu", "conv_out")
        for carrier, role in zip(op.inputs[11:], roles):
            assert fused.is_constant(carrier) and fused.shape(carrier) == (1,)
            original = builtin.operators[layer.ops[role]].outputs[0]
            assert _quantization(fused, carrier) == _quantization(builtin, original), role
        flags, beta = struct.unpack("<B3xf", bytes(op.customOptions))
        assert beta == pytest.approx(builtin.operators[layer.ops["softmax"]].builtinOptions.beta)
        assert flags & ~(fused_layers.MASK_FIRST | fused_layers.GATE_FIRST | fused_layers.CONV_OUT_FIRST) == 0


def builtin_names(graph):
    return [graph.op_name(op) for op in graph.operators]


def test_fused_output_overwrites_the_padded_input_and_the_plan_shrinks(stock):
    fused_bytes, planned = fused_layers.fuse_for_firmware(stock)
    fused = Graph(fused_bytes)
    offsets = offline_plan.read(fused)
    for op in fused.operators:
        if fused.op_name(op) == fused_layers.CUSTOM_CODE:
            assert offsets[op.outputs[0]] == offsets[op.inputs[0]]  # output rows are P's first rows
    chunked = min(memory_rewrite.rewrite(stock, chunks)[1] for chunks in (1, 2, 4))
    assert planned < chunked


def test_a_layer_the_kernel_cannot_run_is_refused(stock):
    graph = Graph(stock)
    layer = row_chunks.find_layers(graph)[0]
    graph.operators[layer.ops["depthwise"]].builtinOptions.strideW = 2
    with pytest.raises(row_chunks.RewriteError, match="stride-1"):
        fused_layers.fuse(graph)
    assert to_tflite._fused_graph(graph.to_bytes()) is None


def test_scratch_matches_the_kernel_layout():
    # fused_layer_fast.cc's Layout at L=256, d=128, 32 taps, by hand: four 16 x 128 blocks, 16 x 256 scores,
    # the probabilities-times-keys kernel's scratch (4 rows x 256 int16 + a 32 x 256 panel), five tables.
    assert fused_layers.kernel_scratch_bytes(256, 128, 32) == 4 * 2048 + 4096 + (2048 + 8192) + 5 * 1024


def test_model_ops_register_the_custom_operator_for_the_fast_kernels_only():
    text = c_sources.model_ops(["ADD", "SOFTMAX"], "test", ["ADD", "EMBBERT_LAYER", "PAD"])
    assert "constexpr int kModelOpCount = 4;" in text
    body = text.split("RegisterModelOps(Resolver& resolver) {")[1]
    guarded = body.split("#if defined(EMBBERT_FAST_KERNELS)")[1].split("#endif")[0]
    assert "resolver.AddEmbbertLayer()" in guarded and "AddEmbbertLayer" not in body.replace(guarded, "")
    assert all(f"resolver.{m}()" in body for m in ("AddAdd", "AddSoftmax", "AddPad"))


def test_converter_writes_the_fused_graph_beside_the_builtin_one(tiny_model_dir):
    info = json.loads((tiny_model_dir / "model_info.json").read_text())
    fused_bytes = (tiny_model_dir / to_tflite.FUSED_MODEL_FILE).read_bytes()
    assert info["fused_layers"] and info["fused_model_bytes"] == len(fused_bytes)
    source = (tiny_model_dir / "model_fused_data.cc").read_text()
    assert f"g_model_data_len = {len(fused_bytes)};" in source
    settings = (tiny_model_dir / "model_settings.h").read_text()
    assert f"constexpr int kArenaBytes = {info['arena_bytes']};" in settings
    assert info["arena_bytes"] >= info["fused_device_arena_estimate"] + to_tflite.FUSED_ARENA_MARGIN


def test_reconverting_without_the_memory_pass_removes_a_stale_fused_graph(tiny_checkpoint, tmp_path):
    (tmp_path / to_tflite.FUSED_MODEL_FILE).write_bytes(b"stale")
    (tmp_path / "model_fused_data.cc").write_text("// stale")
    argv = ["--checkpoint", str(tiny_checkpoint), "--out", str(tmp_path), "--eval-samples", "8", "--row-chunks", "off"]
    assert to_tflite.main(argv) == 0
    assert not (tmp_path / to_tflite.FUSED_MODEL_FILE).exists() and not (tmp_path / "model_fused_data.cc").exists()
