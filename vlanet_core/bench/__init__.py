"""Speed and memory figures of the whole system: ``python -m vlanet_core.bench [--checkpoints DIR] [--quick]
[--out FILE] [--skip SECTIONS] [--threads N]``.

Prints one JSON object with these sections (seconds unless named otherwise):
- ``machine``: CPU count, platform, load average, library versions, torch threads, and how many cores two
  threads really got while measuring (the figures of a shared machine are only comparable with that beside them);
- ``features``: ``vlanet_core.features.bench.run_bench`` on a 30-s 320x240 clip (Shapes-STA test video 30,
  mp4v): decode-only time per decoder, ``fastest_decode``, features only, decode + features;
- ``model_latency``: for every checkpoint folder, ``Predictor.predict`` per query on the clip's cached features
  (p50, p95, mean, max over ``queries`` Shapes-STA test sentences) and the load time;
- ``end_to_end``: with the preferred model (``vlanet-shapes-sta``, else a VLANet, else the first), a first
  request (feature cache emptied: hash + decode + features + predict) and a repeat query on the same clip (cached
  features), and ``ratio_to_fastest_decode`` = first request / fastest decode-only time;
- ``app_memory``: peak resident memory (``VmHWM``) of the Gradio app with every offered model loaded
  (``bench/app_memory.py``: the served app and one request per model, or ``--quick``: demo + preload);
- ``training``: pairs per second of each trainable model through the real trainer code on a Shapes-STA train
  subset (``bench/training_speed.py``);
- ``surrogate``: VLANet with surrogate selection against the same weights scoring all K x L proposals, per query
  (on the clip and on it repeated to 2 and 10 minutes), for batch scoring and in counted floating-point operations
  per query (``bench/surrogate.py``), on the preferred
  model or the checkpoint named by ``--surrogate-model``;
- ``targets``: each figure beside the issue's bar (end to end <= 1.5 x decode-only and <= 1.0 s, repeat query
  <= 100 ms, app < 1.5 GB, surrogate speed-up >= 2) with ``met``;
- ``section_seconds``, ``wall_s``: what the benchmark itself took.

A section that fails reports ``{"error": ...}`` and the others still run. The default run takes about three
minutes on a busy two-core machine, ``--quick`` under one.
"""

from vlanet_core.bench.run import BenchOptions, main, run_bench, targets

__all__ = ["BenchOptions", "main", "run_bench", "targets"]
