"""Stream plumbing: fork, channel concat and channel slice."""

from __future__ import annotations

import numpy as np

from bnnforge.generator.hwops.base import HWOp, divisors


class _Plumbing(HWOp):
    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "PE": ("i", False, 1), "elem_bits": ("i", False, 16)}

    def fold_params(self) -> dict[str, list[int]]:
        return {"PE": divisors(self.channels())}

    def cycles(self) -> int:
        return self.pixels() * self.channels() // self.get_nodeattr("PE")

    def resources(self) -> dict[str, int]:
        width = self.get_nodeattr("PE") * self.get_nodeattr("elem_bits")
        return {"lut": 8 + width // 4, "ff": width, "bram18": 0, "dsp": 0}


class Duplicate(_Plumbing):
    """One stream in, the same stream on every output (a fan-out in the dataflow graph)."""

    def golden(self, x: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(x for _ in self.onnx_node.output)


class Concat(_Plumbing):
    """Channel concatenation of streams of equal spatial size (ReActNet's doubled channels)."""

    def golden(self, *xs: np.ndarray) -> np.ndarray:
        return np.concatenate(xs, axis=-1)


class ChannelSlice(_Plumbing):
    """Channels start..end of a stream or vector."""

    def get_nodeattr_types(self) -> dict:
        return {**super().get_nodeattr_types(), "start": ("i", True, 0), "end": ("i", True, 0)}

    def golden(self, x: np.ndarray) -> np.ndarray:
        return x[..., self.get_nodeattr("start") : self.get_nodeattr("end")]
