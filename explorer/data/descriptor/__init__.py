"""Read ``datapackage.json``: the one declaration of every table, field, vocabulary and key.

The first step of the data layer: **descriptor** → read → validate → load. Nothing else in
the package restates the schema: ``read`` takes each file's encoding, dialect and missing
values from the ``Descriptor`` built here, ``validate`` its types, constraints and keys, and
``load`` its types and vocabularies.

Metadata is strict. Every key is applied, accepted as metadata, or reported — never
silently ignored: an unknown or misspelt key is a ``descriptor-key`` problem; a known key
whose value the explorer cannot honour is a ``descriptor`` problem.

==================  ======================================================================
where               keys
==================  ======================================================================
package             metadata: profile, name, title, description, version, created,
                    homepage, licenses, contributors, sources, keywords, id;
                    applied: resources, explorer:facets
resource            metadata: profile, mediatype, title, description, licenses, sources;
                    applied: name, path (a plain file name), schema, format (only
                    ``csv``), encoding (any Python text codec, default ``utf-8``; a UTF-8
                    byte-order mark is tolerated), dialect
dialect             applied: delimiter, quoteChar, doubleQuote, skipInitialSpace, header
                    (only ``true``), lineTerminator (``\\r\\n``, ``\\n`` or ``\\r``: the
                    reader accepts all three)
schema              applied: fields, primaryKey (its fields are also required),
                    foreignKeys (single column; ``"resource": ""`` is the table itself),
                    missingValues (default ``[""]``: cells with these texts are missing)
field               metadata: title, description; applied: name, type (string, integer,
                    number, date, boolean), format, constraints, explorer:references,
                    explorer:values
field format        ``default`` for every type, ``%Y-%m-%d`` for dates (the same);
                    ``uri`` and ``email`` for strings; any other format is a problem
constraints         required, unique, enum (every type); pattern, minLength, maxLength
                    (string); minimum, maximum (integer, number). A pattern is a Python
                    regular expression matched against the whole cell.
==================  ======================================================================

Four conventions go beyond the Frictionless standard, all declared in the descriptor:

- a field with ``"explorer:references": "table.field"`` holds a ``;``-separated list of ids
  that must each exist in that table (standard foreign keys cannot express lists);
- when that target is ``sources.source_id``, the field is a citation list,
  ``id[locator]; id``. Its grammar is the field's declared ``pattern``; a citation field
  that declares none gets ``DEFAULT_CITATION_PATTERN``, the one default in the code.
- a field's ``"explorer:values"`` gives each value of its enum a plain-language ``title``
  and a one-sentence ``description`` (e.g. what the strength ``partial`` means), so labels
  and help texts live in the declaration, not in code;
- the package's ``"explorer:facets"`` lists the facets the evidence can be filtered and
  grouped by (``explorer.data.descriptor.facets``), in the order pages show them.

The submodules: ``package`` (the package and its tables), ``fields`` (one column),
``dialect`` (how a file is written), ``facets``, and ``common`` (problem helpers).
"""

from __future__ import annotations

from .common import DESCRIPTOR_NAME
from .dialect import DIALECT_KEYS, LINE_TERMINATORS, UTF8_BOM, Dialect, decode_text
from .facets import FACET_KEYS, FacetSpec
from .fields import (
    CONSTRAINT_KEYS,
    DEFAULT_CITATION_PATTERN,
    FIELD_FORMATS,
    FIELD_KEYS,
    FIELD_TYPES,
    SOURCES_KEY,
    SOURCES_TABLE,
    TYPE_CONSTRAINTS,
    VALUE_KEYS,
    FieldSpec,
)
from .package import (
    BASIS_FIELD,
    CITATION_FIELD,
    LIST_METADATA,
    PACKAGE_KEYS,
    REQUIRED_PACKAGE_KEYS,
    RESOURCE_KEYS,
    SCHEMA_KEYS,
    TEXT_METADATA,
    Descriptor,
    ForeignKey,
    ResourceSpec,
    read_descriptor,
)

__all__ = [
    "DEFAULT_CITATION_PATTERN",
    "Descriptor",
    "Dialect",
    "FacetSpec",
    "FieldSpec",
    "ForeignKey",
    "ResourceSpec",
    "decode_text",
    "read_descriptor",
]

_CONSTANTS = (BASIS_FIELD, CITATION_FIELD, CONSTRAINT_KEYS, DESCRIPTOR_NAME, DIALECT_KEYS,
              FACET_KEYS, FIELD_FORMATS, FIELD_KEYS, FIELD_TYPES, LINE_TERMINATORS,
              LIST_METADATA, PACKAGE_KEYS, REQUIRED_PACKAGE_KEYS, RESOURCE_KEYS, SCHEMA_KEYS,
              SOURCES_KEY, SOURCES_TABLE, TEXT_METADATA, TYPE_CONSTRAINTS, UTF8_BOM, VALUE_KEYS)
