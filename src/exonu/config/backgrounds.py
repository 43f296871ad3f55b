"""A detector's background model from its parts: anchored amplitudes (``background.anchor``), region
corrections, shape systematics, and :class:`BackgroundBuilder`, which builds the model for any binning.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..detector import (
    BackgroundComponent,
    BackgroundModel,
    Binning,
    DetectorModel,
    EmpiricalComponent,
    RegionCorrection,
    SolarSMComponent,
    overlap_fractions,
)
from ..errors import ConfigError
from .detector_parts import with_config_key
from .schema import DetectorCfg, EmpiricalCfg

if TYPE_CHECKING:  # annotations only: the spectrum layer is imported lazily where it is used
    from ..spectrum import RecoilSpectrum


__all__ = ["BackgroundBuilder", "anchored_components"]


def _corrected(
    templates: np.ndarray, edges_kev: np.ndarray, names: list[str], corrections: list[RegionCorrection]
) -> np.ndarray:
    out = templates.copy()
    for corr in corrections:
        mult = corr.multiplier(edges_kev)
        for n in corr.applies_to:
            out[names.index(n)] *= mult
    return out


def anchored_components(
    cfg: DetectorCfg,
    path: Path,
    detector: DetectorModel,
    components: list[BackgroundComponent],
    corrections: list[RegionCorrection],
    spectrum: RecoilSpectrum | None = None,
) -> tuple[list[BackgroundComponent], dict[str, dict[str, float]]]:
    """Compute the anchored amplitudes, then construct the final components with them (no mutation)."""
    # only empirical components have an anchor_share
    share_of = {
        i: c.anchor_share
        for i, c in enumerate(cfg.background.components)
        if isinstance(c, EmpiricalCfg) and c.anchor_share is not None
    }
    anchored = list(share_of)
    if not anchored:
        return components, {}
    anchor = cfg.background.anchor
    if anchor is None:
        raise ConfigError(f"{path}: key 'background.anchor' is required when a component has anchor_share")
    shares = sum(share_of.values())
    if abs(shares - 1.0) > 1e-6:
        raise ConfigError(f"{path}: key 'background.components[].anchor_share': shares must add up to 1; got {shares}")
    names = [c.name for c in components]
    ab = Binning([anchor.energy_kev - anchor.half_width_kev, anchor.energy_kev + anchor.half_width_kev])
    a_resp = with_config_key("background.anchor", path, detector.response, ab)
    raw = np.array(
        [
            with_config_key(f"background.components[{j}]", path, c.expected_counts, a_resp, spectrum)
            for j, c in enumerate(components)
        ]
    )
    a_counts = _corrected(raw, ab.edges_kev, names, corrections)[:, 0] / (a_resp.exposure_kg_day * ab.widths_kev[0])
    fixed = sum(a_counts[j] for j in range(len(components)) if j not in anchored)
    remainder = anchor.rate_per_kg_day_kev - fixed
    if remainder <= 0:
        raise ConfigError(
            f"{path}: key 'background.anchor.rate_per_kg_day_kev': the other components already give "
            f"{fixed:.3g} /(kg·day·keV) at {anchor.energy_kev} keV, more than the anchor "
            f"{anchor.rate_per_kg_day_kev:.3g}"
        )
    out = list(components)
    amplitudes: dict[str, float] = {}
    for i in anchored:
        if not a_counts[i] > 0:
            raise ConfigError(
                f"{path}: key 'background.components[{i}]': the anchored component gives no events "
                f"at the anchor energy {anchor.energy_kev} keV"
            )
        amp = float(share_of[i] * remainder / a_counts[i])
        anchored_component = components[i]
        assert isinstance(anchored_component, EmpiricalComponent)  # built from the EmpiricalCfg at index i
        out[i] = dataclasses.replace(anchored_component, rate_per_kg_day_kev=amp)
        amplitudes[names[i]] = amp
    return out, {"anchored_amplitude_per_kg_day_kev_at_pivot": amplitudes}


@dataclasses.dataclass(frozen=True)
class BackgroundBuilder:
    """What a detector's background model is built from; :meth:`model` builds it for any binning.

    Attributes
    ----------
    cfg : DetectorCfg
        The validated config (shape systematics, description, ``includes_solar_sm``).
    path : Path
        The config file, named in errors.
    detector : DetectorModel
    components : list of BackgroundComponent
        The final components (anchored amplitudes already set).
    corrections : list of RegionCorrection
    notes : dict
        Derived numbers recorded with every model (the anchored amplitudes).
    spectrum : RecoilSpectrum or None
        Spectrum of the SM solar-ν component (None: the paper's default).
    """

    cfg: DetectorCfg
    path: Path
    detector: DetectorModel
    components: list[BackgroundComponent]
    corrections: list[RegionCorrection]
    notes: dict[str, dict[str, float]]
    spectrum: RecoilSpectrum | None = None

    def model(self, binning: Binning, where: str = "background") -> BackgroundModel:
        """Templates, shape systematics and activity σ's of every component in ``binning`` (``where``:
        the config key of the window, named in errors)."""
        cfg, path, components, spectrum = self.cfg, self.path, self.components, self.spectrum
        names = [c.name for c in components]
        response = with_config_key(where, path, self.detector.response, binning)
        raw = np.array(
            [
                with_config_key(f"{where} (component {c.name})", path, c.expected_counts, response, spectrum)
                for c in components
            ]
        )
        edges = binning.edges_kev
        templates = _corrected(raw, edges, names, self.corrections)
        sys_names, shape_sys = self.shape_systematics(binning, templates)
        # activity σ's (the SM solar-ν σ follows from the flux shares in this window)
        sigma = [
            c.flux_weighted_sigma(response, spectrum) if isinstance(c, SolarSMComponent) else c.activity_sigma
            for c in components
        ]
        includes_sm = cfg.background.includes_solar_sm or any(c.includes_solar_sm for c in components)
        return with_config_key(
            where,
            path,
            BackgroundModel,
            binning=binning,
            names=tuple(names),
            labels=tuple(c.label for c in components),
            groups=tuple(c.group for c in components),
            templates=templates,
            sigma_nominal=np.array(sigma),
            free_in_searches=tuple(c.free_in_searches for c in components),
            shape_sys=shape_sys,
            sys_names=tuple(sys_names),
            includes_solar_sm=includes_sm,
            description=cfg.description,
            notes=dict(self.notes),
        )

    def shape_systematics(self, binning: Binning, templates: np.ndarray) -> tuple[list[str], np.ndarray]:
        """Shape systematics in ``binning``: one per region of each data-driven correction, then the
        configured ones; absolute count shifts per +1σ, shape (n_sys, n_comp, n_bins)."""
        names = [c.name for c in self.components]
        edges = binning.edges_kev
        sys_rows, sys_names = [], []
        for corr in self.corrections:
            frac = overlap_fractions(edges, corr.region_edges_kev)
            for r, label in enumerate(corr.region_labels()):
                if not np.any(frac[r] > 0):
                    continue
                row = np.zeros_like(templates)
                for n in corr.applies_to:
                    j = names.index(n)
                    # the uncertainty is a fraction of the *uncorrected* MC, like the correction itself
                    row[j] = corr.uncertainties[r] * frac[r] * templates[j] / (1.0 + corr.factors[r] * frac[r])
                sys_rows.append(row)
                sys_names.append(label)
        centres = binning.centres_kev
        for s in self.cfg.background.shape_systematics:
            if s.form == "log_slope":
                delta = s.fraction * np.log10(centres / s.pivot_kev)
            else:
                high = s.high_kev if np.isfinite(s.high_kev) else max(s.low_kev, edges[-1]) + 1.0
                delta = (
                    s.fraction * overlap_fractions(edges, [s.low_kev, high])[0]
                    if high > s.low_kev
                    else np.zeros_like(centres)
                )
            if not np.any(delta != 0):
                continue
            row = np.zeros_like(templates)
            for n in s.applies_to:
                row[names.index(n)] = delta * templates[names.index(n)]
            sys_rows.append(row)
            sys_names.append(s.name)
        shape_sys = np.array(sys_rows) if sys_rows else np.zeros((0, *templates.shape))
        return sys_names, shape_sys
