"""FINN streamlining of bnnforge graphs."""

from __future__ import annotations

import numpy as np


def test_lean_streamlining_equals_finn_streamline() -> None:
    from bnnforge.generator.frontend import export_model
    from bnnforge.generator.streamline import streamline
    from bnnforge.quant import models
    from tests.randomize import randomize_

    graph = export_model(randomize_(models.create("bcdnet-b-tiny", width=8), seed=4))
    lean, full = streamline(graph), streamline(graph, full=True)
    assert [n.op_type for n in lean.graph.node] == [n.op_type for n in full.graph.node]
    for a, b in zip(lean.graph.node, full.graph.node):
        for i, j in zip(a.input, b.input):
            ia, ib = lean.get_initializer(i), full.get_initializer(j)
            assert (ia is None) == (ib is None)
            if ia is not None:
                np.testing.assert_array_equal(ia, ib)
