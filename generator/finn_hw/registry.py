"""Registration of the bnnforge ops in FINN's three custom_op dicts, and the import hook that
does it as soon as FINN's HW-layer package is imported.

Importing FINN's custom ops takes about 3 s (it imports torch), so bnnforge.generator does
not import FINN itself: it installs `install_hook()`, a post-import hook on
`finn.custom_op.fpgadataflow` (the package every FINN HW-layer lookup imports first), and the
ops are registered right after that package has loaded, before any lookup can miss them.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from types import ModuleType

from bnnforge.generator.finn_hw import FINN_DOMAIN, finn_op_type

_LOCK = threading.RLock()
_REGISTERED: dict[str, str] = {}  # FINN op type -> bnnforge op type


def registered() -> dict[str, str]:
    return dict(_REGISTERED)


def register() -> dict[str, str]:
    """Add Bnf<Op>, Bnf<Op>_hls and Bnf<Op>_rtl for every bnnforge op to FINN's dicts."""
    with _LOCK:
        if _REGISTERED:
            return dict(_REGISTERED)
        import finn.custom_op.fpgadataflow as layers
        import finn.custom_op.fpgadataflow.hls as hls_layers
        import finn.custom_op.fpgadataflow.rtl as rtl_layers

        from bnnforge.generator import hwops
        from bnnforge.generator.finn_hw.hls_backend import hls_class
        from bnnforge.generator.finn_hw.layer import layer_class
        from bnnforge.generator.finn_hw.rtl_backend import rtl_class

        for op_type, op_cls in hwops.custom_op.items():
            name = finn_op_type(op_type)
            layer = layer_class(op_cls, name)
            layers.custom_op[name] = layer
            hls_layers.custom_op[name + "_hls"] = hls_class(layer)
            rtl_layers.custom_op[name + "_rtl"] = rtl_class(layer)
            _REGISTERED[name] = op_type
        return dict(_REGISTERED)


class _Loader(importlib.abc.Loader):
    """FINN's own loader, then `register()`."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        register()


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path, target=None) -> importlib.machinery.ModuleSpec | None:  # noqa: ANN001
        if name != FINN_DOMAIN:
            return None
        sys.meta_path.remove(self)  # one shot: the real finders find FINN's spec
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader)
        return spec


def install_hook() -> None:
    """Register now if FINN's HW layers are loaded, else as soon as they are."""
    if FINN_DOMAIN in sys.modules:
        register()
    elif not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
