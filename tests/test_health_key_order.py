"""The percentiles' key sort: two 16-bit radix passes give exactly the stable argsort of the
int64 keys, and keys that do not fit fall back to it."""

from __future__ import annotations

import numpy as np
import pytest

from hypercare.store.queries import health as q


@pytest.mark.parametrize("seed", range(8))
def test_key_order_is_the_stable_argsort(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 5_000))
    checks = int(rng.choice([1, 7, 1_000, 70_000]))  # 70,000 checks: codes past 16 bits
    low = int(rng.choice([-(2**31), -3, 0, 1]))
    spread = int(rng.choice([1, 50, 65_535, 65_536, 2**32 - 1]))  # the last two: latencies past 16 bits
    latency = np.clip(low + rng.integers(0, spread, n, endpoint=True), -(2**31), 2**31 - 1).astype(np.int32)
    keys = q._keys(rng.integers(0, checks, n), latency)
    assert np.array_equal(q._key_order(keys), np.argsort(keys, kind="stable")), (n, checks, low, spread)
