"""Where an epoch of the SimpleRNN-400 goes, `faithful` against `fast`: the epoch's data,
the first (tracing) batch, the mean of 16 batches, validation (512 trials) and one
``save_model``, each in wall and CPU seconds (all threads).

    PYTHONPATH=. python benchmarks/bench_epoch.py
"""
import os, time, tempfile
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from flipflop.training import TrainConfig
from flipflop.training.data import epoch_arrays
from flipflop.training.loop import initial_model
from flipflop import runs
def clock(f, n=1):
    t, c = time.perf_counter(), time.process_time()
    for _ in range(n): r = f()
    return (time.perf_counter() - t) / n, (time.process_time() - c) / n, r
for recipe in ("faithful", "fast"):
    cfg = TrainConfig.from_recipe(recipe, seed=0)
    task = cfg.make_task()
    w, c, arrays = clock(lambda: epoch_arrays(cfg, task, 0))
    print(f"{recipe}: epoch data (2048 trials) {w:.2f} s wall {c:.2f} s CPU", flush=True)
    model = initial_model(cfg, task)
    x, y = arrays[0], arrays[1]
    w, c, _ = clock(lambda: model.train_on_batch(x[:32], y[:32]))
    print(f"  first batch (tracing) {w:.2f} s wall {c:.2f} s CPU", flush=True)
    i = [0]
    def batch():
        k = (i[0] % 63 + 1) * 32; i[0] += 1
        model.train_on_batch(x[k:k + 32], y[k:k + 32])
    w, c, _ = clock(batch, 16)
    print(f"  batch {w:.3f} s wall {c:.3f} s CPU (x64 = {64*w:.1f} s)", flush=True)
    val = task.generate(cfg.val_samples, [cfg.seed, 2])
    model.predict(val.inputs[:8], verbose=0)
    w, c, _ = clock(lambda: model.predict(val.inputs, batch_size=256, verbose=0))
    print(f"  validation predict (512 trials) {w:.2f} s wall {c:.2f} s CPU", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        w, c, _ = clock(lambda: runs.save_model(model, os.path.join(tmp, "m.keras")), 3)
    print(f"  save_model {w:.2f} s wall {c:.2f} s CPU (an epoch saves 1-2)", flush=True)
print("load", os.getloadavg())
