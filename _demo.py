import tempfile, time
from pathlib import Path
from datetime import timedelta
from hypercare.demo import build_demo, demo_config, demo_window, DEMO_NOW
from hypercare import incidents as inc
from hypercare.store.read import frame
d = Path(tempfile.mkdtemp())
config = demo_config(d)
store = build_demo(config.store.path, config)
w = demo_window(config)
t0 = time.perf_counter()
print(inc.seed_demo_incidents(store, config, w), time.perf_counter() - t0)
for m in (0, 1, 15, 60):
    r = inc.tick(store, config, w, DEMO_NOW + timedelta(minutes=m), deliver=False)
    print(m, [(o.incident_id, o.title, o.source_ref) for o in r.opened], [(a.incident_id, a.kind) for a in r.actions])
