"""Cut a dataflow graph: the ops between some tensors as a graph of their own (one block of a
network, to stitch and simulate it alone)."""

from __future__ import annotations

from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper

from bnnforge.generator.passes.streams import stream_inputs
from bnnforge.quant.errors import BnnforgeError


def subgraph(model: ModelWrapper, inputs: list[str], outputs: list[str]) -> ModelWrapper:
    """The ops between tensors `inputs` and `outputs` as a graph of its own (e.g. one block
    of a network, to stitch and simulate it alone)."""
    producers = {t: n for n in model.graph.node for t in n.output}
    keep, todo = set(), list(outputs)
    while todo:
        t = todo.pop()
        if t in inputs or t not in producers or producers[t].name in keep:
            continue
        node = producers[t]
        keep.add(node.name)
        todo.extend(stream_inputs(model, node))
    nodes = [n for n in model.graph.node if n.name in keep]
    reached = {t for n in nodes for t in n.input} | set(outputs)
    for t in inputs:
        if t not in reached:
            raise BnnforgeError(f"subgraph input {t} does not feed the ops producing {', '.join(outputs)}")
    inits = [model.get_initializer(t) for n in nodes for t in n.input if model.get_initializer(t) is not None]
    init_names = [t for n in nodes for t in n.input if model.get_initializer(t) is not None]

    def vi(t: str):  # noqa: ANN202
        return helper.make_tensor_value_info(t, 1, model.get_tensor_shape(t))

    graph = helper.make_graph(nodes, "subgraph", [vi(t) for t in inputs], [vi(t) for t in outputs])
    sub = ModelWrapper(helper.make_model(graph))
    for name, value in zip(init_names, inits):
        sub.set_initializer(name, value)
    for n in nodes:
        for t in n.output:
            if t not in outputs:
                sub.set_tensor_shape(t, model.get_tensor_shape(t))
    for t in [*inputs, *outputs, *(t for n in nodes for t in n.output)]:
        dt = model.get_tensor_datatype(t)
        sub.set_tensor_datatype(t, dt)
    return sub
