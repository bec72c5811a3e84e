"""bnnforge.generator: export, dataflow graph, hardware ops, emitters, reports, CLI.

Importing it maps the ONNX domain `bnnforge` to `bnnforge.generator.custom_ops`, so that
qonnx/FINN `execute_onnx` runs graphs containing bnnforge nodes.
"""

try:  # keep `bnnforge doctor` usable when qonnx itself is broken or missing
    from qonnx.custom_op.registry import add_domain_alias as _add_domain_alias
except ImportError:  # pragma: no cover - reported by `bnnforge doctor`
    pass
else:
    _add_domain_alias("bnnforge", "bnnforge.generator.custom_ops")

# bnnforge's hardware ops as FINN HW layers: registered in FINN's custom_op dicts as soon as
# FINN's HW-layer package is imported (FINN itself is not imported here: it takes seconds)
from bnnforge.generator.finn_hw.registry import install_hook as _install_finn_hook  # noqa: E402

_install_finn_hook()
