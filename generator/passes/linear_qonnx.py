"""Linear-time stand-ins for qonnx's generic graph passes, same results byte for byte.

qonnx looks every tensor up by scanning the graph: `get_tensor_shape`, `get_initializer`,
`get_tensor_datatype`, `find_producer` and `rename_tensor` each walk a protobuf list, and
its passes call them once or more per node. Several passes also change one node per
`apply` and then re-infer every shape with a deep copy and a cleanup. On the full-size zoo
models (BCDNet-B: 856 nodes, 2071 tensors, 1216 initializers, 111 MB of weights) that is
quadratic: FINN's ConvertQONNXtoFINN alone took over 15 minutes.

Inside `linear_qonnx()` the hot passes run in linear time and leave the graph exactly as
qonnx and FINN would, node order, names, value infos and annotations included
(tests/test_fullsize_build.py compares serialized graphs with `reference_qonnx()`):

- the cleanup qonnx runs after every transform (RemoveUnusedTensors, RemoveStaticGraphInputs,
  SortGraph, SortCommutativeInputsInitializerLast, GiveUniqueParameterTensors), the shape
  check of every ModelWrapper and GiveUniqueTensorNames / GiveReadableTensorNames are
  rewritten with dictionaries, reproducing qonnx's order of operations (including how its
  loops skip an element after removing one);
- InferDataTypes, InferDataLayouts, FoldConstants, InferShapes, FINN's FoldQuantWeights and
  ConvertQuantActToMultiThreshold run unchanged on an `IndexedModel`: the same proto behind
  dictionary lookups, of only what each pass changes through the ModelWrapper's setters
  (which keep the index current) or not at all;
- FoldQuantWeights and RemoveIdentityOps change one node per `apply` and re-infer all shapes
  after each (with a deep copy and a cleanup); here each change gets only the (linear)
  cleanup, which also gives the node order, and shapes are inferred once when the pass is
  done; FoldQuantWeights' execution context is filled with the few tensors it reads instead
  of all of them;
- execution (qonnx's execute_onnx) checks each node's integer outputs with numpy's max
  instead of Python's max over every element.

The patches are installed on qonnx's and FINN's classes for the duration of the context
only (re-entrant); nothing outside it changes. They rely on what these passes of the pinned
qonnx 1.0.0 / finn-plus 1.6.1 change directly; the byte-for-byte test guards an upgrade.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import onnx
from onnx import helper as oh
from onnx import numpy_helper as np_helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper

_MULTIPLE = "Found multiple get_by_name matches, undefined behavior"


# ---- an index over the proto behind a ModelWrapper ----------------------------------------

def _positions(container, field: str = "name") -> dict[str, list[int]]:  # noqa: ANN001
    index: dict[str, list[int]] = {}
    for i, item in enumerate(container):
        index.setdefault(getattr(item, field), []).append(i)
    return index


def _one(index: dict[str, list[int]], name: str) -> int | None:
    """get_by_name's answer as a position: None, the one match, or its error on several."""
    found = index.get(name)
    if not found:
        return None
    if len(found) > 1:
        raise Exception(_MULTIPLE)
    return found[0]


class IndexedModel(ModelWrapper):
    """The same proto as a ModelWrapper, with tensor lookups through dictionaries.

    Lookups of the kinds in `kinds` ("init": initializers; "vi": value infos of inputs,
    outputs and intermediates; "qa": quantization annotations, i.e. datatypes and layouts)
    use an index built on first use; the ModelWrapper setters of those kinds keep it
    current, a rename or a deletion drops it. Valid for passes that change those containers
    only through ModelWrapper methods (they may rewire nodes freely: nodes are not indexed,
    unless "nodes" is asked for: producers, consumers and node names, for code that does not
    change nodes at all, e.g. execution, lowering, estimates).
    """

    def __init__(self, model: ModelWrapper, kinds: tuple[str, ...] = ("init", "vi", "qa")) -> None:  # noqa: D107
        self.__dict__.update(model.__dict__)
        self._kinds = frozenset(() if _STATE["reference"] else kinds)
        self._idx: dict[str, Any] = {}

    def plain(self) -> ModelWrapper:
        """A plain ModelWrapper on the same proto."""
        model = ModelWrapper.__new__(ModelWrapper)
        model.__dict__.update({k: v for k, v in self.__dict__.items() if k not in self._OWN})
        return model

    _OWN = ("_kinds", "_idx", "make_empty_exec_context")

    def _index(self, kind: str) -> Any:  # noqa: ANN401
        if kind not in self._idx:
            g = self._model_proto.graph
            if kind == "init":
                self._idx[kind] = _positions(g.initializer)
            elif kind == "vi":
                self._idx[kind] = (_positions(g.input), _positions(g.output), _positions(g.value_info))
            else:
                self._idx[kind] = _positions(g.quantization_annotation, "tensor_name")
        return self._idx[kind]

    def forget(self, kind: str) -> None:
        """Stop indexing `kind` (before code that changes it directly)."""
        self._kinds = self._kinds - {kind}
        self._drop(kind)

    def _drop(self, *kinds: str) -> None:
        for k in kinds or ("init", "vi", "qa", "nodes"):
            self._idx.pop(k, None)

    # -- initializers
    def get_initializer(self, tensor_name: str, return_dtype: bool = False):  # noqa: ANN201
        if "init" not in self._kinds:
            return super().get_initializer(tensor_name, return_dtype)
        found = self._index("init").get(tensor_name)
        if not found:
            return (None, None) if return_dtype else None
        init = self._model_proto.graph.initializer[found[0]]
        value = np_helper.to_array(init)
        return (value, init.data_type) if return_dtype else value

    def has_initializer(self, tensor_name: str) -> bool:
        """get_initializer(tensor_name) is not None, without converting the tensor."""
        if "init" not in self._kinds:
            return any(t.name == tensor_name for t in self._model_proto.graph.initializer)
        return bool(self._index("init").get(tensor_name))

    def set_initializer(self, tensor_name: str, tensor_value) -> None:  # noqa: ANN001
        if "init" not in self._kinds:
            super().set_initializer(tensor_name, tensor_value)
            self._drop("vi")
            return
        graph = self._model_proto.graph
        proto = np_helper.from_array(tensor_value)
        proto.name = tensor_name
        found = self._index("init").get(tensor_name)
        if found:  # qonnx removes the first initializer of that name
            del graph.initializer[found[0]]
            self._drop("init")
        graph.initializer.append(proto)
        if "init" in self._idx:
            self._idx["init"].setdefault(tensor_name, []).append(len(graph.initializer) - 1)
        self.set_tensor_shape(tensor_name, list(tensor_value.shape), proto.data_type)

    def del_initializer(self, initializer_name: str) -> None:
        super().del_initializer(initializer_name)
        self._drop("init")

    # -- value infos and shapes
    def get_tensor_valueinfo(self, tensor_name: str):  # noqa: ANN201
        if "vi" not in self._kinds:
            return super().get_tensor_valueinfo(tensor_name)
        g = self._model_proto.graph
        hits = [(c, i) for c, idx in zip((g.input, g.output, g.value_info), self._index("vi"))
                for i in idx.get(tensor_name, ())]
        assert len(hits) <= 1, "Multiple ValueInfoProto found for " + tensor_name
        return hits[0][0][hits[0][1]] if hits else None

    def get_tensor_shape(self, tensor_name: str, fix_missing_init_shape: bool = False):  # noqa: ANN201
        if "vi" not in self._kinds:
            return super().get_tensor_shape(tensor_name, fix_missing_init_shape)
        vi = self.get_tensor_valueinfo(tensor_name)
        if vi is not None:
            return [x.dim_value for x in vi.type.tensor_type.shape.dim]
        tensor_init, tensor_init_dtype = self.get_initializer(tensor_name, return_dtype=True)
        if tensor_init is None:
            return None
        if fix_missing_init_shape:
            self.set_tensor_shape(tensor_name, tensor_init.shape, dtype=tensor_init_dtype)
        return list(tensor_init.shape)

    def set_tensor_shape(self, tensor_name: str, tensor_shape, dtype: int | None = None) -> None:  # noqa: ANN001
        if "vi" not in self._kinds:
            super().set_tensor_shape(tensor_name, tensor_shape, dtype)
            return
        old_vi = self.get_tensor_valueinfo(tensor_name)
        if dtype is None:
            dtype = onnx.TensorProto.FLOAT if old_vi is None else old_vi.type.tensor_type.elem_type
        new_vi = oh.make_tensor_value_info(tensor_name, dtype, tensor_shape)
        g = self._model_proto.graph
        inputs, outputs, values = self._index("vi")
        target, index, at = g.value_info, values, None
        if _one(inputs, tensor_name) is not None:
            target, index, at = g.input, inputs, inputs[tensor_name][0]
        if _one(outputs, tensor_name) is not None:
            target, index, at = g.output, outputs, outputs[tensor_name][0]
        old = _one(index, tensor_name)
        if old is not None:
            del target[old]
        if target is g.value_info:
            target.append(new_vi)
            if old is None:
                index.setdefault(tensor_name, []).append(len(target) - 1)
            else:
                self._drop("vi")
        else:
            target.insert(at, new_vi)

    # -- datatypes and layouts (quantization annotations)
    def _annotation(self, tensor_name: str):  # noqa: ANN202
        at = _one(self._index("qa"), tensor_name)
        return None if at is None else self._model_proto.graph.quantization_annotation[at]

    def _annotated(self, tensor_name: str, key: str) -> str | None:
        """The value of one key of the tensor's annotation (None: no annotation or no key)."""
        from qonnx.util.basic import get_by_name

        qa = self._annotation(tensor_name)
        entry = None if qa is None else get_by_name(qa.quant_parameter_tensor_names, key, "key")
        return None if entry is None else entry.value

    def _annotate(self, tensor_name: str, key: str, value: str | None) -> None:
        """qonnx's set_tensor_datatype / set_tensor_layout: one key of the tensor's annotation."""
        from qonnx.util.basic import get_by_name

        qa = self._annotation(tensor_name)
        if qa is not None:
            entry = get_by_name(qa.quant_parameter_tensor_names, key, "key")
            if entry is not None:
                if value is None:
                    entry.Clear()
                else:
                    entry.value = value
            elif value is not None:
                e = onnx.StringStringEntryProto()
                e.key, e.value = key, value
                qa.quant_parameter_tensor_names.append(e)
        elif value is not None:
            qa = onnx.TensorAnnotation()
            e = onnx.StringStringEntryProto()
            e.key, e.value = key, value
            qa.tensor_name = tensor_name
            qa.quant_parameter_tensor_names.append(e)
            annotations = self._model_proto.graph.quantization_annotation
            annotations.append(qa)
            self._index("qa").setdefault(tensor_name, []).append(len(annotations) - 1)

    def get_tensor_datatype(self, tensor_name: str):  # noqa: ANN201
        if "qa" not in self._kinds:
            return super().get_tensor_datatype(tensor_name)
        dtype = self._annotated(tensor_name, "finn_datatype")
        if dtype is not None:
            return DataType[dtype]
        vi = self.get_tensor_valueinfo(tensor_name)
        if vi is None:
            _, onnx_dtype = self.get_initializer(tensor_name, return_dtype=True)
        else:
            onnx_dtype = vi.type.tensor_type.elem_type
        return DataType[{onnx.TensorProto.FLOAT: "FLOAT32", onnx.TensorProto.FLOAT16: "FLOAT16"}.get(onnx_dtype,
                                                                                                   "FLOAT32")]

    def set_tensor_datatype(self, tensor_name: str, datatype) -> None:  # noqa: ANN001
        if "qa" not in self._kinds:
            super().set_tensor_datatype(tensor_name, datatype)
            return
        self._annotate(tensor_name, "finn_datatype", None if datatype is None else datatype.name)

    def get_tensor_layout(self, tensor_name: str):  # noqa: ANN201
        if "qa" not in self._kinds:
            return super().get_tensor_layout(tensor_name)
        layout = self._annotated(tensor_name, "tensor_layout")
        # qonnx stores layouts as a list literal
        return None if layout is None else eval(layout)  # noqa: S307

    def set_tensor_layout(self, tensor_name: str, data_layout) -> None:  # noqa: ANN001
        if "qa" not in self._kinds:
            super().set_tensor_layout(tensor_name, data_layout)
            return
        assert type(data_layout) is list, "data_layout must be a list"
        self._annotate(tensor_name, "tensor_layout", str(data_layout))

    # -- nodes (read-only users only)
    def _nodes(self) -> tuple[dict, dict, dict]:
        if "nodes" not in self._idx:
            producer: dict[str, Any] = {}
            consumers: dict[str, list] = {}
            named: dict[str, Any] = {}
            for n in self._model_proto.graph.node:
                for o in n.output:
                    producer.setdefault(o, n)
                for i in n.input:
                    consumers.setdefault(i, []).append(n)
                named.setdefault(n.name, n)
            self._idx["nodes"] = (producer, consumers, named)
        return self._idx["nodes"]

    def find_producer(self, tensor_name: str):  # noqa: ANN201
        if "nodes" not in self._kinds:
            return super().find_producer(tensor_name)
        return self._nodes()[0].get(tensor_name)

    def find_consumers(self, tensor_name: str) -> list:
        if "nodes" not in self._kinds:
            return super().find_consumers(tensor_name)
        return list(self._nodes()[1].get(tensor_name, ()))

    def get_node_from_name(self, node_name: str):  # noqa: ANN201
        if "nodes" not in self._kinds:
            return super().get_node_from_name(node_name)
        return self._nodes()[2].get(node_name)

    # -- anything else that renames, removes or annotates: forget the index
    def rename_tensor(self, old_name: str, new_name: str) -> None:
        super().rename_tensor(old_name, new_name)
        self._drop()

    def set_tensor_sparsity(self, tensor_name: str, sparsity_dict) -> None:  # noqa: ANN001
        super().set_tensor_sparsity(tensor_name, sparsity_dict)
        self._drop("qa")


ALL_KINDS = ("init", "vi", "qa", "nodes")


def read_only(model: ModelWrapper) -> IndexedModel:
    """`model` with every lookup indexed, for code that reads the graph and changes at most
    node attributes (schedules, estimates, execution)."""
    if isinstance(model, IndexedModel) and model._kinds == frozenset(() if _STATE["reference"] else ALL_KINDS):
        return model
    return IndexedModel(model, ALL_KINDS)


def _on_index(apply, kinds: tuple[str, ...] = ("init", "vi", "qa")):  # noqa: ANN001, ANN202
    """A pass's apply run on an IndexedModel; hands back a plain ModelWrapper."""
    def indexed(self, model: ModelWrapper):  # noqa: ANN001, ANN202
        model, changed = apply(self, IndexedModel(model, kinds))
        return (model.plain() if isinstance(model, IndexedModel) else model), changed
    return indexed


# ---- cleanup, node order and the shape check ----------------------------------------------

def _sorted_order(deps: dict[int, set[int]]) -> list[int]:
    """toposort_flatten(deps) (the toposort package, sort=True) in linear time: items by
    (level, index), level 0 without dependencies, else one more than the deepest dependency."""
    from toposort import CircularDependencyError

    deps = {k: {d for d in v if d != k} for k, v in deps.items()}
    for v in list(deps.values()):
        for d in v:
            deps.setdefault(d, set())
    level: dict[int, int] = {}
    for root in deps:
        if root in level:
            continue
        stack, on_path = [root], {root}
        while stack:
            item = stack[-1]
            todo = [d for d in deps[item] if d not in level]
            if todo:
                for d in todo:
                    if d in on_path:
                        raise CircularDependencyError({k: v for k, v in deps.items() if k not in level})
                stack.append(todo[0])
                on_path.add(todo[0])
                continue
            level[item] = 1 + max((level[d] for d in deps[item]), default=-1)
            stack.pop()
            on_path.discard(item)
    return sorted(deps, key=lambda i: (level[i], i))


def sort_graph(model: ModelWrapper) -> ModelWrapper:
    """qonnx's SortGraph: the same node order (and the same dropping of nodes that nothing
    reaches), with a producer dictionary instead of a scan per input."""
    nodes = list(model.graph.node)
    if len(nodes) <= 1:
        return model
    producer: dict[str, int] = {}
    for i, n in enumerate(nodes):
        for o in n.output:
            producer.setdefault(o, i)
    sources = {t.name for t in model.graph.initializer} | {t.name for t in model.graph.input}
    deps: dict[int, set[int]] = {}
    for i, n in enumerate(nodes):
        preds = [producer[t] for t in n.input if t in producer]
        if preds:
            deps[i] = set(preds)
        elif any(t in sources for t in n.input):
            deps[i] = set()
    order = _sorted_order(deps)
    del model.graph.node[:]
    model.graph.node.extend(nodes[i] for i in order)
    return model


def _remove_unused_tensors(self, model: ModelWrapper):  # noqa: ANN001, ANN202
    used = {t for n in model.graph.node for t in (*n.input, *n.output)}
    g = model.graph
    changed = False
    for container, field in ((g.initializer, "name"), (g.value_info, "name"),
                             (g.quantization_annotation, "tensor_name")):
        drop = [i for i, item in enumerate(container) if getattr(item, field) not in used]
        for i in reversed(drop):
            del container[i]
        changed |= bool(drop)
    # qonnx's loop skips an element after each removal and runs again; one pass here removes
    # them all, so a second would change nothing
    return model, False


def _remove_static_graph_inputs(self, model: ModelWrapper):  # noqa: ANN001, ANN202
    # qonnx removes while iterating, which skips the input after each one it moves (the
    # transform loop then runs it again): the order in which they reach value_info follows that
    inits = {t.name for t in model.graph.initializer}
    inputs, changed, i = model.graph.input, False, 0
    while i < len(inputs):
        if inputs[i].name in inits:
            model.graph.value_info.append(inputs[i])
            del inputs[i]
            changed = True
        i += 1
    return model, changed


def _sort_commutative_inputs(self, model: ModelWrapper):  # noqa: ANN001, ANN202
    inits = {t.name for t in model.graph.initializer}
    changed = False
    for node in model.graph.node:
        if node.op_type in self.SUPPORTED_COMMUTATIVE_OPS:
            dynamics = [i for i in node.input if i not in inits]
            order = dynamics + [i for i in node.input if i not in dynamics]
            for i, name in enumerate(order):
                changed |= node.input[i] != name
                node.input[i] = name
    return model, changed


def _give_unique_parameter_tensors(self, model: ModelWrapper):  # noqa: ANN001, ANN202
    # a shared parameter gets a copy through the model's setters (hundreds in a fresh export)
    model = IndexedModel(model, ("init", "vi", "qa"))
    inits = {t.name for t in model.graph.initializer}
    seen: set[str] = set()
    for n in model.graph.node:
        for idx, name in enumerate(list(n.input)):
            if name not in inits:
                continue
            if name not in seen:
                seen.add(name)
                continue
            new = model.make_new_valueinfo_name()
            model.set_initializer(new, model.get_initializer(name))
            model.set_tensor_datatype(new, model.get_tensor_datatype(name))
            inits.add(new)
            n.input[idx] = new
    return model.plain(), False


def _check_all_tensor_shapes_specified(self: ModelWrapper, fix_missing_init_shape: bool = False) -> bool:
    g = self._model_proto.graph
    count: dict[str, int] = {}
    for vi in (*g.input, *g.output, *g.value_info):
        count[vi.name] = count.get(vi.name, 0) + 1
    inits: dict[str, onnx.TensorProto] = {}
    for t in g.initializer:
        inits.setdefault(t.name, t)
    ret = True
    for n in g.node:
        for name in [*(i for i in n.input if i != ""), *n.output]:
            c = count.get(name, 0)
            assert c <= 1, "Multiple ValueInfoProto found for " + name
            if c:
                continue
            init = inits.get(name)
            if init is None:
                ret = False
            elif fix_missing_init_shape:  # what set_tensor_shape does for a tensor without value info
                g.value_info.append(oh.make_tensor_value_info(name, init.data_type, list(init.dims)))
                count[name] = 1
    return ret


# ---- tensor names ---------------------------------------------------------------------------

class _Names:
    """The tensor names of a graph, renamed with qonnx's rename_tensor semantics (the first
    input, output, value info, initializer and annotation of that name, the first use in
    each node's inputs and in its outputs), and written back to the proto at the end."""

    CONTAINERS = (("input", "name"), ("output", "name"), ("value_info", "name"), ("initializer", "name"),
                  ("quantization_annotation", "tensor_name"))

    def __init__(self, model: ModelWrapper) -> None:
        g = self.graph = model.graph
        self.lists = {c: [getattr(x, f) for x in getattr(g, c)] for c, f in self.CONTAINERS}
        self.where = {c: self._index(names) for c, names in self.lists.items()}
        self.ios = [(list(n.input), list(n.output)) for n in g.node]
        self.uses: list[dict[str, dict[int, list[int]]]] = [{}, {}]  # inputs, outputs: name -> node -> slots
        for k, (ins, outs) in enumerate(self.ios):
            for side, names in enumerate((ins, outs)):
                for p, t in enumerate(names):
                    self.uses[side].setdefault(t, {}).setdefault(k, []).append(p)

    @staticmethod
    def _index(names: list[str]) -> dict[str, list[int]]:
        index: dict[str, list[int]] = {}
        for i, t in enumerate(names):
            index.setdefault(t, []).append(i)
        return index

    def is_initializer(self, name: str) -> bool:
        return bool(self.where["initializer"].get(name))

    def all_tensor_names(self) -> list[str]:
        return self.lists["value_info"] + self.lists["input"] + self.lists["output"]

    def rename(self, old: str, new: str) -> None:
        if old == new:
            return
        for c, _ in self.CONTAINERS:
            at = _one(self.where[c], old)
            if at is not None:
                self.lists[c][at] = new
                self.where[c][old].remove(at)
                self.where[c].setdefault(new, []).append(at)
                self.where[c][new].sort()
        for side in (0, 1):
            nodes = self.uses[side].pop(old, {})
            for k, slots in nodes.items():
                p = slots.pop(0)  # rename_tensor replaces the first use in each node
                self.ios[k][side][p] = new
                moved = self.uses[side].setdefault(new, {}).setdefault(k, [])
                moved.append(p)
                moved.sort()
                if slots:
                    self.uses[side].setdefault(old, {})[k] = slots

    def write(self) -> None:
        g = self.graph
        for c, f in self.CONTAINERS:
            for item, name in zip(getattr(g, c), self.lists[c]):
                if getattr(item, f) != name:
                    setattr(item, f, name)
        for n, (ins, outs) in zip(g.node, self.ios):
            for field, names in ((n.input, ins), (n.output, outs)):
                for p, name in enumerate(names):
                    if field[p] != name:
                        field[p] = name


def _give_unique_tensor_names(self, model: ModelWrapper):  # noqa: ANN001, ANN202
    names = _Names(model)
    for i, name in enumerate(names.all_tensor_names()):
        names.rename(name, f"tensor_{i}")
    names.write()
    return model, False


def _give_readable_tensor_names(self, model: ModelWrapper):  # noqa: ANN001, ANN202
    from qonnx.transformation.general import GiveUniqueTensorNames

    model = model.transform(GiveUniqueTensorNames())
    names = _Names(model)
    for k, n in enumerate(model.graph.node):
        assert n.name != "", "Found empty node name"
        ins, outs = names.ios[k]
        for p in range(len(outs)):
            names.rename(outs[p], "%s_out%d" % (n.name, p))
        params = 0
        for p in range(len(ins)):
            if names.is_initializer(ins[p]):
                names.rename(ins[p], "%s_param%d" % (n.name, params))
                params += 1
    for i in range(len(names.lists["input"])):
        names.rename(names.lists["input"][i], "global_in" if i == 0 else "global_in_%d" % i)
    for i in range(len(names.lists["output"])):
        names.rename(names.lists["output"][i], "global_out" if i == 0 else "global_out_%d" % i)
    names.write()
    return model, False


# ---- passes that change one node per apply ---------------------------------------------------

class _LazyContext(dict):
    """make_empty_exec_context's dict, filled on first read of each tensor (FoldQuantWeights
    makes one per apply and reads only the few tensors of the quantizer it folds)."""

    def __init__(self, model: ModelWrapper) -> None:
        super().__init__()
        g = model.graph
        self._vi = {vi.name: vi for vi in (*g.input, *g.output, *g.value_info)}
        self._init = {t.name: t for t in g.initializer}  # the last of a name wins, as in qonnx

    def __missing__(self, name: str):  # noqa: ANN204
        from qonnx.util.onnx import valueinfo_to_tensor

        if name == "":
            value = None
        elif name in self._init:
            value = np_helper.to_array(self._init[name])
        elif name in self._vi:
            value = valueinfo_to_tensor(self._vi[name])
        else:
            raise KeyError(name)
        self[name] = value
        return value


def _sanitize_quant_values(model: ModelWrapper, node_tensors: list[str], execution_context: dict,
                           check_values: bool = False) -> dict:
    """qonnx.util.basic.sanitize_quant_values, line for line, except that the largest rounding
    error is numpy's max (qonnx takes Python's max over every element: seconds per 224x224
    feature map); Python's max stays where they could differ (NaN, not an array)."""
    import warnings

    import numpy as np
    from qonnx.util.basic import get_execution_error_thresh

    for tensor_name in node_tensors:
        dtype = model.get_tensor_datatype(tensor_name)
        if not dtype.is_integer():
            continue
        current_values = execution_context[tensor_name]
        updated_values = current_values
        is_allowed = dtype.allowed(current_values)
        is_allowed = is_allowed.all() if isinstance(is_allowed, np.ndarray) else is_allowed
        if not is_allowed:
            updated_values = np.round(current_values)
            warnings.warn(
                "The values of tensor {} can't be represented "
                "with the set datatype annotation ({}), they will be rounded to match the "
                "datatype annotation.".format(tensor_name, dtype.name)
            )
        error = np.abs(current_values - updated_values)
        if isinstance(error, np.ndarray) and error.size and not np.isnan(error).any():
            max_error = error.max()
        else:
            max_error = max(error.flatten())
        if max_error <= get_execution_error_thresh():
            if check_values is True:
                is_allowed = dtype.allowed(updated_values)
                is_allowed = is_allowed.all() if isinstance(is_allowed, np.ndarray) else is_allowed
                if not is_allowed:
                    raise Exception(
                        """Values can't be represented with set
                            finn datatype ({}) for input {}""".format(dtype, tensor_name)
                    )
            execution_context[tensor_name] = updated_values
        else:
            raise Exception(
                """Rounding error is too high to match set QONNX
            datatype ({}) for input {}""".format(dtype, tensor_name)
            )
    return execution_context


_STATE = {"depth": 0, "deferring": 0, "deferred": False, "saved": [], "reference": False}


def _deferring_shapes(apply, **index):  # noqa: ANN001, ANN003, ANN202
    """A one-node-per-apply pass whose InferShapes waits until the pass is done; the node
    order of the cleanup that would have followed each change is restored at once."""
    from qonnx.transformation.infer_shapes import InferShapes

    inner = _on_index(apply, **index) if index else apply

    def once(self, model: ModelWrapper):  # noqa: ANN001, ANN202
        _STATE["deferring"] += 1
        try:
            model, changed = inner(self, model)
        finally:
            _STATE["deferring"] -= 1
        if not changed and _STATE["deferred"] and not _STATE["deferring"]:
            _STATE["deferred"] = False
            model = _transform(model, InferShapes())
        return model, changed
    return once


_transform = ModelWrapper.transform


def _lazy_transform(self: ModelWrapper, transformation, *args, **kwargs) -> ModelWrapper:  # noqa: ANN001, ANN003
    from qonnx.transformation.infer_shapes import InferShapes

    if _STATE["deferring"] and type(transformation) is InferShapes:
        _STATE["deferred"] = True
        model = self.cleanup()  # what the skipped transform did besides inferring shapes
        if isinstance(model, IndexedModel):
            model._drop()  # the cleanup removed tensors behind the index's back
        return model
    return _transform(self, transformation, *args, **kwargs)


def _fold_quant_weights_apply(apply):  # noqa: ANN001, ANN202
    def lazy(self, model: ModelWrapper):  # noqa: ANN001, ANN202
        model.make_empty_exec_context = lambda: _LazyContext(model)
        try:
            return apply(self, model)
        finally:
            del model.make_empty_exec_context
    return lazy


def _unindexing_nodes(replace):  # noqa: ANN001, ANN202
    def replace_quant_node(self):  # noqa: ANN001, ANN202
        if isinstance(self._model, IndexedModel):
            self._model.forget("nodes")
        return replace(self)
    return replace_quant_node


def _patches() -> list[tuple[object, str, object]]:
    from finn.transformation.qonnx.fold_quant_weights import FoldQuantWeights
    from finn.transformation.qonnx.qonnx_activation_handlers import QuantActBaseHandler
    from finn.transformation.qonnx.quant_act_to_multithreshold import ConvertQuantActToMultiThreshold
    from qonnx.core import onnx_exec
    from qonnx.transformation.fold_constants import FoldConstants
    from qonnx.transformation.infer_shapes import InferShapes
    from qonnx.transformation import general
    from qonnx.transformation.infer_data_layouts import InferDataLayouts
    from qonnx.transformation.infer_datatypes import InferDataTypes
    from qonnx.transformation.remove import RemoveIdentityOps

    return [
        (ModelWrapper, "transform", _lazy_transform),
        (ModelWrapper, "check_all_tensor_shapes_specified", _check_all_tensor_shapes_specified),
        (onnx_exec, "sanitize_quant_values", _sanitize_quant_values),
        (general.SortGraph, "apply", lambda self, model: (sort_graph(model), False)),
        (general.RemoveUnusedTensors, "apply", _remove_unused_tensors),
        (general.RemoveStaticGraphInputs, "apply", _remove_static_graph_inputs),
        (general.SortCommutativeInputsInitializerLast, "apply", _sort_commutative_inputs),
        (general.GiveUniqueParameterTensors, "apply", _give_unique_parameter_tensors),
        (general.GiveUniqueTensorNames, "apply", _give_unique_tensor_names),
        (general.GiveReadableTensorNames, "apply", _give_readable_tensor_names),
        (InferDataTypes, "apply", _on_index(InferDataTypes.apply)),
        (InferDataLayouts, "apply", _on_index(InferDataLayouts.apply)),
        # FoldQuantWeights appends value infos directly: only its initializer lookups are indexed
        (FoldQuantWeights, "apply", _deferring_shapes(_fold_quant_weights_apply(FoldQuantWeights.apply),
                                                      kinds=("init",))),
        (RemoveIdentityOps, "apply", _deferring_shapes(RemoveIdentityOps.apply, kinds=("init",))),
        # it looks at every activation quantizer, then replaces one with a handler that changes
        # nodes and value infos directly but initializers through the model: nodes are indexed
        # until the handler starts
        (ConvertQuantActToMultiThreshold, "apply", _on_index(ConvertQuantActToMultiThreshold.apply,
                                                             ("init", "nodes"))),
        (QuantActBaseHandler, "replace_quant_node", _unindexing_nodes(QuantActBaseHandler.replace_quant_node)),
        # it removes nodes directly, and sets initializers and shapes through the model
        (FoldConstants, "apply", _on_index(FoldConstants.apply, ("init", "vi"))),
        # it swaps custom nodes for shape-compatible ones (reading value infos), then hands a
        # new proto to ONNX: the index serves only the reading
        (InferShapes, "apply", _on_index(InferShapes.apply, ("vi",))),
    ]


@contextmanager
def reference_qonnx() -> Iterator[None]:
    """qonnx's and FINN's own code throughout (linear_qonnx does nothing, IndexedModel indexes
    nothing): the reference the tests compare linear_qonnx with."""
    if _STATE["depth"]:
        raise RuntimeError("reference_qonnx() inside linear_qonnx()")
    _STATE["reference"] = True
    try:
        yield
    finally:
        _STATE["reference"] = False


@contextmanager
def linear_qonnx() -> Iterator[None]:
    """Run qonnx/FINN passes in linear time inside this context (see the module docstring)."""
    if _STATE["reference"]:
        yield
        return
    if _STATE["depth"] == 0:
        patches = _patches()
        _STATE["saved"] = [(owner, name, vars(owner)[name]) for owner, name, _ in patches]
        for owner, name, new in patches:
            setattr(owner, name, new)
    _STATE["depth"] += 1
    try:
        yield
    finally:
        _STATE["depth"] -= 1
        if _STATE["depth"] == 0:
            for owner, name, old in _STATE["saved"]:
                setattr(owner, name, old)
            _STATE["saved"] = []
            _STATE["deferring"], _STATE["deferred"] = 0, False


__all__ = ["ALL_KINDS", "IndexedModel", "linear_qonnx", "read_only", "reference_qonnx", "sort_graph"]
