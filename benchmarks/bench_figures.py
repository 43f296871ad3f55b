"""Benchmark: drawing the six figures of ``exonu reproduce`` (``figure_builders`` + ``render_png``, as
``output/writer.py`` does), per figure and in total, on one reproduction computed first (``--toys 0``).

``--against SRC`` also draws them with the figure modules of another exonu source tree (``SRC`` is its ``src``
folder, e.g. ``git worktree add /tmp/base main`` then ``--against /tmp/base/src``), in the same process,
interleaved round by round: that tree's ``exonu/output/figure*.py`` are loaded as ``exonu.output.<name>__other``
and the rest of exonu (labels, fits, rendering) is this tree's, so only the figure code differs. A warm-up
round of each (imports, fonts, mathtext, the cached spectra of Fig. 1) is not timed. BLAS is pinned to one
thread. The times include what a figure computes (the ±1σ band of a fit figure refits its search: about
0.2 s of Figs. 3 and 5), the same for both. The last line printed is JSON.

Run: ``python benchmarks/bench_figures.py [--rounds 3] [--detector xmass-i] [--against SRC]``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.abc
import importlib.util
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

# before numpy is imported (by exonu, in main)
os.environ.update({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

SUFFIX = "__other"


class OtherFigureModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``exonu.output.<figure module>__other`` in another tree, its imports of sibling figure modules
    (``from .figures import …``) pointed at the other tree's too."""

    def __init__(self, output_dir: Path) -> None:
        self.files = {p.stem: p for p in output_dir.glob("figure*.py")}

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        stem = fullname.removeprefix("exonu.output.").removesuffix(SUFFIX)
        if fullname.endswith(SUFFIX) and stem in self.files:
            return importlib.util.spec_from_loader(fullname, self, origin=str(self.files[stem]))
        return None

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        path = Path(module.__spec__.origin)  # type: ignore[union-attr, arg-type]
        source = path.read_text(encoding="utf-8")
        for stem in self.files:
            source = re.sub(rf"from \.{stem} import", f"from .{stem}{SUFFIX} import", source)
        module.__package__ = "exonu.output"
        exec(compile(source, str(path), "exec"), module.__dict__)


def draw_all(builders: dict[str, Callable[[], Any]]) -> dict[str, float]:
    """Seconds to build and render each figure, as ``write_run_files`` does."""
    from exonu.output.serialize import render_png
    from exonu.output.writer import FIGURE_DPI

    seconds = {}
    for name, build in builders.items():
        t0 = time.perf_counter()
        render_png(build(), FIGURE_DPI)
        seconds[name] = time.perf_counter() - t0
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--detector", default="xmass-i")
    parser.add_argument("--against", metavar="SRC", help="another exonu source tree's src folder")
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    from exonu.config import load_detector
    from exonu.output import figures_paper
    from exonu.searches import reproduce_paper

    res = reproduce_paper(load_detector(args.detector), n_toys=0, dark_photon_toys=0)
    variants: dict[str, Any] = {"this tree": figures_paper}
    if args.against:
        sys.meta_path.insert(0, OtherFigureModules(Path(args.against) / "exonu" / "output"))
        variants["other tree"] = importlib.import_module(f"exonu.output.figures_paper{SUFFIX}")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    for module in variants.values():  # warm-up, not timed
        draw_all(module.figure_builders(res))
    times: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    for i in range(args.rounds):
        for name, module in variants.items():
            times[name].append(draw_all(module.figure_builders(res)))
        print(f"round {i + 1}: " + ", ".join(f"{n} {sum(t[-1].values()):.2f} s" for n, t in times.items()), flush=True)
    summary: dict[str, Any] = {"detector": args.detector, "rounds": args.rounds, "against": args.against}
    for name, rounds in times.items():
        medians = {fig: statistics.median(r[fig] for r in rounds) for fig in rounds[0]}
        total = statistics.median(sum(r.values()) for r in rounds)
        print(f"{name}: median total {total:.2f} s; " + ", ".join(f"{f[:4]} {s:.2f}" for f, s in medians.items()))
        summary[name.replace(" ", "_")] = {"total_s": round(total, 3), **{f: round(s, 3) for f, s in medians.items()}}
    if args.against:
        ratio = summary["other_tree"]["total_s"] / summary["this_tree"]["total_s"]
        print(f"other / this: {ratio:.2f}x")
        summary["speed_up"] = round(ratio, 2)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
