"""The train CLI end to end on a tiny Shapes-STA split: one process, and two processes under torchrun (gloo)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vlanet_core.checkpoint import load_checkpoint

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--model", "vlanet", "--train-videos", "12", "--val-videos", "4", "--epochs", "1", "--batch-size", "4",
        "--max-steps-per-epoch", "2", "--threads", "1", "--set", "hidden_dim=32", "--set", "proj_dim=16"]


def run(cmd, tmp_path, timeout=240):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_train_cli_writes_a_loadable_checkpoint_and_resumes(tmp_path):
    out = tmp_path / "ckpt"
    common = [sys.executable, "-m", "vlanet_core.training.train", *ARGS, "--out", str(out),
              "--run-dir", str(tmp_path / "run"), "--cache-dir", str(tmp_path / "cache")]
    run(common, tmp_path)
    model, config = load_checkpoint(out)
    assert config["model"] == "vlanet" and "val" in config["extra"]
    assert float(model.feature_std.min()) > 0  # statistics fitted on the train features
    events = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert any(e["event"] == "epoch" for e in events)
    run([*common[:common.index("--epochs") + 1], "2", *common[common.index("--epochs") + 2:], "--resume"], tmp_path)
    events = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [e["epoch"] for e in events if e["event"] == "epoch"] == [0, 1]


@pytest.mark.skipif(shutil.which("torchrun") is None, reason="torchrun is not on PATH")
def test_torchrun_two_processes_on_cpu(tmp_path):
    out = tmp_path / "ckpt"
    cmd = ["torchrun", "--nproc_per_node=2", "--master_port=29517", "-m", "vlanet_core.training.train", *ARGS,
           "--out", str(out), "--run-dir", str(tmp_path / "run"), "--cache-dir", str(tmp_path / "cache")]
    run(cmd, tmp_path, timeout=300)
    load_checkpoint(out)


def test_backbone_params_and_feature_floor_reach_the_checkpoint_and_the_evaluator(tmp_path):
    """``--backbone-param`` trains on that backbone variant's features, the checkpoint records it (so the predictor
    and the app extract the same variant), ``--feature-min-std`` floors the standardisation,
    ``--feature-std-pooling type`` gives every channel of one kind of value the same scale, and the evaluate CLI
    scores the checkpoint on features of its own variant."""
    from vlanet_core.features.default_backbone import DefaultBackbone
    from vlanet_core.predictor import Predictor
    from vlanet_core.training.feature_stats import feature_kind

    out = tmp_path / "ckpt"
    run([sys.executable, "-m", "vlanet_core.training.train", *ARGS, "--out", str(out), "--run-dir",
         str(tmp_path / "run"), "--cache-dir", "data_cache", "--backbone-param", "edge_floor=0.04",
         "--feature-min-std", "0.05", "--feature-std-pooling", "type"], tmp_path)
    model, config = load_checkpoint(out)
    assert config["backbone"]["params"]["edge_floor"] == 0.04
    assert config["extra"]["train_config"]["feature_std_pooling"] == "type"
    scale = model.feature_std.numpy()
    assert float(scale.min()) >= 0.05 - 1e-6
    kinds = [feature_kind(n) for n in DefaultBackbone(edge_floor=0.04).feature_names()]
    for kind in {"slope:mass", "mean:grid"}:
        values = scale[[i for i, k in enumerate(kinds) if k == kind]]
        assert values.max() - values.min() < 1e-6, kind  # one scale per kind of value
    assert len(set(scale.round(6).tolist())) <= len(set(kinds))
    assert Predictor.from_pretrained(out, device="cpu").backbone.config.edge_floor == 0.04
    proc = run([sys.executable, "-m", "vlanet_core.training.evaluate", "--model", str(out), "--split", "val",
                "--videos", "2"], tmp_path)
    assert "R1@0.5" in proc.stdout
    stores = sorted(p.name for p in (tmp_path / "data_cache" / "features").glob("*.npz"))
    assert stores and all("_p" in name for name in stores), stores  # never the default variant's features


def test_bad_backbone_params_are_refused_before_any_data_is_read(tmp_path):
    """A misspelt ``--backbone-param`` names the valid settings; one given with real-dataset data (which reads
    precomputed features) is refused rather than silently ignored."""
    from vlanet_core.training.train import main

    common = ["--model", "vlanet", "--out", str(tmp_path / "ckpt"), "--cache-dir", str(tmp_path / "cache")]
    with pytest.raises(SystemExit, match="edge_floor"):
        main([*common, "--backbone-param", "edge_flor=0.04"])
    with pytest.raises(SystemExit, match="shapes-sta only"):
        main([*common, "--data", "charades", "--backbone-param", "edge_floor=0.04"])
    with pytest.raises(SystemExit, match="named feature channels"):
        main([*common, "--data", "charades", "--feature-std-pooling", "type"])
    with pytest.raises(SystemExit, match="PART=number"):
        main([*common, "--feature-gain", "slope=steep"])
    for sigma in ("-0.1", "nan"):
        with pytest.raises(SystemExit, match="--input-noise must be a sigma >= 0"):
            main([*common, "--input-noise", sigma])
    for decay in ("1.0", "-0.5", "nan"):
        with pytest.raises(SystemExit, match="--ema-decay must be in"):
            main([*common, "--ema-decay", decay])
    assert not (tmp_path / "cache").exists()


def test_init_from_fine_tunes_a_checkpoint_and_refuses_mismatches(tmp_path):
    """``--init-from`` starts from a checkpoint's weights and input standardisation: zero steps reproduce it
    exactly, a few steps move it; another model, other features, a misspelt --set or one that changes a weight's
    shape, and a standardisation option (the checkpoint's is kept) are refused with the reason."""
    import torch

    from vlanet_core.training.train import main

    cache = ["--cache-dir", str(tmp_path / "cache")]
    source = tmp_path / "source"
    main([*ARGS, "--out", str(source), "--run-dir", str(tmp_path / "r0"), *cache])

    def fine_tune(name, *extra):
        out = tmp_path / name
        main([*ARGS, "--init-from", str(source), "--out", str(out), "--run-dir", str(tmp_path / f"r_{name}"),
              *cache, *extra])
        return load_checkpoint(out)

    before, source_config = load_checkpoint(source)
    same, same_config = fine_tune("zero", "--max-steps-per-epoch", "0")
    assert same_config["model_config"] == source_config["model_config"]
    recorded = same_config["extra"]["train_config"]
    assert recorded["feature_min_std"] is None and recorded["feature_std_pooling"] is None  # not re-chosen here
    for key, tensor in before.state_dict().items():
        assert torch.equal(tensor, same.state_dict()[key]), key
    moved, _ = fine_tune("moved", "--lr", "0.01")
    assert torch.equal(moved.feature_std, before.feature_std)  # the standardisation is the checkpoint's
    weights = [k for k, t in before.state_dict().items() if t.is_floating_point() and "feature_" not in k]
    assert any(not torch.equal(before.state_dict()[k], moved.state_dict()[k]) for k in weights)

    with pytest.raises(SystemExit, match="holds a 'vlanet' model"):
        main([*ARGS[:1], "wsra", *ARGS[2:], "--init-from", str(source), "--out", str(tmp_path / "x"), *cache])
    with pytest.raises(SystemExit, match="backbone"):
        main([*ARGS, "--init-from", str(source), "--out", str(tmp_path / "x"), *cache,
              "--backbone-param", "edge_floor=0.04"])
    with pytest.raises(SystemExit, match="changes the weights"):
        main([*ARGS, "--set", "hidden_dim=48", "--init-from", str(source), "--out", str(tmp_path / "x"), *cache])
    with pytest.raises(SystemExit, match="has no settings"):
        main([*ARGS, "--set", "hiden_dim=32", "--init-from", str(source), "--out", str(tmp_path / "x"), *cache])
    with pytest.raises(SystemExit, match="keeps the checkpoint's input standardisation"):
        main([*ARGS, "--feature-min-std", "0.1", "--init-from", str(source), "--out", str(tmp_path / "x"), *cache])
    assert not (tmp_path / "x").exists()
