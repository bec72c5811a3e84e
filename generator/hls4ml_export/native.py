"""hls4ml's own binary layers, where they are bit-exact with bnnforge's semantics, and the
workaround for hls4ml 1.3.0's QuantizeDenseOutput defect.

A sign with per-channel integer thresholds (x >= t -> +1) followed by a binary dense layer
is, in hls4ml, BatchNormalization + Activation('binary_tanh') + Dense with a
BinaryQuantizer: the Vivado backend merges the first two into
BatchNormalizationQuantizedTanh (x >= -bias/scale -> 1), and its binary Dense computes
the bipolar dot product 2*popcount(xnor(x, w)) - N, bnnforge's own definition.

The defect: Dense.initialize() already applies the weight quantizer, and the
vivado:quantize_dense_output pass applies it a second time. With BinaryQuantizer(bits=1)
(weights to {0, 1}, x >= 0 -> 1) the second pass maps every weight to 1. The workaround
here: hand hls4ml the weights bipolar (-1/+1) with BinaryQuantizer(bits=2), which the
first application leaves as they are; the pass then switches the quantizer to one bit and
quantizes once, correctly. tests/test_hls4ml.py fails without it.

bnnforge's zoo networks do not need these layers (every hardware op maps to an extension
layer whose C++ is its own template); they are for hls4ml layers a user mixes in, e.g. a
binary classifier on a per-frame vector.
"""

from __future__ import annotations

import numpy as np
from hls4ml.model.quantizers import BinaryQuantizer


def sign_layers(name: str, input_name: str, thresholds: np.ndarray) -> list[dict]:
    """hls4ml layer dicts of a per-channel sign x >= thresholds -> bit 1 (+1), else 0 (-1).
    Integer thresholds are exact: hls4ml floors -bias/scale to the input's fraction."""
    t = np.asarray(thresholds, dtype=np.float64)
    n = t.size
    return [
        {"class_name": "BatchNormalization", "name": f"{name}_bn", "inputs": [input_name], "n_in": n, "n_filt": -1,
         "scale_data": np.ones(n), "bias_data": -t},
        {"class_name": "Activation", "name": name, "inputs": [f"{name}_bn"], "activation": "binary_tanh", "n_in": n},
    ]


def binary_dense_layer(name: str, input_name: str, weight_bits: np.ndarray) -> dict:
    """hls4ml layer dict of a binary dense layer: weight_bits [n_in, n_out] in bnnforge's bit
    form (1 = +1, 0 = -1); output the dot product 2*popcount(xnor) - n_in per output."""
    bits = np.asarray(weight_bits, dtype=np.int64)
    if bits.ndim != 2 or not np.isin(bits, (0, 1)).all():
        raise ValueError("binary_dense_layer: weight_bits must be a 2-D array of 0/1")
    n_in, n_out = bits.shape
    # the workaround (module docstring): bipolar weights and a 2-bit binary quantizer, so that
    # hls4ml quantizes them once and not twice
    return {"class_name": "Dense", "name": name, "inputs": [input_name], "n_in": n_in, "n_out": n_out,
            "weight_data": (2.0 * bits - 1.0), "bias_data": np.zeros(n_out), "weight_quantizer": BinaryQuantizer(bits=2)}
