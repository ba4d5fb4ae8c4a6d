"""Safety review as tests: no unpickling of anything a user or a download can supply, uploads bounded in size and
kept in temporary folders, model and example names only looked up in tables, no public link unless asked.

The source checks parse the code (``ast``), so a docstring that mentions ``torch.load`` does not count and a call
split over several lines does.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import pickle
import tempfile
from pathlib import Path

import gradio as gr
import pytest

from app import handlers
from app.examples import load_examples
from app.handlers import AppContext
from app.model_cache import ModelCache, UnknownModelError
from app.settings import AppSettings
from app.ui import launch_options
from tests.app_fakes import fake_loader, make_clip, write_examples, write_fake_checkpoint

REPO = Path(__file__).resolve().parents[1]
SOURCES = sorted([*(REPO / "vlanet_core").rglob("*.py"), *(REPO / "app").rglob("*.py"), REPO / "app.py"])
UNSAFE_MODULES = {"pickle", "cPickle", "dill", "cloudpickle", "joblib", "marshal", "shelve"}


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


def _dotted(node: ast.AST) -> str:
    """``torch.load`` for ``torch.load(...)``, ``load`` for a bare name, "" for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    return ""


def _keyword(call: ast.Call, name: str):
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value.value if isinstance(kw.value, ast.Constant) else "<expr>"
    return None


def _findings() -> list[str]:
    out: list[str] = []
    for path in SOURCES:
        rel = path.relative_to(REPO)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(rel))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                out += [f"{rel}:{node.lineno}: imports {a.name}" for a in node.names if a.name in UNSAFE_MODULES]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in UNSAFE_MODULES:
                out.append(f"{rel}:{node.lineno}: imports from {node.module}")
        for call in _calls(tree):
            name = _dotted(call.func)
            where = f"{rel}:{call.lineno}"
            if name == "torch.load" and _keyword(call, "weights_only") is not True:
                out.append(f"{where}: torch.load without weights_only=True")
            if name in ("np.load", "numpy.load") and _keyword(call, "allow_pickle") not in (None, False):
                out.append(f"{where}: np.load with allow_pickle")
            if isinstance(call.func, ast.Name) and name in ("eval", "exec"):  # not model.eval()
                out.append(f"{where}: builtin {name}()")
            if name in ("yaml.load", "yaml.unsafe_load"):
                out.append(f"{where}: {name} (use yaml.safe_load)")
            if _keyword(call, "shell") is True:
                out.append(f"{where}: subprocess with shell=True")
            if _keyword(call, "trust_remote_code") not in (None, False):
                out.append(f"{where}: trust_remote_code")
            if name.endswith(".launch") and _keyword(call, "share") is True:
                out.append(f"{where}: launch(share=True)")
    return out


def test_the_source_scan_sees_what_it_looks_for(tmp_path):
    """The scanner flags a bad snippet (so an empty finding list below means something)."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import pickle\nimport torch, numpy as np\n"
        "x = torch.load(\n    'f.pt',\n    map_location='cpu')\n"
        "y = np.load('a.npy', allow_pickle=True)\nz = eval('1')\nmodel.eval()\n"
    )
    global SOURCES
    saved, SOURCES = SOURCES, [bad]
    try:
        global REPO
        saved_repo, REPO = REPO, tmp_path
        try:
            found = _findings()
        finally:
            REPO = saved_repo
    finally:
        SOURCES = saved
    assert len(found) == 4, found


def test_no_unpickling_and_no_code_from_data():
    assert SOURCES and all(p.is_file() for p in SOURCES)
    assert _findings() == []


# ---- checkpoints -----------------------------------------------------------------------------------------------
def _tiny_checkpoint(folder: Path) -> Path:
    import vlanet_core.models  # noqa: F401 - registers the models
    from vlanet_core.checkpoint import save_checkpoint
    from vlanet_core.models.baselines import WholeVideoBaseline, WholeVideoConfig

    return save_checkpoint(
        WholeVideoBaseline(WholeVideoConfig(feature_dim=8)),
        folder,
        name="whole-video",
        backbone={"name": "default", "params": {}},
        text_encoder={"name": "glove", "params": {}},
        trained_on="nothing",
    )


class _Payload:
    """A pickle that runs code when unpickled: it would create ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_pickle_named_model_safetensors_is_never_unpickled(tmp_path):
    from vlanet_core.checkpoint import load_checkpoint

    folder = _tiny_checkpoint(tmp_path / "ckpt")
    marker = tmp_path / "code-ran"
    (folder / "model.safetensors").write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(Exception):  # noqa: B017 - any refusal will do; what matters is that nothing ran
        load_checkpoint(folder)
    assert not marker.exists()


def test_only_safetensors_weights_are_read(tmp_path):
    import torch

    from vlanet_core.checkpoint import load_checkpoint
    from vlanet_core.errors import CheckpointError

    folder = _tiny_checkpoint(tmp_path / "ckpt")
    torch.save({"weight": torch.zeros(1)}, folder / "model.pt")
    torch.save({"weight": torch.zeros(1)}, folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="model.safetensors"):
        load_checkpoint(folder)


# ---- uploads ---------------------------------------------------------------------------------------------------
def test_uploads_are_bounded_by_the_server_and_the_handler(tmp_path, monkeypatch):
    settings = AppSettings(temp_root=tmp_path / "sessions")
    options = launch_options(settings)
    assert options["max_file_size"] == settings.max_upload_bytes <= 200 * 2**20
    assert options["allowed_paths"] == [str(settings.examples_dir)]  # not the checkpoints, not the repository
    source = (REPO / "app.py").read_text()
    assert "launch_options(" in source and "**options" in source, "app.py must pass the upload bound to launch"

    root = tmp_path / "checkpoints"
    write_fake_checkpoint(root, "random")
    small = dataclasses.replace(settings, checkpoint_root=root, max_upload_mb=0.001)
    ctx = AppContext(small, ModelCache(root, fake_loader), [])
    clip = make_clip(tmp_path / "clip.mp4", seconds=3.0)
    assert clip.stat().st_size > small.max_upload_bytes
    decoded = []
    monkeypatch.setattr("tests.app_fakes.FakePredictor.encode_video", lambda *a, **k: decoded.append(1))
    with pytest.raises(gr.Error, match="limit is"):
        handlers.retrieve(ctx, str(clip), "the red square", "random", 3, None)
    assert not decoded, "an over-size upload must be refused before decoding"


def test_session_files_stay_in_the_temp_folder(tmp_path):
    settings = AppSettings()
    assert Path(tempfile.gettempdir()).resolve() in settings.temp_root.resolve().parents
    root = tmp_path / "checkpoints"
    write_fake_checkpoint(root, "random")
    settings = dataclasses.replace(settings, checkpoint_root=root, temp_root=tmp_path / "sessions")
    ctx = AppContext(settings, ModelCache(root, fake_loader), [])
    clip = make_clip(tmp_path / "clip.mp4", seconds=3.0)
    out = handlers.retrieve(ctx, str(clip), "the red square <b>../../x</b>", "random", 3, None)
    json_path, session = Path(out[4]), out[-1]
    assert json_path.resolve().parent == (tmp_path / "sessions" / session.session_id).resolve()
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix == ".json"]
    assert all(tmp_path / "sessions" in p.parents or p.parent == root / "random" for p in written)


def test_served_app_refuses_server_paths_in_a_request(tmp_path):
    """A raw API call naming a file on the server (not uploaded) is refused by Gradio before any handler runs."""
    import httpx

    from app.ui import build_demo
    from tests.app_fakes import free_port

    root = tmp_path / "checkpoints"
    write_fake_checkpoint(root, "random")
    settings = dataclasses.replace(AppSettings(), checkpoint_root=root, temp_root=tmp_path / "sessions")
    demo = build_demo(settings=settings, loader=fake_loader, examples_dir=tmp_path / "none")
    port = free_port()
    demo.launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **launch_options(settings)
    )
    secret = root / "random" / "config.json"
    try:
        base = f"http://127.0.0.1:{port}/gradio_api"
        for target in (str(secret), "/etc/hostname", "../../../../etc/hostname"):
            file_data = {"path": target, "meta": {"_type": "gradio.FileData"}}
            body = {"data": [file_data, "the red square", "random", 3]}
            with httpx.Client(timeout=30) as http:
                response = http.post(f"{base}/call/retrieve", json=body)
                if response.status_code == 200:
                    event = response.json()["event_id"]
                    stream = http.get(f"{base}/call/retrieve/{event}").text
                    assert "event: error" in stream and "trained on" not in stream, (target, stream[:300])
                else:
                    assert response.status_code in (400, 403, 422), (target, response.text[:300])
            # and the file itself is not served
            with httpx.Client(timeout=30) as http:
                assert http.get(f"{base}/file={secret}").status_code in (403, 404)
    finally:
        demo.close()


# ---- names from requests ---------------------------------------------------------------------------------------
@pytest.fixture()
def recording_ctx(tmp_path):
    root = tmp_path / "checkpoints"
    write_fake_checkpoint(root, "random")
    outside = write_fake_checkpoint(tmp_path / "elsewhere", "x")
    calls: list[Path] = []

    def loader(folder: Path):
        calls.append(Path(folder))
        return fake_loader(folder)

    settings = dataclasses.replace(AppSettings(), checkpoint_root=root, temp_root=tmp_path / "sessions")
    examples = load_examples(write_examples(tmp_path / "examples"))
    return AppContext(settings, ModelCache(root, loader), examples), calls, outside


@pytest.mark.parametrize(
    "name",
    ["../checkpoints/random", "../elsewhere/x", "random/../random", "/etc/passwd", "", None, 3, ["random"], "RANDOM"],
)
def test_model_names_are_looked_up_never_joined(recording_ctx, tmp_path, name):
    ctx, calls, outside = recording_ctx
    clip = make_clip(tmp_path / "clip.mp4", seconds=3.0)
    for bad in (name, str(outside)):
        with pytest.raises(gr.Error, match="Unknown model|Choose|choose"):
            handlers.retrieve(ctx, str(clip), "the red square", bad, 3, None)
        with pytest.raises(gr.Error):
            handlers.compare(ctx, str(clip), "the red square", ["random", bad], None)
        with pytest.raises(UnknownModelError):
            ctx.cache.resolve(bad)
    assert calls == [] or all(c.parent == ctx.settings.checkpoint_root for c in calls)
    assert handlers.model_info(ctx, name) == "Choose a model."


def test_example_names_are_looked_up_and_examples_stay_in_their_folder(recording_ctx, tmp_path):
    ctx, _, _ = recording_ctx
    for bad in ("../../etc/passwd", "/etc/passwd", "", None):
        with pytest.raises(gr.Error, match="Unknown example"):
            handlers.example_choice(ctx, bad)
    folder = tmp_path / "escaping"
    folder.mkdir()
    (tmp_path / "outside.webm").write_bytes(b"x")
    entries = [
        {"file": "../outside.webm", "query": "a"},
        {"file": "/etc/hostname", "query": "b"},
        {"file": "missing.webm", "query": "c"},
    ]
    (folder / "examples.json").write_text(json.dumps(entries))
    assert load_examples(folder) == []


# ---- no public link unless asked -------------------------------------------------------------------------------
def test_no_share_link_by_default(monkeypatch):
    import importlib.util

    for name in ("VMR_HOST", "VMR_PORT", "GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT", "GRADIO_SHARE"):
        monkeypatch.delenv(name, raising=False)
    spec = importlib.util.spec_from_file_location("vmr_app_safety", REPO / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    args = module.parse_args([])
    assert args.share is False and args.host == "127.0.0.1"
    assert not getattr(module.demo, "share", False) and not getattr(module.demo, "is_running", False)
    tree = ast.parse((REPO / "app.py").read_text())
    launches = [c for c in _calls(tree) if _dotted(c.func).endswith(".launch")]
    assert launches and all(
        ast.unparse(next(k.value for k in c.keywords if k.arg == "share")) == "args.share" for c in launches
    )
    assert os.environ.get("GRADIO_SHARE") is None
