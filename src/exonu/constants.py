"""Physical constants and the one unit convention of exonu.

Convention (one for the whole package, declared here): every public function takes and returns
energies in **keV**, cross sections in **cm²** (differential ones in cm² keV⁻¹ per target electron),
fluxes in cm⁻² s⁻¹, exposure in kg·day, and rates in events/(t·yr·keV) or events/(kg·day·keV), named
explicitly. Inside the cross section formulas we work in natural units with energies in MeV and
convert once with (ħc)²; the only keV↔MeV conversions in the package use :data:`KEV_PER_MEV`.

Sources: CODATA 2018 (α, m_e, ħc, m_p, m_d, N_A), PDG (G_F), IUPAC (Xe molar mass); values as listed
in docs/physics.md §1.
"""

# --- conversion factors -------------------------------------------------------------------------
KEV_PER_MEV = 1.0e3
EV_PER_KEV = 1.0e3
SECONDS_PER_DAY = 86400.0
DAYS_PER_YEAR = 365.25  # Julian year; docs/physics.md §1 asks for one choice, documented
SECONDS_PER_YEAR = DAYS_PER_YEAR * SECONDS_PER_DAY
KG_PER_TONNE = 1.0e3

# --- CODATA 2018 / PDG --------------------------------------------------------------------------
ALPHA = 7.2973525693e-3  # fine-structure constant
ELECTRON_MASS_MEV = 0.51099895000
HBARC_MEV_CM = 1.973269804e-11
HBARC2_MEV2_CM2 = HBARC_MEV_CM**2  # 1 MeV⁻² = 3.8938e-22 cm²
FERMI_CONSTANT_MEV2 = 1.1663787e-11  # G_F/(ħc)³ in MeV⁻²
PROTON_MASS_MEV = 938.27208816
DEUTERON_MASS_MEV = 1875.61294257
AVOGADRO = 6.02214076e23

# --- xenon target ---------------------------------------------------------------------------------
XENON_Z = 54
XENON_MOLAR_MASS_G = 131.293  # IUPAC standard atomic weight, natural xenon
XENON_ATOMS_PER_KG = AVOGADRO * 1000.0 / XENON_MOLAR_MASS_G  # 4.58680e24
XENON_ATOMS_PER_TONNE = XENON_ATOMS_PER_KG * KG_PER_TONNE

# --- rate units -----------------------------------------------------------------------------------
#: multiply a rate in events/(t·yr·keV) by this to get events/(kg·day·keV)
PER_TONNE_YEAR_TO_PER_KG_DAY = 1.0 / (KG_PER_TONNE * DAYS_PER_YEAR)
