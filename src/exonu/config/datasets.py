"""Data sets in the forms collaborations publish, and exonu's own data-set files.

Accepted forms (config ``[data.<window>]`` ``format``, and :func:`read_dataset` for ``--data``):

* ``events`` — an event list, one reconstructed energy (keV) per row; binned into the analysis window,
  events outside it are counted in the metadata (``events_outside_window``);
* ``binned_counts`` — bin centres and event counts; rows whose centre lies outside the window are
  ignored and listed in the metadata (``ignored_rows``), the rest must match the window's bins;
* ``binned_rate`` — bin centres and rates in a stated unit, turned into counts with the detector's
  exposure and the bin widths;
* ``exonu`` — files written by :func:`write_dataset`: JSON (``.json``) or text rows
  ``low_kev high_kev counts`` with ``# key: json-value`` metadata lines (other ``#`` lines are comments).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..detector import Binning, Dataset
from ..errors import ConfigError, InputError
from ..fileio import atomic_write_text, read_text_input
from .tables import to_per_kg_day_kev

__all__ = ["dataset_from_binned", "dataset_from_events", "read_dataset", "write_dataset"]

DATASET_FORMAT = "exonu-binned-counts/1"
#: Largest event count in one bin a data file may hold (a billion: far beyond any xenon detector; a larger
#: number is a unit or format mistake and would overflow the fit)
MAX_COUNT_PER_BIN = 1e9
_INTEGER_TOLERANCE = 0.05


def _is_metadata_word(key: object) -> bool:
    """Whether ``key`` can be a ``# key: value`` header key that :func:`read_dataset` reads back."""
    return isinstance(key, str) and bool(key) and key != "format" and not any(c.isspace() or c == ":" for c in key)


def write_dataset(
    path: str | Path, counts: ArrayLike, edges_kev: ArrayLike | Binning, metadata: dict[str, Any] | None = None
) -> Path:
    """Write binned counts: JSON for ``*.json``, otherwise text (``low_kev high_kev counts`` per row,
    metadata as ``# key: json-value`` header lines). :func:`read_dataset` reads every such file back.

    Parameters
    ----------
    path : str or Path
    counts : array_like
        Events per bin (finite, ≥ 0).
    edges_kev : array_like or Binning
        Bin edges in keV.
    metadata : dict, optional
        JSON-serialisable values; in a text file the keys must be single words other than ``format``.

    Raises
    ------
    InputError
        A path that is not a file name, counts that do not match the bins, metadata that would not read back.
    """
    if not isinstance(path, (str, Path)) or str(path) == "":
        raise InputError(f"write_dataset: path must be a file name; got {path!r}")
    path = Path(path)
    if metadata is not None and not isinstance(metadata, dict):
        raise InputError(f"write_dataset: metadata must be a dict of key → JSON value; got {type(metadata).__name__}")
    if path.suffix.lower() != ".json" and metadata and not all(_is_metadata_word(k) for k in metadata):
        raise InputError(
            f"write_dataset: in a text data set, metadata keys must be single words without ':' "
            f"(and not 'format'), so that they read back; got {list(metadata)}"[:300]
        )
    b = edges_kev if isinstance(edges_kev, Binning) else Binning(edges_kev)
    try:
        c = np.asarray(counts, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"write_dataset: counts must be numbers; got {counts!r}"[:200]) from None
    if c.shape != (b.n_bins,):
        raise InputError(f"write_dataset: {b.n_bins} counts expected; got shape {c.shape}")
    if np.any(c < 0) or not np.all(np.isfinite(c)):
        raise InputError("write_dataset: counts must be finite and ≥ 0")
    meta = dict(metadata or {})
    as_int = np.all(c == np.round(c))
    values = [int(x) for x in c] if as_int else c.tolist()
    if path.suffix.lower() == ".json":
        doc = {"format": DATASET_FORMAT, "edges_kev": b.edges_kev.tolist(), "counts": values, "metadata": meta}
        atomic_write_text(path, json.dumps(doc, indent=1, default=str) + "\n")
    else:
        lines = [f"# format: {json.dumps(DATASET_FORMAT)}"]
        lines += [f"# {k}: {json.dumps(v, default=str)}" for k, v in meta.items()]
        lines.append("# low_kev high_kev counts")
        lines += [
            f"{lo:.10g} {hi:.10g} {v}" for lo, hi, v in zip(b.edges_kev[:-1], b.edges_kev[1:], values, strict=False)
        ]
        atomic_write_text(path, "\n".join(lines) + "\n")
    return path


def dataset_from_events(energies_kev: np.ndarray, binning: Binning, source: str) -> Dataset:
    """Bin an event list (keV) into ``binning``; events outside the window are counted in the metadata."""
    e = np.asarray(energies_kev, dtype=float)
    counts = np.histogram(e, bins=binning.edges_kev)[0].astype(float)
    inside = int(counts.sum())
    meta = {
        "source": source,
        "simulated": False,
        "format": "events",
        "unbinned_events": int(e.size),
        "events_in_window": inside,
        "events_outside_window": int(e.size) - inside,
    }
    return Dataset(binning.edges_kev, counts, meta)


def _check_integer_counts(counts: np.ndarray, key: str, allow_non_integer: bool, hint: str = "") -> None:
    dev = float(np.max(np.abs(counts - np.round(counts)))) if counts.size else 0.0
    if dev >= _INTEGER_TOLERANCE and not allow_non_integer:
        raise ConfigError(
            f"{key}: non-integer event counts (up to {dev:.2f} from an integer){hint}; "
            "set allow_non_integer_counts = true for weighted or unfolded spectra"
        )


def dataset_from_binned(
    centres_kev: np.ndarray,
    values: np.ndarray,
    binning: Binning,
    key: str,
    source: str,
    rate_unit: str | None = None,
    exposure_kg_day: float | None = None,
    allow_non_integer_counts: bool = False,
) -> Dataset:
    """Binned counts (``rate_unit=None``) or rates given at bin centres, matched to the window's bins.

    Rows whose centre lies outside the window are ignored and listed in ``metadata["ignored_rows"]``;
    the remaining centres must be the window's, to 1e-3 of the narrowest bin.

    Examples
    --------
    Rates of 0.5 and 1.5 events/(kg·day·keV) in two 1-keV bins, for an exposure of 2 kg·day:

    >>> import numpy as np
    >>> from exonu.detector import Binning
    >>> window = Binning([2.0, 3.0, 4.0])
    >>> ds = dataset_from_binned(np.array([2.5, 3.5]), np.array([0.5, 1.5]), window, "data", "demo",
    ...                          rate_unit="per_kg_day_kev", exposure_kg_day=2.0)
    >>> ds.counts
    array([1., 3.])

    Rates without the exposure cannot become counts:

    >>> dataset_from_binned(np.array([2.5, 3.5]), np.array([0.5, 1.5]), window, "data", "demo",
    ...                     rate_unit="per_kg_day_kev")
    Traceback (most recent call last):
    ...
    exonu.errors.InputError: data: rates in 'per_kg_day_kev' need exposure_kg_day to become counts
    """
    inside = (centres_kev > binning.low_kev) & (centres_kev < binning.high_kev)
    meta: dict[str, Any] = {"source": source, "simulated": False}
    if not np.all(inside):
        meta["ignored_rows"] = [
            f"{c:g} keV: {v:g}" for c, v in zip(centres_kev[~inside], values[~inside], strict=False)
        ]
        meta["note"] = (
            f"{int((~inside).sum())} row(s) with bin centres outside the window "
            f"{binning.low_kev:g}–{binning.high_kev:g} keV ignored"
        )
    centres, values = centres_kev[inside], values[inside]
    if centres.size != binning.n_bins:
        raise ConfigError(
            f"{key}: {source} has {centres.size} bins inside the window but the window has {binning.n_bins}"
        )
    if np.max(np.abs(centres - binning.centres_kev)) > 1e-3 * np.min(binning.widths_kev):
        raise ConfigError(
            f"{key}: bin centres in {source} ({centres[0]:g}…{centres[-1]:g} keV) do not match the "
            f"window ({binning.centres_kev[0]:g}…{binning.centres_kev[-1]:g} keV)"
        )
    if np.any(values < 0):
        raise ConfigError(f"{key}: negative values in {source}")
    if rate_unit is None or rate_unit == "counts_per_bin":
        counts = values
        hint = ""
    else:
        if exposure_kg_day is None:
            raise InputError(f"{key}: rates in {rate_unit!r} need exposure_kg_day to become counts")
        counts = to_per_kg_day_kev(values, rate_unit, exposure_kg_day) * exposure_kg_day * binning.widths_kev
        dev = float(np.max(np.abs(counts - np.round(counts))))
        meta["max_deviation_from_integer"] = dev
        if dev < _INTEGER_TOLERANCE:  # the rates are integer counts divided by the exposure: undo it exactly
            counts = np.round(counts)
        hint = " (rate × exposure × bin width: is the exposure right?)"
    _check_integer_counts(counts, f"{key}: {source}", allow_non_integer_counts, hint)
    return Dataset(binning.edges_kev, np.asarray(counts, dtype=float), meta)


def _parse_metadata_line(body: str, meta: dict[str, Any]) -> None:
    """``key: json`` → metadata; anything else (including ``source: my own run``) is a comment."""
    k, sep, v = body.partition(":")
    k = k.strip()
    if not sep or not k or " " in k or k == "format":
        return
    try:
        meta[k] = json.loads(v)
    except json.JSONDecodeError:
        return  # an ordinary comment that happens to contain a colon


def _parse_json_dataset(text: str) -> tuple[list[Any], list[Any], dict[str, Any]]:
    """(edges_kev, counts, metadata) of an exonu JSON data set; ValueError saying what is wrong."""
    doc = json.loads(text)
    if not isinstance(doc, dict) or "edges_kev" not in doc or "counts" not in doc:
        raise ValueError("expected a JSON object with edges_kev and counts")
    edges, counts, meta = doc["edges_kev"], doc["counts"], doc.get("metadata", {})
    if not isinstance(edges, list) or not isinstance(counts, list):
        raise ValueError("edges_kev and counts must be JSON lists of numbers")
    if not isinstance(meta, dict):
        raise ValueError(f"metadata must be a JSON object; got {type(meta).__name__}")
    return edges, counts, dict(meta)


def read_dataset(path: str | Path, binning: Binning | None = None) -> Dataset:
    """Read a data set: an exonu data-set file (JSON or ``low high counts`` text) or an event list.

    Parameters
    ----------
    path : str or Path
    binning : Binning, optional
        The analysis window. Binned files must match its edges; an event list (one energy in keV per
        row) is binned into it and needs it.

    Raises
    ------
    ConfigError
        Naming the file, if it is missing, unreadable or not a valid data set.
    """
    if not isinstance(path, (str, Path)):
        raise InputError(f"read_dataset: path must be a file name; got {type(path).__name__}")
    if binning is not None and not isinstance(binning, Binning):
        raise InputError(f"read_dataset: binning must be a Binning (a window's); got {type(binning).__name__}")
    path = Path(path)
    text = read_text_input(path, "data file")
    meta: dict[str, Any] = {}
    edges: list[Any] | np.ndarray
    counts: list[Any] | np.ndarray
    try:
        if path.suffix.lower() == ".json":
            edges, counts, meta = _parse_json_dataset(text)
        else:
            rows = []
            for number, ln in enumerate(text.splitlines(), start=1):
                s = ln.strip()
                if not s:
                    continue
                if s.startswith("#"):
                    _parse_metadata_line(s[1:], meta)
                    continue
                try:
                    rows.append([float(x) for x in s.replace(",", " ").split()])
                except ValueError:
                    raise ValueError(f"line {number} is not numeric") from None
                if len(rows[-1]) != len(rows[0]):
                    raise ValueError(f"line {number} has {len(rows[-1])} columns but the first row has {len(rows[0])}")
            if not rows:
                raise ValueError("no data rows")
            arr = np.array(rows, dtype=float)
            if arr.shape[1] == 1:
                if binning is None:
                    raise ValueError("an event list (one energy per row) needs the analysis window to be binned in")
                if not np.all(np.isfinite(arr)):
                    raise ValueError("event energies must be finite")
                if np.any(arr < 0):
                    raise ValueError(f"event energies must be ≥ 0 keV; found {arr[arr < 0][0]:g}")
                ds = dataset_from_events(arr[:, 0], binning, str(path))
                return Dataset(ds.edges_kev, ds.counts, {**meta, **ds.metadata})
            if arr.shape[1] != 3:
                raise ValueError("expected three columns (low_kev high_kev counts) or one (an event list, keV)")
            if arr.shape[0] > 1 and np.any(np.abs(arr[1:, 0] - arr[:-1, 1]) > 1e-9 * np.abs(arr[1:, 0]).max()):
                raise ValueError("bins are not contiguous (each low edge must equal the previous high edge)")
            edges, counts = np.append(arr[:, 0], arr[-1, 1]), arr[:, 2]
    except (ValueError, OverflowError) as exc:  # JSONDecodeError is a ValueError
        raise ConfigError(f"{path}: not a valid data set ({exc})") from None
    except RecursionError:  # json recurses once per nesting level
        raise ConfigError(f"{path}: not a valid data set (nested too deeply)") from None
    if any(isinstance(x, bool) for x in (*edges, *counts)):
        raise ConfigError(f"{path}: edges_kev and counts must be numbers, not true/false")
    b = Binning(edges, key=f"{path}: edges_kev", error=ConfigError)
    try:
        c = np.asarray(counts, dtype=float)
    except OverflowError:  # e.g. a 400-digit integer
        raise ConfigError(f"{path}: a count is beyond the float range") from None
    except (TypeError, ValueError):
        raise ConfigError(f"{path}: counts must be a flat list of numbers") from None
    if c.shape != (b.n_bins,):
        raise ConfigError(f"{path}: {b.n_bins} bins but counts of shape {c.shape}")
    if np.any(c < 0) or not np.all(np.isfinite(c)):
        raise ConfigError(f"{path}: counts must be finite and ≥ 0")
    if np.any(c > MAX_COUNT_PER_BIN):
        raise ConfigError(
            f"{path}: a count of {c.max():.3g} events in one bin is beyond any detector's "
            f"(at most {MAX_COUNT_PER_BIN:.0e}); check the file"
        )
    if binning is not None and not (binning.n_bins == b.n_bins and np.allclose(binning.edges_kev, b.edges_kev)):
        raise ConfigError(f"{path}: bin edges ({b!r}) do not match the analysis window ({binning!r})")
    dev = float(np.max(np.abs(c - np.round(c))))
    if dev >= _INTEGER_TOLERANCE and not (meta.get("asimov") or meta.get("allow_non_integer_counts")):
        raise ConfigError(
            f"{path}: counts must be event numbers (integers); found values up to {dev:.2f} from an "
            "integer. Asimov files carry metadata 'asimov: true'; weighted spectra 'allow_non_integer_counts: true'"
        )
    return Dataset(b.edges_kev, c, meta)
