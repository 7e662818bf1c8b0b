"""The marker registry: what each laboratory marker is called, its units and their factors, the
range a real result can have, its role in the verdict and in cB12 (``data/markers.yaml``).

Every place that lists markers reads a ``Registry``: the command-line options of ``labs``, batch
and history column names, ``--ref`` and ``--column`` keys, unit conversion, plausibility, the
verdict's direct and functional markers, and cB12's inputs. Units are matched case-insensitively
with the micro sign, Greek mu, ``mc`` and ``u`` alike (``µmol/L``, ``mcmol/L``, ``umol/L``).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from b12cli.domain.numbers import round_sig
from b12cli.domain.text import show
from b12cli.errors import UsageError

ROLES = ("direct", "functional", "cofactor")
CB12_SIDES = ("numerator", "denominator")


class UnitDef(NamedTuple):
    unit: str  # as shown: pg/mL, umol/L (ASCII, as JSON carries units)
    multiply: float  # canonical = value x multiply / divide
    divide: float
    aliases: tuple[str, ...]  # other spellings of the same unit (nmol/mL for umol/L)

    @property
    def is_identity(self) -> bool:
        return self.multiply == self.divide


class UnitGuess(NamedTuple):
    """A value this large with no unit is almost surely in ``unit``: it is refused until the unit is named."""

    at_least: float
    unit: str


class Cb12Input(NamedTuple):
    unit: str  # the unit the cB12 formula takes this marker in
    side: str  # numerator or denominator of the log ratio


def unit_key(text: str) -> str:
    """A unit spelling as it is compared: µ, μ and mc read as u; case and spaces ignored."""
    key = text.strip().replace("\u00b5", "u").replace("\u03bc", "u").casefold().replace(" ", "")
    return re.sub(r"^mc(?=[a-z]+/)", "u", key)


class Marker(NamedTuple):
    id: str
    label: str  # short, for tables and messages: B12, holoTC, MMA
    name: str  # for prose: Serum B12 (total)
    canonical_unit: str
    units: tuple[UnitDef, ...]
    plausible: tuple[float, float]  # in the canonical unit
    unit_guess: UnitGuess | None
    role: str  # one of ROLES
    cb12: Cb12Input | None
    options: tuple[str, ...]  # command-line options, the first the main one (--b12)
    headers: tuple[str, ...]  # CSV column names that mean this marker
    stems: tuple[str, ...]  # a column holding one of these looks like this marker
    limit_example: str  # "<150 or >2000", in this marker's canonical unit
    sources: tuple[str, ...]

    @property
    def option(self) -> str:
        return self.options[0]

    @property
    def unit_option(self) -> str | None:
        """``--b12-unit``: only for a marker with more than one unit."""
        return f"{self.option}-unit" if len(self.units) > 1 else None

    @property
    def unit_names(self) -> tuple[str, ...]:
        return tuple(u.unit for u in self.units)

    def unit_def(self, unit: str) -> UnitDef:
        for u in self.units:
            if u.unit == unit:
                return u
        raise KeyError(unit)

    def find_unit(self, text: str) -> str | None:
        """The unit's own spelling for any accepted spelling of it, or None."""
        key = unit_key(text)
        for u in self.units:
            if unit_key(u.unit) == key or any(unit_key(a) == key for a in u.aliases):
                return u.unit
        return None

    def normalize_unit(self, text: str, label: str) -> str:
        """The unit's own spelling, or a ``UsageError`` naming ``label`` and the units accepted."""
        unit = self.find_unit(text)
        if unit is None:
            raise UsageError(f"{label} {show(text)} is not a known unit of {self.label}; "
                             f"expected one of {', '.join(self.unit_names)}")
        return unit

    def to_canonical(self, value: float, unit: str) -> float:
        u = self.unit_def(unit)
        return value if u.is_identity else round_sig(value * u.multiply / u.divide)

    def from_canonical(self, value: float, unit: str) -> float:
        u = self.unit_def(unit)
        return value if u.is_identity else round_sig(value * u.divide / u.multiply)

    def same_scale(self, a: str, b: str) -> bool:
        """Whether two units read the same numbers (pg/mL and ng/L)."""
        x, y = self.unit_def(a), self.unit_def(b)
        return x.multiply * y.divide == y.multiply * x.divide


class Registry(NamedTuple):
    markers: tuple[Marker, ...]  # in the order results are shown

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.markers)

    def __contains__(self, marker_id: object) -> bool:
        return any(m.id == marker_id for m in self.markers)

    def get(self, marker_id: str) -> Marker:
        for m in self.markers:
            if m.id == marker_id:
                return m
        raise KeyError(marker_id)

    def with_role(self, role: str) -> tuple[str, ...]:
        return tuple(m.id for m in self.markers if m.role == role)

    @property
    def cb12_inputs(self) -> tuple[str, ...]:
        """The markers the combined indicator needs, all of them measured."""
        return tuple(m.id for m in self.markers if m.cb12 is not None)

    def order(self, ids: object) -> list[str]:
        """The given ids in registry order."""
        wanted = set(ids)  # type: ignore[arg-type]
        return [m for m in self.ids if m in wanted]

    def by_option(self, option: str) -> Marker | None:
        return next((m for m in self.markers if option in m.options), None)

    def parse_id(self, text: str, what: str) -> str:
        """A marker id from what a person typed (any case), or a ``UsageError`` listing the ids."""
        key = text.strip().casefold()
        if key in self:
            return key
        raise UsageError(f"{what} {show(text)} is not a known marker; expected one of {', '.join(self.ids)}")
