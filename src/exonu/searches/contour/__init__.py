"""Two-parameter confidence regions: the profile likelihood of a signal on a grid of two of its parameters.

The excess over the Standard Model of every signal with a region here is a polynomial of degree two in
its parameters (x, y), with no constant term (the SM is in the background):

* contact NSI: the chiral couplings shift, g_L → g_L + ε^{eL}, g_R → g_R + ε^{eR}, and dσ/dT is
  quadratic in the shifts (:mod:`exonu.xsec.chiral`); vector ε^{eV}_{αα} = 2 ε^{eL}_{αα} = 2 ε^{eR}_{αα}
  per flavour α (:mod:`exonu.xsec.nsi`);
* the charge radius ⟨r²_{ν_α}⟩ per flavour: Δg_V^α ∝ ⟨r²⟩, the same quadratic form
  (:mod:`exonu.xsec.charge_radius`);
* the magnetic moment and the millicharge per flavour: dσ/dT ∝ μ_α², q_α² (no interference).

So with u = x/x_s, v = y/y_s (x_s, y_s the parameters' scales) the rate of every window is
R(u, v) = Σ_k m_k(u, v) R_k with the monomials m = (u, u², v, v², uv). The five R_k follow exactly from
the rate at five points, (1, 0), (2, 0), (0, 1), (0, 2), (1, 1), and are checked at a sixth, (2, 1);
every grid point then costs a linear combination, one fold and one profile of the nuisances (no
spectrum is recomputed). At each point the signal's systematics are the detector's own
(``WindowSetup.signal_systematics`` of that point's spectrum), as in a one-parameter search at that
parameter value.

The statistic is q(x, y) = χ²_min(x, y) − χ²_min: the nuisances are profiled at every point and the
global minimum is refined by a local minimisation from the best grid point. The region at confidence
level cl is q ≤ q_c, with q_c from Wilks' theorem for two parameters (the χ²₂ quantile, −2 ln(1 − cl)
= 4.605 at 90 %; S. S. Wilks, Ann. Math. Stat. 9 (1938) 60), or, with ``method="fc"``, the cl quantile
of q in toys drawn at each point of a coarser grid, the nuisances at their values fitted to the data
at that point (the Feldman–Cousins ordering with profiled nuisances: G. J. Feldman, R. D. Cousins,
PRD 57 (1998) 3873; the "profile construction", PDG Review of Particle Physics, Statistics §40.4.2.3).

The grid is set from the data: along each axis a ladder of values (factors of 2 from a sixteenth of
the parameter's scale up to its physical bound) brackets the one-parameter region; a coarse grid over
that box is extended on every side the region touches (an NSI region is an annulus around
ε = −(g_L, g_R), reaching far beyond the one-parameter limits near the SM), and the final grid spans
the region's bounding box with a margin of two coarse cells.

A mediator's signal is not a quadratic form in its coupling and mass: its region is made column by
column, one mass at a time, with the one-parameter search's model at that mass (:mod:`.mediator`,
:mod:`.mediator_region`; log axes in both, the no-signal boundary g = 0 said where the region reaches it).

Modules, in the order a region is made: :mod:`.parameters` (what can be drawn, thresholds),
:mod:`.quadratic` (the monomial templates), :mod:`.problem` (the profile likelihood at a point),
:mod:`.grid` (the grid and its widening, one-parameter intervals), :mod:`.toys` (toy thresholds),
:mod:`.region` (the search and its result).
"""

from .grid import axis_values, one_parameter_interval
from .mediator import (
    ColumnProfile,
    ColumnSurvey,
    MassColumn,
    MediatorSearch,
    mediator_toy_threshold,
    profile_column,
    survey_column,
)
from .mediator_region import ColumnAxis, coupling_axes, mediator_region, region_lines
from .parameters import REGION_PARAMETERS, RegionParameter, check_parameters, interval_threshold, region_threshold
from .problem import ProgressBar, RegionProblem, region_problem
from .quadratic import WindowTemplates, excess_interactions, monomials, window_templates
from .region import (
    METHODS,
    ConfidenceRegion,
    closed_contour_lines,
    confidence_region,
    contour_lines,
    expected_region,
    method_description,
)
from .toys import ToyUnit, profiles_per_unit, toy_threshold, unit_seed

__all__ = [
    "METHODS",
    "REGION_PARAMETERS",
    "ColumnAxis",
    "ColumnProfile",
    "ColumnSurvey",
    "ConfidenceRegion",
    "MassColumn",
    "MediatorSearch",
    "ProgressBar",
    "RegionParameter",
    "RegionProblem",
    "ToyUnit",
    "WindowTemplates",
    "axis_values",
    "check_parameters",
    "closed_contour_lines",
    "confidence_region",
    "contour_lines",
    "coupling_axes",
    "excess_interactions",
    "expected_region",
    "interval_threshold",
    "mediator_region",
    "mediator_toy_threshold",
    "method_description",
    "monomials",
    "one_parameter_interval",
    "profile_column",
    "profiles_per_unit",
    "region_lines",
    "region_problem",
    "region_threshold",
    "survey_column",
    "toy_threshold",
    "unit_seed",
    "window_templates",
]
