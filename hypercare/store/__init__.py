"""The store: DuckDB behind one package (connection, migrations, writes, queries)."""

from hypercare.store.db import Store, StoreDamagedError, StoreError, StoreLockedError, snapshot_path_for

__all__ = ["Store", "StoreDamagedError", "StoreError", "StoreLockedError", "snapshot_path_for"]
