"""The C++ of the extension layers, registered with an hls4ml backend.

- config template: the op's config struct exactly as bnnforge's own HLS emitter writes it
  (emit.hls.config_struct over the dict the op's hls() returns), named `config<index>` as
  hls4ml names its structs;
- function template: `<bnf function><config<index>>(input streams, output streams,
  parameter arrays);`, the call emit.hls makes;
- sources: every hw/hls/bnf_*.h template and bnf_nnet_io.h, registered with
  backend.register_source, so the project's firmware/nnet_utils/ holds the files
  themselves (hls4ml copies them at write time) and no text of them lives here.
"""

from __future__ import annotations

from pathlib import Path

from hls4ml.backends import get_backend
from hls4ml.backends.template import FunctionCallTemplate, LayerConfigTemplate
from hls4ml.model.optimizer import ModelOptimizerPass

from bnnforge.generator.emit.hls import AP_INT_MAX_W_DEFINE, config_struct, hls_dir
from bnnforge.generator.hls4ml_export.layers import BnfLayer, layer_class
from bnnforge.generator.hwops.base import HLSInstance

IO_HEADER = Path(__file__).with_name("bnf_nnet_io.h")
# where register_source puts the templates inside firmware/ (hls4ml's default, and the one
# directory its writer creates before copying custom sources)
SOURCE_DIR = "nnet_utils"

_registered: dict[tuple[str, str], bool] = {}


class BnfConfigTemplate(LayerConfigTemplate):
    def __init__(self, cls: type) -> None:
        super().__init__(cls)

    def format(self, node) -> str:  # noqa: ANN001
        inst = HLSInstance(node.get_attr("bnf_header"), node.get_attr("bnf_function"), node.get_attr("bnf_config"))
        text = config_struct(f"config{node.index}", inst,
                             f"{node.get_attr('bnf_source')}: {inst.function} in {inst.header}")
        return text.split("\n", 1)[1]  # parameters.h already has a `// <layer name>` line above it


class BnfFunctionTemplate(FunctionCallTemplate):
    def __init__(self, cls: type) -> None:
        super().__init__(cls)

    def transform(self, model, node) -> bool:  # noqa: ANN001
        # the header is the op's (hls() names it), not one fixed per layer class
        node.set_attr("include_header", [f"{SOURCE_DIR}/{node.get_attr('bnf_header')}"])
        node.set_attr(self.attribute_name, self.format(node))
        return False

    def format(self, node) -> str:  # noqa: ANN001
        ins = [node.model.get_layer_output_variable(i).name for i in node.inputs]
        outs = [node.get_output_variable(o).name for o in node.outputs]
        arrays = [node.get_weights(name).name for name, _, _ in node.get_attr("bnf_arrays", ())]
        # the boundary templates also take hls4ml's array type as a template argument
        types = "".join(f", {node.model.get_layer_output_variable(i).type.name}" for i in node.inputs
                        if node.get_attr("bnf_function") == "bnf_from_nnet")
        if node.get_attr("bnf_function") == "bnf_to_nnet":
            types = f", {node.get_output_variable().type.name}"
        return f"{node.get_attr('bnf_function')}<config{node.index}{types}>({', '.join(ins + outs + arrays)});"


class DefineApIntMaxW(ModelOptimizerPass):
    """Writer-flow pass: `#define AP_INT_MAX_W` at the top of firmware/<project>.h, which the
    top function, the test bench and the Python bridge each include before any ap_int header
    (for projects with bnnforge layers only)."""

    def __init__(self) -> None:
        self.name = "bnf_define_ap_int_max_w"

    def transform(self, model) -> bool:  # noqa: ANN001
        if not any(isinstance(layer, BnfLayer) for layer in model.get_layers()):
            return False
        path = Path(model.config.get_output_dir()) / "firmware" / f"{model.config.get_project_name()}.h"
        text = path.read_text()
        if AP_INT_MAX_W_DEFINE not in text:
            path.write_text(AP_INT_MAX_W_DEFINE + text)
        return False


def template_sources() -> list[Path]:
    """The files registered as sources: every bnf_*.h template (they include each other)
    and the boundary converters."""
    return [*sorted(hls_dir().glob("bnf_*.h")), IO_HEADER]


def register(backend_name: str, layer_names: list[str]) -> None:
    """Register the layer classes `layer_names` and their templates with `backend_name`, and
    the template sources (each once per process)."""
    backend = get_backend(backend_name)
    if not _registered.get((backend.name, "")):
        for path in template_sources():
            backend.register_source(path.resolve(), destination_dir=SOURCE_DIR)
        backend.register_pass("bnf_define_ap_int_max_w", DefineApIntMaxW, flow=backend.get_writer_flow())
        _registered[(backend.name, "")] = True
    for name in sorted(set(layer_names)):
        if _registered.get((backend.name, name)):
            continue
        cls = layer_class(name)
        backend.register_template(type(f"{name}ConfigTemplate", (BnfConfigTemplate,), {
            "__init__": lambda self, c=cls: BnfConfigTemplate.__init__(self, c)}))
        backend.register_template(type(f"{name}FunctionTemplate", (BnfFunctionTemplate,), {
            "__init__": lambda self, c=cls: BnfFunctionTemplate.__init__(self, c)}))
        _registered[(backend.name, name)] = True


__all__ = ["IO_HEADER", "SOURCE_DIR", "register", "template_sources"]
