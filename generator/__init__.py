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
