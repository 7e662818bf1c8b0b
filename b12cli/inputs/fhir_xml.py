"""FHIR R4 XML (https://hl7.org/fhir/R4/xml.html): a Bundle or a single resource, turned into the
same dicts the JSON reader gives, so that ``fhir.read_observation`` checks both: two readers of
syntax, one of meaning.

The XML form has every primitive as an element with a ``value`` attribute (``<status
value="final"/>``), lists as repeated elements, and the resource type as the element's name
(``<Observation>``, or ``Bundle/entry/resource/Observation``). Elements named in ``LISTS`` are
always lists, as in JSON; another element that repeats becomes a list too, which the reader then
refuses where it expects one value. A Quantity's ``value`` is a decimal and becomes a number.
Elements outside the FHIR namespace (the XHTML narrative) and extensions are not read.

Safety: only the standard library's expat parser, with no document type at all. FHIR XML never
has one, so a DOCTYPE (and with it every ENTITY declaration) is refused when the parser meets
it, before any entity is declared: no entity expansion ("billion laughs"), no external entity,
no other file is read. The document is parsed in chunks, and a Bundle's entries are handed on
as each one closes, so a large Bundle is never held as one tree.
"""

from __future__ import annotations

import re
from typing import Any, Iterator
from xml.parsers import expat

from b12cli.domain.history import Problem, Where
from b12cli.inputs.fhir import MAX_NUMBER_CHARS, Invalid, check_bundle_type

FHIR_NS = "http://hl7.org/fhir"
# Elements of 0..* cardinality among those read (and a few common others): a list even when single.
LISTS = frozenset({"coding", "referenceRange", "interpretation", "category", "identifier", "performer", "note",
                   "component", "hasMember", "derivedFrom", "basedOn", "partOf", "contained", "appliesTo", "link",
                   "entry"})
QUANTITIES = frozenset({"valueQuantity", "low", "high"})  # a child "value" of these is a decimal
NOT_READ = frozenset({"extension", "modifierExtension"})
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")  # FHIR's decimal
MAX_DEPTH = 64  # elements inside elements; FHIR resources need far fewer
CHUNK = 4 << 20  # bytes given to the parser at a time
DTD_REFUSED = ("a DOCTYPE declaration is refused: FHIR XML has none, and its entity declarations could expand "
               "without limit or read other files")
BOM = b"\xef\xbb\xbf"

Node = list  # [name, value attribute or None, children]


def _decimal(text: str) -> Any:
    """A FHIR decimal as a number; anything else stays text, for the reader to refuse by name."""
    return float(text) if len(text) <= MAX_NUMBER_CHARS and _DECIMAL.fullmatch(text) else text


def _members(children: list[Node], quantity: bool) -> dict:
    out: dict = {}
    repeated: set[str] = set()
    for name, value, kids in children:
        if value is not None:
            item = _decimal(value) if quantity and name == "value" else value
        elif kids:
            item = _members(kids, name in QUANTITIES)
        else:
            continue  # an empty element: no value (a primitive with only an id or extensions)
        if name in LISTS:
            out.setdefault(name, []).append(item)
        elif name in out:
            out[name] = (out[name] if name in repeated else [out[name]]) + [item]
            repeated.add(name)
        else:
            out[name] = item
    return out


def resource_of(node: Node) -> dict:
    """One resource element as the dict its JSON form parses to (for the elements the reader uses)."""
    resource = _members(node[2], False)
    resource["resourceType"] = node[0]
    return resource


class _Reader:
    """Expat handlers that build one resource at a time and queue what is ready."""

    def __init__(self, file: str) -> None:
        self.file = file
        parser = self.parser = expat.ParserCreate(namespace_separator=" ")
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = self._refuse
        parser.EntityDeclHandler = self._refuse
        parser.ExternalEntityRefHandler = self._refuse
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        self.ready: list[tuple[Any, Where] | Problem] = []
        self.path: list[str] = []  # names of the open FHIR elements
        self.skip_at: int | None = None  # depth of an element whose subtree is not read
        self.stack: list[Node] = []  # the resource being built, down to the open element
        self.bundle = False
        self.bundle_type: str | None = None
        self.checked = False
        self.entry = -1
        self.found: dict | None = None  # the current entry's resource
        self.extra = False  # the current entry holds more than one resource

    def _refuse(self, *_: Any) -> None:
        raise Invalid(DTD_REFUSED)

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        depth = len(self.path) + 1
        if self.skip_at is not None:
            self.path.append("")
            return
        if depth > MAX_DEPTH:
            raise Invalid(f"XML nested deeper than {MAX_DEPTH} elements")
        space, _, local = name.rpartition(" ")
        self.path.append(local)
        if space != FHIR_NS or (self.stack and local in NOT_READ):
            if depth == 1:
                where = f"in the namespace {space}" if space else "in no namespace"
                raise Invalid(f"not FHIR XML: the root element <{local}> is {where}; expected a FHIR resource in "
                              f"the namespace {FHIR_NS}")
            self.skip_at = depth
        elif self.stack:
            node: Node = [local, attrs.get("value"), []]
            self.stack[-1][2].append(node)
            self.stack.append(node)
        else:
            self._outside(depth, local, attrs)

    def _outside(self, depth: int, local: str, attrs: dict[str, str]) -> None:
        """An element outside any resource: the root, and a Bundle's type and entries."""
        if depth == 1:
            self.bundle = local == "Bundle"
            if not self.bundle:
                self.stack.append([local, None, []])
        elif depth == 2 and local == "type":
            self.bundle_type = attrs.get("value")
        elif depth == 2 and local == "entry":
            self._check_type()
            self.entry, self.found, self.extra = self.entry + 1, None, False
        elif depth == 4 and self.path[1:3] == ["entry", "resource"]:
            if self.found is not None or self.extra:
                self.extra, self.skip_at = True, depth
            else:
                self.stack.append([local, None, []])

    def _end(self, _: str) -> None:
        depth = len(self.path)
        local = self.path.pop()
        if self.skip_at is not None:
            if depth == self.skip_at:
                self.skip_at = None
            return
        if self.stack:
            node = self.stack.pop()
            if not self.stack:
                if self.bundle:
                    self.found = resource_of(node)
                else:
                    self.ready.append((resource_of(node), Where(self.file, None, None)))
        elif self.bundle and depth == 2 and local == "entry":
            where = Where(self.file, None, f"entry[{self.entry}]")
            if self.extra:
                self.ready.append(Problem("the entry's resource holds more than one resource", where))
            else:
                self.ready.append((self.found, where))
            self.found = None
        elif self.bundle and depth == 1:
            self._check_type()

    def _check_type(self) -> None:
        if not self.checked:
            check_bundle_type({"type": self.bundle_type})
            self.checked = True

    def take(self) -> list[tuple[Any, Where] | Problem]:
        ready, self.ready = self.ready, []
        return ready


def document_items(data: bytes, file: str) -> Iterator[tuple[Any, Where] | Problem]:
    """The resources of one FHIR XML document: a Bundle's entries as each closes, or the resource
    itself. A document that breaks off, or is refused, yields the entries before the break, then
    the error (with its line)."""
    data = data[len(BOM):] if data.startswith(BOM) else data
    text = data.lstrip(b" \t\r\n")
    lines_before = data[:len(data) - len(text)].count(b"\n")
    reader = _Reader(file)
    try:
        for start in range(0, len(text), CHUNK):
            reader.parser.Parse(text[start:start + CHUNK], False)
            yield from reader.take()
        reader.parser.Parse(b"", True)
        yield from reader.take()
    except expat.ExpatError as exc:
        yield from reader.take()
        yield Problem(f"not well-formed XML ({expat.ErrorString(exc.code)}, column {exc.offset + 1})",
                      Where(file, exc.lineno + lines_before, None))
    except (Invalid, RecursionError) as exc:
        yield from reader.take()
        yield Problem(str(exc), Where(file, reader.parser.CurrentLineNumber + lines_before, None))
