"""The network as an hls4ml project whose custom layers are bnnforge's own HLS templates.

Route: bnnforge's lowered, folded dataflow graph (width converters and FIFO depths
included) is mapped layer by layer onto an hls4ml ModelGraph built from a layer list
(ModelGraph.from_layer_list), io_stream:

- hls4ml's own `Input` layer is the graph input; every hardware op is an extension layer
  `Bnf<OpType>` (hls4ml.model.layers.register_layer) whose C++ is its hw/hls/bnf_*.h
  template (backend.register_source) called with the config struct the op's hls() returns
  (backend.register_template); BnfStreamIn / BnfStreamOut convert between hls4ml's
  nnet::array stream words and bnnforge's folded words at the two ends (bnf_nnet_io.h);
- so compile()/predict() run exactly the words of bnnforge's HLS project (DIR/hls) and RTL,
  bit for bit with the golden model.

Modules: layers (hls4ml layer classes and variables), templates (C++ templates and
sources registered with the backend), mapping (graph -> layer list), convert (the public
entry point), project (the hls4ml project inside a `bnnforge build` DIR).
"""

from bnnforge.generator.hls4ml_export.convert import convert

__all__ = ["convert"]
