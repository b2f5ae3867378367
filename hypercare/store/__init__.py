"""The store: DuckDB behind one package (connection, migrations, writes, queries)."""

from hypercare.store.db import Store, StoreError, StoreLockedError, snapshot_path_for

__all__ = ["Store", "StoreError", "StoreLockedError", "snapshot_path_for"]
