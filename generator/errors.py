"""Re-export: the error type lives in bnnforge.quant.errors so quant/ needs no generator/."""

from bnnforge.quant.errors import BnnforgeError

__all__ = ["BnnforgeError"]
