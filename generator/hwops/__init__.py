"""bnnforge hardware ops: one class per op, registered as the qonnx domain of this module.

Every op owns its integer semantics (the golden model), its folding parameters and its
cost model; see base.py for the tensor conventions.
"""

from bnnforge.generator.hwops.activations import FPReLU, RPReLU
from bnnforge.generator.hwops.add import EmbeddingAdd, Requantize, ResidualAdd
from bnnforge.generator.hwops.affine import FixedAffine
from bnnforge.generator.hwops.base import DOMAIN, HWOp
from bnnforge.generator.hwops.circular_shift import LongShortShift
from bnnforge.generator.hwops.int_mvau import IntMVAU
from bnnforge.generator.hwops.mvau import BinaryMVAU
from bnnforge.generator.hwops.pool import AvgPool
from bnnforge.generator.hwops.sliding_window import SlidingWindow
from bnnforge.generator.hwops.streams import ChannelSlice, Concat, Duplicate
from bnnforge.generator.hwops.threshold import DynamicSign, Thresholding
from bnnforge.generator.hwops.width_converter import WidthConverter

custom_op: dict[str, type[HWOp]] = {
    cls.__name__: cls
    for cls in (SlidingWindow, BinaryMVAU, IntMVAU, Thresholding, DynamicSign, FixedAffine, RPReLU, FPReLU,
                ResidualAdd, EmbeddingAdd, Requantize, AvgPool, LongShortShift, Duplicate, Concat, ChannelSlice,
                WidthConverter)
}

__all__ = ["DOMAIN", "HWOp", "custom_op", *custom_op]
