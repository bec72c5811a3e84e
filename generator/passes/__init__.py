"""Graph-level steps on the dataflow graph of hardware ops, as qonnx Transformations whose
results are stored on the graph (node attributes and inserted nodes), so every consumer
(estimate, RTL and HLS emitters, reports) reads the same folding, converters and FIFOs:

    ApplyFolding / AutoFolding -> InsertWidthConverters -> SizeFIFOs

`prepare_interconnect` runs the last two.
"""

from bnnforge.generator.passes.fifos import SizeFIFOs, schedule
from bnnforge.generator.passes.folding import ApplyFolding, AutoFolding
from bnnforge.generator.passes.streams import Edge, edges, op_params, stream_inputs
from bnnforge.generator.passes.width_converters import InsertWidthConverters, prepare_interconnect

__all__ = ["ApplyFolding", "AutoFolding", "Edge", "InsertWidthConverters", "SizeFIFOs", "edges", "op_params",
           "prepare_interconnect", "schedule", "stream_inputs"]
