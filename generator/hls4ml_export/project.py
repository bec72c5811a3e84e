"""DIR/hls4ml of `bnnforge build`: the hls4ml project as hls4ml's writer lays it out
(hls4ml_config.yml, firmware/ with the bnf templates in firmware/nnet_utils/,
<top>_test.cpp, <top>_bridge.cpp, build_prj.tcl, project.tcl, vivado_synth.tcl,
build_lib.sh, tb_data/), made byte-identical and relocatable:

- hls4ml's writer stamps every write with a random uuid (the name of the library compile()
  loads); here the stamp is a hash of the firmware, so the same inputs give the same bytes;
- hls4ml_config.yml records OutputDir, an absolute path here; it is written as "." (the
  directory the file is in);
- tb_data/tb_input_features.dat and tb_output_predictions.dat: the test images (NHWC, as
  the hls4ml Input layer takes them) and the golden outputs, in the format hls4ml's test
  bench reads.

`build_prj.tcl` then makes <top>_prj/solution1/ as every hls4ml project does, which is
what hls4ml.report.read_vivado_report reads once Vivado HLS has run.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import yaml

from bnnforge.generator.tb_data import write_dat_files

CONFIG_FILE = "hls4ml_config.yml"  # hls4ml.writer.vivado_writer's name for it


def _stamp(firmware: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in firmware.rglob("*") if p.is_file() and p.suffix != ".so"):
        digest.update(str(path.relative_to(firmware)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:8]


def write_project(hls_model, images_nhwc: np.ndarray | None = None,  # noqa: ANN001
                  outputs: np.ndarray | None = None) -> Path:
    """Write the project of `hls_model` (convert()'s result) into its OutputDir; with test
    images and golden outputs, also tb_data. Returns the directory."""
    hls_model.write()
    out = Path(hls_model.config.get_output_dir())
    hls_model.config.config["Stamp"] = _stamp(out / "firmware")
    hls_model.config.backend.writer.write_build_script(hls_model)  # build_lib.sh names the stamp
    config = dict(hls_model.config.config)
    config["OutputDir"] = "."
    with open(out / CONFIG_FILE, "w") as f:
        yaml.dump(config, f)
    if images_nhwc is not None:
        (out / "tb_data").mkdir(exist_ok=True)
        write_dat_files(out / "tb_data", images_nhwc, outputs)
    return out
