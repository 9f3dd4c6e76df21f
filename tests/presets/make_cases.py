#!/usr/bin/env python3
"""Writes tests/presets/cases.json: quantlens' own conformance cases for each framework preset.

Expected values are computed here from each framework's documented rules, in plain Python with
float32 emulated by struct round-trips (float32 + - * / computed in float64 and rounded once to
float32 equal the correctly rounded float32 result). Rules and sources:

  ort       onnxruntime quant_utils.compute_scale_zp: scale64 = (rmax - rmin) / (qmax - qmin) in float64,
            tiny -> (1, 0); QuantizeLinear: q = sat(rne(x / f32 scale) + zp) at the type range.
  pytorch   torch/ao/quantization/observer.py _calculate_qparams (float32 tensors): symmetric
            scale = amax / ((qmax - qmin) / 2), max(scale, eps = 2^-23); affine scale = (max - min) /
            (qmax - qmin), zp = qmin - rne(min / scale) clamped; quantize_val -> FBGEMM
            Quantize<LEGACY=false>: q = zp + nearbyint(x * f32(1 / scale)), clamped to the type.
  tflite    tensorflow/lite/tools/optimize/quantization_utils.cc SymmetricPerChannelQuantization:
            scale = amax / 127, inverse = 127 / amax (0 when amax = 0), q = clamp(round_away(x * inv),
            -127, 127); GetAsymmetricQuantizationParams: scale = (max - min) / (qmax - qmin) after
            widening to 0, zp = round_away(qmin - min / scale) clamped; Quantize op: round_away(x / s) + zp.
  tensorrt  pytorch-quantization tensor_quant (amax, narrow range, amax <= 2^-24 -> zero) with
            TensorRT's IQuantizeLayer q = sat(rne(x / scale)), scale = f32 amax / 127.
  ggml      ggml-quants.c quantize_row_q8_0_ref: d = amax / 127, id = d ? 1 / d : 0,
            q = roundf(x * id), stored d = fp16(d) (round to nearest even).
"""
import json
import math
import struct
from pathlib import Path


def f32(v):
    return struct.unpack('<f', struct.pack('<f', v))[0]


def f16(v):
    return struct.unpack('<e', struct.pack('<e', v))[0]


def bits(v):
    return struct.unpack('<I', struct.pack('<f', v))[0]


def rne(v):
    return int(round(v))  # Python's round() is round-half-even


def away(v):
    return int(math.floor(abs(v) + 0.5)) * (1 if v >= 0 else -1) if abs(v - math.trunc(v)) == 0.5 else int(round(v))


def clamp(v, lo, hi):
    return max(lo, min(hi, v))


ROWS = [
    [-0.8, 0.3, 0.1, 0.4],
    [0.0, 0.0, 0.0, 0.0],
    [127.0, 2.5, -2.5, 0.5],
]
ACT = [-0.2, 0.0, 0.7, 1.3]


def per_channel(rows, grid):
    scales, zps, codes = [], [], []
    for row in rows:
        r = [f32(v) for v in row]
        s, z, q = grid(r)
        scales.append(s)
        zps.append(z)
        codes.extend(q)
    return scales, zps, codes


def ort_sym(r):
    lo, hi = min(min(r), 0.0), max(max(r), 0.0)
    a = max(-lo, hi)
    s64 = 2 * a / 254
    if s64 < 1.1754943508222875e-38:
        return 1.0, 0, [clamp(rne(f32(x / 1.0)), -128, 127) for x in r]
    s = f32(s64)
    return s, 0, [clamp(rne(f32(x / s)), -128, 127) for x in r]


def pytorch_sym(r):
    lo, hi = min(min(r), 0.0), max(max(r), 0.0)
    a = f32(max(-lo, hi))
    s = max(f32(a / 127.5), f32(2.0 ** -23))
    inv = f32(1.0 / s)
    return s, 0, [clamp(rne(f32(x * inv)), -128, 127) for x in r]


def tflite_sym(r):
    a = f32(max(abs(min(r)), abs(max(r))))
    s = f32(a / 127.0)
    inv = 0.0 if a == 0 else f32(127.0 / a)
    return s, 0, [clamp(away(f32(x * inv)), -127, 127) for x in r]


def tensorrt_sym(r):
    a = f32(max(abs(min(r)), abs(max(r))))
    if a <= 2.0 ** -24:
        return 1.0, 0, [clamp(rne(x), -128, 127) for x in r]
    s = f32(a / 127.0)
    return s, 0, [clamp(rne(f32(x / s)), -128, 127) for x in r]


def ort_uint8(r):
    lo, hi = min(min(r), 0.0), max(max(r), 0.0)
    s64 = (hi - lo) / 255
    zp = clamp(rne(0 - lo / s64), 0, 255)
    s = f32(s64)
    return s, zp, [clamp(rne(f32(x / s)) + zp, 0, 255) for x in r]


def pytorch_quint8(r):
    lo, hi = f32(min(min(r), 0.0)), f32(max(max(r), 0.0))
    s = max(f32(f32(hi - lo) / 255.0), f32(2.0 ** -23))
    zp = clamp(0 - rne(f32(lo / s)), 0, 255)
    inv = f32(1.0 / s)
    return s, zp, [clamp(rne(f32(x * inv)) + zp, 0, 255) for x in r]


def tflite_act(r):
    lo, hi = f32(min(min(r), 0.0)), f32(max(max(r), 0.0))
    s = f32(f32(hi - lo) / 255.0)
    zfm = f32(-128.0 - f32(lo / s))
    zp = -128 if zfm < -128 else 127 if zfm > 127 else away(zfm)
    return s, zp, [clamp(away(f32(x / s)) + zp, -128, 127) for x in r]


def ggml_row(row, block=32):
    scales, codes = [], []
    for i in range(0, len(row), block):
        b = [f32(v) for v in row[i:i + block]]
        amax = max(abs(v) for v in b)
        d = f32(amax / 127.0)
        idv = f32(1.0 / d) if d != 0 else 0.0
        codes.extend(clamp(away(f32(x * idv)), -127, 127) for x in b)
        scales.append(f16(d))
    return scales, codes


def case(preset, source, shape, data, granularity, scales, zps, codes, note):
    return {
        'preset': preset, 'source': source, 'shape': shape, 'input': data,
        'granularity': granularity, 'expected_scale_bits': [bits(s) for s in scales],
        'expected_scale': scales, 'expected_zero_point': zps, 'expected_codes': codes, 'note': note,
    }


cases = []
flat = [f32(v) for row in ROWS for v in row]
for preset, grid, src, note in [
    ('ort-int8', ort_sym, 'onnxruntime quant_utils.py compute_scale_zp; ONNX QuantizeLinear',
     'float64 scale rounded to float32; zero row -> scale 1; 2.5 -> 2 and -2.5 -> -2 (ties to even)'),
    ('pytorch-qint8', pytorch_sym, 'torch/ao/quantization/observer.py _calculate_qparams; FBGEMM QuantUtils.h Quantize',
     'amax / 127.5; zero row -> eps 2^-23; 127 * f32(1/s) = 127.5 -> 128 saturates to 127; 0.5 -> 1'),
    ('tflite-int8', tflite_sym, 'tensorflow/lite/tools/optimize/quantization_utils.cc SymmetricPerChannelQuantization',
     'x * (127 / amax) rounded away from zero: 2.5 -> 3, -2.5 -> -3, 0.5 -> 1; zero row -> scale 0, codes 0'),
    ('tensorrt', tensorrt_sym, 'NVIDIA pytorch-quantization tensor_quant.py; TensorRT IQuantizeLayer',
     'float32 amax / 127; zero amax -> scale 1; ties to even'),
]:
    s, z, q = per_channel(ROWS, grid)
    cases.append(case(preset, src, [3, 4], flat, 'channel', s, z, q, note))

act = [f32(v) for v in ACT]
for preset, grid, src, note in [
    ('ort-uint8', ort_uint8, 'onnxruntime quant_utils.py compute_scale_zp (asymmetric)', 'zp = rne(-min / scale64) with the float64 scale'),
    ('pytorch-quint8', pytorch_quint8, 'torch/ao/quantization/observer.py _calculate_qparams (affine)', 'float32 (max - min) / 255, zp = -rne(min / scale)'),
    ('tflite-act', tflite_act, 'tensorflow/lite/tools/optimize/quantization_utils.cc GetAsymmetricQuantizationParams; reference_ops AffineQuantize',
     'int8 [-128, 127]; zero point and codes round ties away from zero'),
]:
    s, z, q = grid(act)
    cases.append(case(preset, src, [4], act, 'tensor', [s], [z], q, note))

# ggml Q8_0: two rows of 64 = four blocks of 32; a tie (x * id = 0.5 exactly) in row 0.
rows = []
for r in range(2):
    row = [f32(math.sin(0.37 * k + r) * (0.05 if k < 32 else 3.0)) for k in range(64)]
    rows.append(row)
rows[0][5] = f32(0.5 * f32(f32(max(abs(v) for v in rows[0][:32])) / 127.0))  # lands near a tie
scales, codes = [], []
for row in rows:
    s, q = ggml_row(row)
    scales.extend(s)
    codes.extend(q)
cases.append(case('ggml-q8_0', 'ggml-org/llama.cpp ggml/src/ggml-quants.c quantize_row_q8_0_ref', [2, 64],
                  [v for row in rows for v in row], 'group', scales, [0] * len(scales), codes,
                  'blocks of 32 along each row; stored scale = fp16(amax / 127); codes round ties away from zero'))

out = Path(__file__).with_name('cases.json')
out.write_text(json.dumps({'format': 'quantlens-preset-cases/1', 'cases': cases}, indent=1) + '\n')
print(f'wrote {len(cases)} cases to {out}')
