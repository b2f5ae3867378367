"""Whole answer pages read from their bytes straight into Arrow columns, checked per batch.

A parsed item (a dict) and one pydantic object per item cost more than the rest of the write
path together, so a page's body is read by Arrow's JSON reader into a struct of the modelled
fields, with no Python object per item, and checked column by column: every type as the model
says (the reader refuses a string where a number belongs, an object where a string belongs, a
number that isn't an integer, a key given twice, …), every required field present, every time
an ISO 8601 instant with its offset. Anything off, and the page is parsed as before and goes item
by item through the models of `shapes.py`, which skip and name each bad item: the batch check
only ever accepts what the models accept, so the two give the same tickets.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from collectors.tickets.normalise import RAW_SCHEMA, TS

if TYPE_CHECKING:
    import requests

    from collectors.tickets.source import Page

# The instants `shapes.Instant` accepts that Arrow reads the same way: a date, a time to the
# second (fraction optional) and Z or an offset (Jira's +0100 included).
ISO_INSTANT = r"^\d{4}-\d\d-\d\dT(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)$"
NAMED = pa.struct([("name", pa.string())])


def body(resp: requests.Response) -> bytes:
    """The answer's bytes when they are to be read as UTF-8 (as `resp.json()` reads them), else
    nothing: a body in another declared charset goes the parsed way."""
    utf8 = resp.encoding is None or codecs.lookup(resp.encoding).name == "utf-8"
    return resp.content if utf8 else b""


def read_answer(body: bytes, shape: pa.DataType) -> pa.Array | None:
    """The body, one JSON value of `shape`, as an Arrow array of length one; None when Arrow
    can't vouch that it reads as `json.loads` would (not one JSON value, a type off, not UTF-8).

    The reader takes objects, one per line, so the body goes inside `{"v": [...]}`: a body of
    more than one value would give more than one element, and is refused. (A text that is not
    JSON alone but is inside the wrapper, such as `[…]], "x": [1`, would be read; no API sends one.)

    The streaming reader (`open_json`), not `read_json`: `read_json` starts a read-ahead thread on
    every call, which cost about as much as the parse of a 100-item page; the streaming
    reader reads the one block in this thread."""
    wrapped = b'{"v":[' + body + b"]}"
    schema = pa.schema([("v", pa.list_(shape))])
    try:
        table = pj.open_json(
            pa.BufferReader(wrapped), read_options=pj.ReadOptions(use_threads=False, block_size=len(wrapped) + 1),
            parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore",
                                          newlines_in_values=b"\n" in body or b"\r" in body)).read_all()
        if table.num_rows != 1 or table.column(0).num_chunks != 1:
            return None
        values = items(table.column(0).chunk(0))  # the one row's `v`
        values.validate(full=True)  # the reader does not check that strings are UTF-8
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    return values if len(values) == 1 and not values.null_count else None


def items(lists: pa.ListArray) -> pa.Array:
    """The items of an array of one list (an answer's list of issues): `flatten()` without its
    compute call, which cost some 25 µs a page."""
    start, end = lists.offsets.to_pylist()
    return lists.values.slice(start, end - start)


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


def chunk_rows(pages: list[Page], whole: Callable[[pa.StructArray], Rows | None],
               each: Callable[[list[Any]], Rows]) -> tuple[pa.Table, list[datetime]]:
    """All pages' columns in one batch (`whole`); when the batch can't be vouched for, page by
    page: `whole` again, else the item-by-item `each` on the parsed page, which names a bad item
    by its page."""
    columns = [page.columns for page in pages]
    rows = whole(pa.concat_arrays(columns)) if all(c is not None for c in columns) else None
    parts = [rows] if rows is not None else [
        (whole(page.columns) if page.columns is not None else None) or each(page.items()) for page in pages]
    return pa.concat_tables([table for table, _ in parts]), [latest for _, latest in parts if latest is not None]
