"""Whole answer pages of parsed JSON as Arrow columns, checked per batch.

One pydantic object per item costs more than the rest of the write path together, so a page is
first read in one go into an Arrow struct of the modelled fields, and checked column by column:
every type as the model says (Arrow refuses a string where a number belongs, an object where a
string belongs, …), every required field present, every time an ISO 8601 instant with its
offset. Anything off, and the page goes item by item through the models of `shapes.py`, which
skip and name each bad item as before: the batch check only ever accepts what the models accept,
so the two give the same tickets.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from collectors.tickets.normalise import RAW_SCHEMA, TS

# The instants `shapes.Instant` accepts that Arrow reads the same way: a date, a time to the
# second (fraction optional) and Z or an offset (Jira's +0100 included).
ISO_INSTANT = r"^\d{4}-\d\d-\d\dT(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)$"
NAMED = pa.struct([("name", pa.string())])


def struct_of(items: list[Any], shape: pa.StructType) -> pa.StructArray | None:
    """The items as one struct array, or None when an item is not an object of that shape."""
    try:
        array = pa.array(items, shape)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError, ValueError):
        return None
    return None if array.null_count else array


def present(*arrays: pa.Array) -> bool:
    return not any(a.null_count for a in arrays)


def named(parent: pa.Array) -> bool:
    """An optional object with a required name: where there is one, it has its name."""
    missing = pc.and_(pc.is_valid(parent), pc.is_null(parent.field("name")))
    return not pc.any(missing).as_py()


def names(objects: pa.ListArray) -> pa.ListArray | None:
    """The names of a list of named objects, or None when a list, object or name is missing."""
    items = objects.flatten()
    if not present(objects, items, items.field("name")):
        return None
    return pa.ListArray.from_arrays(objects.offsets, items.field("name"))


def strings(lists: pa.ListArray) -> bool:
    """A list of strings that is there and holds no null."""
    return present(lists, lists.flatten())


def instants(text: pa.Array) -> pa.Array | None:
    """Times as UTC instants, or None when one is missing or not an ISO 8601 instant."""
    if text.null_count or not pc.all(pc.match_substring_regex(text, ISO_INSTANT)).as_py():
        return None
    try:
        return text.cast(TS)
    except pa.ArrowInvalid:  # a date that does not exist, e.g. 2026-02-30
        return None


def concat_lists(a: pa.ListArray, b: pa.ListArray) -> pa.ListArray:
    """Row by row, the items of `a` followed by those of `b`."""
    ao, bo = a.offsets.to_numpy(), b.offsets.to_numpy()
    a_len, b_len = np.diff(ao), np.diff(bo)
    lengths = a_len + b_len
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    row = np.repeat(np.arange(len(a)), lengths)
    k = np.arange(offsets[-1]) - offsets[row]
    take = np.where(k < a_len[row], ao[row] + k, len(a.flatten()) + bo[row] + k - a_len[row])
    values = pa.concat_arrays([a.flatten(), b.flatten()]).take(pa.array(take, pa.int64()))
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)


def raw(n: int, **columns: Any) -> pa.Table:
    """A raw batch (RAW_SCHEMA) from whole columns; a column not given is all null."""
    arrays = {"pos": pa.array(np.arange(n), pa.int64()), **columns}
    return pa.table({f.name: arrays[f.name] if f.name in arrays else pa.nulls(n, f.type) for f in RAW_SCHEMA},
                    schema=RAW_SCHEMA)


def lookup(values: pa.Array, mapping: dict[str, str]) -> pa.Array:
    """Each value through `mapping`; null where it has no entry."""
    index = pc.index_in(values, value_set=pa.array(list(mapping), pa.string()))
    return pa.array(list(mapping.values()), pa.string()).take(index)


Rows = tuple[pa.Table, "datetime | None"]


def chunk_rows(pages: list[list[Any]], whole: Callable[[list[Any]], Rows | None],
               each: Callable[[list[Any]], Rows]) -> tuple[pa.Table, list[datetime]]:
    """All pages' items in one batch (`whole`); when the batch can't be vouched for, page by
    page: `whole` again, else the item-by-item `each`, which names a bad item by its page."""
    rows = whole([item for page in pages for item in page])
    parts = [rows] if rows is not None else [whole(page) or each(page) for page in pages]
    return pa.concat_tables([table for table, _ in parts]), [latest for _, latest in parts if latest is not None]
