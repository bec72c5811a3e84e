"""`convert`: a bnnforge model, checkpoint, zoo name or folded dataflow graph -> an hls4ml
ModelGraph (io_stream) whose layers are bnnforge's templates (see the package docstring)."""

from __future__ import annotations

from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper

from bnnforge.generator.report.devices import DEFAULT_PART
from bnnforge.quant.errors import BnnforgeError

BACKENDS = ("Vivado", "Vitis")


def dataflow_graph(model_or_checkpoint: object, fold: str | None = "auto",
                   target_cycles: int | None = None) -> tuple[ModelWrapper, str]:
    """(folded dataflow graph with width converters and FIFO depths, a project name)."""
    import torch

    from bnnforge.generator.build import resolve_source, top_name
    from bnnforge.generator.dataflow import build_dataflow
    from bnnforge.generator.graph import fold as apply_fold
    from bnnforge.generator.passes.width_converters import prepare_interconnect

    from bnnforge.generator.hls4ml_export.mapping import check_mappable

    if isinstance(model_or_checkpoint, ModelWrapper):
        graph, name = model_or_checkpoint, "myproject"
        check_mappable(graph)  # before any pass asks the nodes anything
    else:
        if isinstance(model_or_checkpoint, torch.nn.Module):
            model = model_or_checkpoint.eval()
            name = getattr(model, "name", "myproject")
        elif isinstance(model_or_checkpoint, (str, Path)):
            src = resolve_source(str(model_or_checkpoint), {})
            model, name = src.model, src.name
        else:
            raise BnnforgeError(f"hls4ml: expected a model, a checkpoint path, a zoo name or a dataflow graph, "
                                f"got {type(model_or_checkpoint).__name__}")
        _, graph = build_dataflow(model, batch=1)
        if fold is None:
            fold = "auto"
    if fold is not None:
        graph, _ = apply_fold(graph, fold, target_cycles)
    elif target_cycles is not None:
        raise BnnforgeError("hls4ml: target_cycles needs fold='auto'")
    return prepare_interconnect(graph), top_name(name)


def hls4ml_config(mapped, output_dir: Path | str, project: str, backend: str, part: str,  # noqa: ANN001
                  clock_mhz: float) -> dict:
    """The configuration dict an hls4ml converter would make (backend.create_initial_config
    plus the per-layer HLSConfig), for io_stream."""
    from hls4ml.backends import get_backend

    config = get_backend(backend).create_initial_config(
        part=part, clock_period=float(f"{1000.0 / clock_mhz:.6g}"), io_type="io_stream",
        # weights as C++ initializers: hls4ml's .txt loader reads floats, and our words can be
        # wider than any float
        write_weights_txt=False)
    config["OutputDir"] = str(output_dir)
    config["ProjectName"] = project
    config["Backend"] = backend
    config["HLSConfig"] = {
        # hls4ml requires a Model entry; our layers take every width from their config structs
        "Model": {"Precision": "ap_fixed<16,6>", "ReuseFactor": 1, "Strategy": "Latency",
                  "BramFactor": 1_000_000_000},
        "LayerName": mapped.layer_config,
    }
    return config


def convert(model_or_checkpoint: object, output_dir: Path | str, backend: str = "Vivado", part: str = DEFAULT_PART,
            fold: str | None = "auto", *, target_cycles: int | None = None, clock_mhz: float = 100.0,
            project_name: str | None = None):  # noqa: ANN201  (hls4ml.model.graph.ModelGraph, imported lazily)
    """An hls4ml ModelGraph (io_stream) of a bnnforge network.

    model_or_checkpoint: a bnnforge model (quant.models.BNN), a checkpoint file, a zoo name,
    or an already folded dataflow graph (a ModelWrapper, e.g. from `bnnforge graph`).
    fold: "auto" (optionally with target_cycles), a folding file, or None to keep a given
    graph's folding. Each op's PE/SIMD go into its config struct; hls4ml_config.yml records
    them and the ReuseFactor they imply (mapping.reuse_factor).

    Then: hls_model.write(), .compile(), .predict(x) with x NHWC input codes (float32/64),
    which returns the outputs code * 2**-frac exactly; .build() with Vivado/Vitis HLS.
    """
    from hls4ml.model.graph import ModelGraph

    from bnnforge.generator.hls4ml_export.mapping import map_graph
    from bnnforge.generator.hls4ml_export.templates import register

    if backend not in BACKENDS:
        raise BnnforgeError(f"hls4ml: backend {backend!r} is not supported; use one of {', '.join(BACKENDS)}")
    if clock_mhz <= 0:
        raise BnnforgeError(f"hls4ml: clock_mhz must be positive, got {clock_mhz:g}")
    graph, name = dataflow_graph(model_or_checkpoint, fold, target_cycles)
    mapped = map_graph(graph)
    register(backend, mapped.classes)
    config = hls4ml_config(mapped, output_dir, project_name or name, backend, part, clock_mhz)
    return ModelGraph.from_layer_list(config, mapped.layers, inputs=[mapped.input_name], outputs=[mapped.output_name])
