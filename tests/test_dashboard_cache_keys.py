"""The query cache's keys: a tuple of names is hashed as one string, and keys still tell apart
every pair of arguments that the item-by-item hashing told apart."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from streamlit.runtime.caching.cache_type import CacheType
from streamlit.runtime.caching.hashing import update_hash

from dashboard.data import _tuple_key


def _key(value, hash_funcs=None) -> str:
    hasher = hashlib.new("md5")
    update_hash(value, hasher=hasher, cache_type=CacheType.DATA, hash_funcs=hash_funcs)
    return hasher.hexdigest()


ARGUMENTS = [
    ("a", "b"), ("a,b",), ("a", "b", ""), ("b", "a"), (), ("('a', 'b')",), "('a', 'b')", ["a", "b"],
    (("checks", "a"), ("checks", "b")), (("checks", "a"),), ("a", None), ("a", 1), ("a", "1"),
    (datetime(2026, 11, 22, 21, tzinfo=timezone.utc), "a"), tuple(f"check-{i:04d}" for i in range(1000)),
    ("ä", "a\u0308"), ("a'", 'a"'),
]


def test_names_are_hashed_as_one_string_and_every_argument_keeps_its_own_key():
    fast = {repr(a): _key(a, {tuple: _tuple_key}) for a in ARGUMENTS}
    slow = {repr(a): _key(a) for a in ARGUMENTS}
    assert len(set(slow.values())) == len(ARGUMENTS) == len(set(fast.values()))
    assert _key(("a", "b"), {tuple: _tuple_key}) == _key(tuple(["a", "b"]), {tuple: _tuple_key})
    assert _tuple_key(("a", "b")) == "('a', 'b')" and _tuple_key(("a", 1)) == ["a", 1]
