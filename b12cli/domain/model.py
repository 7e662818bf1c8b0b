"""The knowledge base's records: frozen, cited, and free of any file or format. The loader
(``b12cli.kb``) builds them from the validated YAML; the domain reads only these."""

from __future__ import annotations

import math
from typing import NamedTuple

from b12cli.domain.bands import Cuts, Interval, locate
from b12cli.domain.markers import Marker, Registry
from b12cli.domain.rules import Rules
from b12cli.domain.vocab import Cited


class Source(NamedTuple):
    id: str
    title: str
    author: str | None
    publisher: str | None
    year: int | None
    url: str | None
    kind: str
    notes: tuple[str, ...] = ()  # how the knowledge base reads the source where it is unclear


class Message(NamedTuple):
    id: str
    text: str
    sources: tuple[str, ...]

    def cited(self) -> str:
        """The text with its sources, for a plain-string note."""
        return f"{self.text} (sources: {', '.join(self.sources)})"


class LifeStage(NamedTuple):
    id: str
    life_stage: str
    ages: str
    condition: str
    min_months: int
    max_months: int | None
    mcg_per_day: float | None  # None: a figure this reference does not hold (only in a --guideline table)
    kind: str  # RDA | AI | RNI
    notes: tuple[str, ...]
    sources: tuple[str, ...]

    def covers(self, months: int) -> bool:
        return months >= self.min_months and (self.max_months is None or months < self.max_months)


class Guideline(NamedTuple):
    """A body's table of daily intakes (--guideline)."""

    id: str  # us | uk | efsa
    name: str
    short: str
    sources: tuple[str, ...]
    life_stages: tuple[LifeStage, ...]


class Intakes(NamedTuple):
    unit: str
    life_stages: tuple[LifeStage, ...]  # the chosen guideline's table (the US one unless chosen())
    messages: dict[str, Message]
    guidelines: dict[str, Guideline] = {}
    guideline: str = "us"

    def chosen(self, guideline: str) -> Intakes:
        """The same intakes with another body's table in use."""
        return self._replace(life_stages=self.guidelines[guideline].life_stages, guideline=guideline)

    @property
    def body(self) -> Guideline:
        return self.guidelines[self.guideline]


class FoodAbsorption(NamedTuple):
    """A measured uptake from one food: at measured_dose_mcg, absorbed_mcg on average (low to high)."""

    measured_dose_mcg: float
    absorbed_mcg: float
    absorbed_mcg_low: float
    absorbed_mcg_high: float
    text: str
    sources: tuple[str, ...]


class Food(NamedTuple):
    id: str
    name: str
    serving: str
    mcg_per_serving: float
    mcg_per_100g: float | None
    category: str
    vegan: bool
    vegetarian: bool
    fortified: bool
    notes: tuple[str, ...]
    sources: tuple[str, ...]
    serving_g: float | None = None  # grams in one serving, where known
    aliases: tuple[str, ...] = ()  # other names and brand names it is searched by
    brand_dependent: bool = False  # brands or countries differ (check the label): the notes say how
    absorption: FoodAbsorption | None = None  # a measured uptake, where the sources give one

    @property
    def caveats(self) -> tuple[str, ...]:
        """For a brand- or country-dependent food, the notes that say how brands differ (each mentions the label
        or a brand; the loader checks there is at least one)."""
        return tuple(n for n in self.notes if is_caveat(n)) if self.brand_dependent else ()


def is_caveat(note: str) -> bool:
    text = note.casefold()
    return "label" in text or "brand" in text


class Foods(NamedTuple):
    daily_value_mcg: float
    daily_value_sources: tuple[str, ...]
    foods: tuple[Food, ...]
    messages: dict[str, Message]


class NameNote(NamedTuple):
    names: tuple[str, ...]  # the generic or brand names this note is about
    text: str
    sources: tuple[str, ...]


class MedicationClass(NamedTuple):
    id: str
    name: str
    generic_names: tuple[str, ...]
    brand_names: tuple[str, ...]
    effect: str
    advice: str
    notes: tuple[str, ...]
    sources: tuple[str, ...]
    name_notes: tuple[NameNote, ...] = ()
    brand_generics: dict[str, str] = {}  # brand -> the generic name it contains
    other_names: dict[str, str] = {}  # a name people use that is neither generic nor brand -> its generic

    def generic_for(self, name: str) -> str | None:
        """The generic name behind a generic or brand name of this class."""
        if name in self.generic_names:
            return name
        return self.brand_generics.get(name)


class Combination(NamedTuple):
    brand: str
    ingredients: tuple[str, ...]  # generic names, listed or not
    region: str
    sources: tuple[str, ...]


class Medications(NamedTuple):
    classes: tuple[MedicationClass, ...]
    messages: dict[str, Message]
    combinations: tuple[Combination, ...] = ()


class Band(NamedTuple):
    status: str
    interval: Interval
    sources: tuple[str, ...]


class Scale(NamedTuple):
    """A marker's bands with their edges in one unit."""

    unit: str
    bands: tuple[Band, ...]
    cuts: Cuts

    def band_for(self, value: float) -> Band:
        """The band holding ``value`` (in this scale's unit): ``bands.locate``, the one lookup."""
        return self.bands[locate(self.cuts, value)]


class MarkerBands(NamedTuple):
    marker: str
    unit: str  # canonical
    notes: tuple[str, ...]
    bands: tuple[Band, ...]
    cuts: Cuts
    published: dict[str, Scale]  # the same bands with their edges as the source published them in other units

    def band_for(self, value: float) -> Band:
        """The band holding a canonical ``value``."""
        return self.bands[locate(self.cuts, value)]

    def scale(self, unit: str) -> Scale:
        """The scale to compare a result given in ``unit`` with: the source's own edges in that unit
        where it published them (NICE: 133 pmol/L), else the canonical edges."""
        found = self.published.get(unit)
        return found if found is not None else Scale(self.unit, self.bands, self.cuts)

    def segments(self, marker: Marker, unit: str) -> list[tuple[str, float, float]]:
        """The bands as (status, lower, upper) in ``unit``, as charts and gauges draw them: the source's own
        edges where it published them in that unit, else converted (open ends stay infinite)."""
        scale = self.scale(unit)
        if scale.unit == unit:
            return [(b.status, b.interval.lower, b.interval.upper) for b in scale.bands]

        def convert(x: float) -> float:
            return x if math.isinf(x) else marker.from_canonical(x, unit)

        return [(b.status, convert(b.interval.lower), convert(b.interval.upper)) for b in scale.bands]

    def drawn_band(self, unit: str, value: float, canonical: float, censored: str | None) -> int:
        """The index of the band a result is drawn in: its value on the scale of ``unit``, and a limit
        strictly on the side it points to ("<150" below 150, so in the band under that edge)."""
        scale = self.scale(unit)
        x = value if scale.unit == unit else canonical
        if censored in ("<", ">"):
            x = math.nextafter(x, -math.inf if censored == "<" else math.inf)
        return scale.bands.index(scale.band_for(x))


class Urgency(NamedTuple):
    """A range of a marker (canonical unit) in which a result calls for prompt care."""

    marker: str
    interval: Interval
    message: str  # a message id
    sources: tuple[str, ...]


class Scheme(NamedTuple):
    id: str
    title: str
    description: str
    sources: tuple[str, ...]
    markers: dict[str, MarkerBands]


class Thresholds(NamedTuple):
    registry: Registry  # the markers these bands are for (markers.yaml)
    disclaimer: str
    schemes: dict[str, Scheme]
    cb12_sources: tuple[str, ...]
    cb12_notes: tuple[str, ...]
    cb12_bands: MarkerBands
    urgency: tuple[Urgency, ...]
    messages: dict[str, Message]
    rules: Rules | None = None  # the verdict table (rules.yaml), joined on by the knowledge base


class Topic(NamedTuple):
    id: str
    title: str
    summary: str
    aliases: tuple[str, ...]
    points: tuple[Cited, ...]  # each point: text and its sources


class LoincCode(NamedTuple):
    code: str
    marker: str
    name: str
    sources: tuple[str, ...]
    property: str = "SCnc"  # LOINC's property axis: MCnc (mass) or SCnc (moles) per volume
    specimen: str = "Ser/Plas"  # LOINC's system axis
    shortname: str | None = None


class Loinc(NamedTuple):
    system: str
    codes: dict[str, LoincCode]  # code -> record
    notes: tuple[str, ...]
    not_markers: dict[str, str] = {}  # code -> why it is not a marker (red cell folate, urine MMA, ...)


class RiskSymptom(NamedTuple):
    id: str
    name: str
    aliases: tuple[str, ...]
    urgency: str  # urgent | prompt | routine: how soon care is needed for this symptom alone
    counts_for_testing: bool  # on NICE's list of common symptoms as its summaries give it
    listed_by: tuple[str, ...]  # source ids of who lists it
    text: str
    sources: tuple[str, ...]


class RiskFactor(NamedTuple):
    id: str
    name: str
    aliases: tuple[str, ...]
    min_age_years: float | None  # --age above this adds the factor
    diet: str | None  # --diet value that adds it
    pregnancy: bool  # --pregnant adds it
    medication_classes: tuple[str, ...]  # medications.yaml class ids that add it (--meds)
    counts_for_testing: bool  # on NICE's list of common risk factors as its summaries give it
    listed_by: tuple[str, ...]
    escalates: str  # none | prompt | urgent_with_neurological: what it does to the urgency of a symptom
    advice: str | None  # a message id shown whenever the factor matches
    text: str
    sources: tuple[str, ...]


class Risk(NamedTuple):
    symptoms: tuple[RiskSymptom, ...]
    factors: tuple[RiskFactor, ...]
    messages: dict[str, Message]


class AbsorptionPoint(NamedTuple):
    dose_mcg: float
    absorbed_mcg: float
    text: str
    sources: tuple[str, ...]


class Absorption(NamedTuple):
    points: tuple[AbsorptionPoint, ...]  # ascending dose
    saturation_low_mcg: float
    saturation_high_mcg: float
    saturation: Message
    passive_fraction: float
    passive: Message
    spacing_hours: int
    spacing: Message
    max_dose_mcg: float
    rda_mcg: float
    assumed_fraction: float
    reference: Message
    messages: dict[str, Message]
    below_first_high_fraction: float = 0.56  # the range's high end below the first point
    passive_fraction_high: float = 0.015  # above the last point: the high end's passive share
    no_if_low_fraction: float = 0.005  # without intrinsic factor: the low end's share
    spread: Message | None = None  # why the sources spread
    food_coefficient: float = 0.3824  # food: absorbed = coefficient x dose^exponent (mcg)
    food_exponent: float = 0.7694
    food_max_measured_mcg: float = 38.0
    food_fit: Message | None = None


class IntakeDefault(NamedTuple):
    word: str
    food: str  # a foods.yaml id
    reason: str
    sources: tuple[str, ...]


class Intake(NamedTuple):
    defaults: tuple[IntakeDefault, ...]
    messages: dict[str, Message]


class ChangeFigures(NamedTuple):
    """How much one marker varies between repeated results of one person (variation.yaml), or a
    laboratory's own figures given with ``--rcv`` (``own``)."""

    marker: str
    cv_analytical: float | None  # percent; None where the within-person figure already holds the assay's
    cv_within: float  # percent
    text: str
    sources: tuple[str, ...]
    notes: tuple[Cited, ...] = ()
    own: bool = False


class Variation(NamedTuple):
    """Reference change values: the figures per marker and how the limits are worked out."""

    model: str  # log_normal
    confidence_percent: float
    z: float
    method: Cited
    figures: dict[str, ChangeFigures]  # by marker; a marker absent here has no reference change value
    messages: dict[str, Message]
