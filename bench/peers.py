"""Peers on the same data as the quantlens benchmark: numpy (vectorised, as people write it in a
notebook) and onnxruntime's native QuantizeLinear -> DequantizeLinear per axis, plus the error.

    python bench/peers.py WORKLOAD.npy REPS   -> JSON lines on stdout
"""
import json
import statistics
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

path, reps = sys.argv[1], int(sys.argv[2])
w = np.load(path)
n = w.size


def timed(name, impl, fn):
    fn()  # warm up
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    print(json.dumps({"impl": impl, "n": n, "op": name, "median_s": statistics.median(times), "reps": reps}), flush=True)


def np_qdq_error_per_channel():
    absmax = np.abs(w).max(axis=1, keepdims=True)
    scale = np.where(absmax > 0, absmax / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(w / scale), -128, 127).astype(np.int8)
    deq = q.astype(np.float32) * scale
    return float(np.square((w - deq).astype(np.float64)).sum())


def np_quantize_per_channel():
    absmax = np.abs(w).max(axis=1, keepdims=True)
    scale = (absmax / 127.0).astype(np.float32)
    return np.clip(np.rint(w / scale), -128, 127).astype(np.int8)


def np_qdq_error_per_tensor():
    scale = np.float32(np.abs(w).max() / 127.0)
    q = np.clip(np.rint(w / scale), -128, 127).astype(np.int8)
    deq = q.astype(np.float32) * scale
    return float(np.square((w - deq).astype(np.float64)).sum())


timed("range reduction, per-channel", "numpy", lambda: (w.min(axis=1), w.max(axis=1)))
timed("quantize, per-channel", "numpy", np_quantize_per_channel)
timed("quantize + dequantize + error, per-tensor", "numpy", np_qdq_error_per_tensor)
timed("quantize + dequantize + error, per-channel", "numpy", np_qdq_error_per_channel)
timed("histogram (120 bins)", "numpy", lambda: np.histogram(w, bins=120))

# onnxruntime: x -> QuantizeLinear(axis 0) -> DequantizeLinear(axis 0) -> Sub -> ReduceSumSquare.
channels = w.shape[0]
absmax = np.abs(w).max(axis=1)
scale = np.where(absmax > 0, absmax / 127.0, 1.0).astype(np.float32)
zp = np.zeros(channels, dtype=np.int8)


def session(with_error):
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "scale", "zp"], ["q"], axis=0),
        helper.make_node("DequantizeLinear", ["q", "scale", "zp"], ["dq"], axis=0),
    ]
    out = "dq"
    if with_error:
        nodes += [helper.make_node("Sub", ["x", "dq"], ["d"]), helper.make_node("ReduceSumSquare", ["d"], ["e"], keepdims=0)]
        out = "e"
    graph = helper.make_graph(
        nodes, "qdq",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(w.shape))],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)],
        [helper.make_tensor("scale", TensorProto.FLOAT, [channels], scale),
         helper.make_tensor("zp", TensorProto.INT8, [channels], zp)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"]), out


q_only = ort.InferenceSession(
    helper.make_model(
        helper.make_graph(
            [helper.make_node("QuantizeLinear", ["x", "scale", "zp"], ["q"], axis=0)], "q",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(w.shape))],
            [helper.make_tensor_value_info("q", TensorProto.INT8, list(w.shape))],
            [helper.make_tensor("scale", TensorProto.FLOAT, [channels], scale),
             helper.make_tensor("zp", TensorProto.INT8, [channels], zp)],
        ), opset_imports=[helper.make_opsetid("", 21)], ir_version=10,
    ).SerializeToString(),
    providers=["CPUExecutionProvider"],
    sess_options=(lambda o: (setattr(o, "intra_op_num_threads", 1), o)[1])(ort.SessionOptions()),
)
timed("quantize, per-channel", "onnxruntime", lambda: q_only.run(None, {"x": w}))
s, out = session(True)
timed("quantize + dequantize + error, per-channel", "onnxruntime", lambda: s.run([out], {"x": w}))
