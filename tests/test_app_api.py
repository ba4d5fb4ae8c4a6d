"""The app served on loopback, every public endpoint called through gradio_client, bad input included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from tests.app_fakes import build_test_demo, free_port, make_clip

QUERY = "the red square moves right"
UPLOAD_LIMIT = 2 * 1024 * 1024


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("app_api")
    demo = build_test_demo(tmp)
    port = free_port()
    demo.launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, max_file_size=UPLOAD_LIMIT
    )
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False, download_files=str(tmp / "downloads"))
        yield demo, client, tmp
    finally:
        demo.close()


def _plot(value: dict) -> dict:
    assert value["type"] == "plotly"
    return json.loads(value["plot"])


def test_served_on_loopback_with_public_endpoints(served):
    demo, client, _ = served
    assert demo.server_name == "127.0.0.1" and not demo.share
    endpoints = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert {"/retrieve", "/moment_clips", "/show_stage", "/drop_word", "/compare", "/model_info"} <= endpoints


def test_every_endpoint(served):
    _, client, tmp = served
    clip = handle_file(str(make_clip(tmp / "clip.webm", seconds=5.0)))
    info = client.predict("random", api_name="/model_info")
    assert "synthetic" in info
    timeline, table, heatmap, payload, json_file, summary, stage, word = client.predict(
        clip, QUERY, "vlanet-shapes-sta", 3, api_name="/retrieve"
    )
    traces = _plot(timeline)["data"]
    assert traces[0]["type"] == "bar" and {"Top 1", "Top 2"} <= {t["name"][:5] for t in traces}
    assert _plot(heatmap)["data"][0]["type"] == "heatmap"
    assert len(table["data"]) == 3 and len(payload["pred_relevant_windows"]) == 3
    assert json.loads(Path(json_file).read_text())["query"] == QUERY
    assert "vlanet-shapes-sta" in summary

    top1, top2 = client.predict(api_name="/moment_clips")
    paths = [Path(v.get("value") or v.get("video")) for v in (top1, top2)]  # an update dict, or a plain video value
    assert paths[0].suffix == ".webm" and paths[1].stat().st_size > 0 and "Top 1" in top1.get("label", "Top 1")

    figure, description = client.predict("word x time", api_name="/show_stage")
    assert _plot(figure)["data"][0]["type"] == "heatmap" and "word" in description

    text, figure = client.predict("red", api_name="/drop_word")
    assert "IoU" in text and len(_plot(figure)["data"]) >= 2

    timelines, heatmaps, iou_table, latency = client.predict(
        clip, QUERY, ["vlanet-shapes-sta", "random", "wsra-shapes-sta"], api_name="/compare"
    )
    assert len([t for t in _plot(timelines)["data"] if t["type"] == "bar"]) == 3
    assert len(iou_table["data"]) == 3 and len(latency["data"]) == 3


@pytest.mark.parametrize(
    "make_input, query, model, needle",
    [
        (lambda tmp: make_clip(tmp / "ok.webm"), "   ", "random", "Type a query"),
        (lambda tmp: make_clip(tmp / "ok.webm"), "blorp zzyzx", "random", "blorp"),
        (lambda tmp: make_clip(tmp / "ok.webm"), " ".join(["red"] * 60), "random", "60 words"),
        (lambda tmp: make_clip(tmp / "ok.webm"), QUERY, "../../etc/passwd", ""),
        (lambda tmp: _text_file(tmp / "notes.mp4"), QUERY, "random", "not a video"),
    ],
)
def test_bad_input_gives_error_and_app_survives(served, make_input, query, model, needle):
    _, client, tmp = served
    with pytest.raises(Exception) as info:
        client.predict(handle_file(str(make_input(tmp))), query, model, 2, api_name="/retrieve")
    assert needle in str(info.value) and "Traceback" not in str(info.value)
    assert "trained on" in client.predict("random", api_name="/model_info")  # still serving


def test_upload_over_the_size_limit_is_refused(served):
    _, client, tmp = served
    big = tmp / "big.mp4"
    big.write_bytes(b"\0" * (UPLOAD_LIMIT + 1024))
    with pytest.raises(Exception) as info:  # noqa: B017 - the client raises a plain Exception for HTTP 413
        client.predict(handle_file(str(big)), QUERY, "random", 2, api_name="/retrieve")
    assert "413" in str(info.value) or "size" in str(info.value).lower()


def _text_file(path: Path) -> Path:
    path.write_text("not a video\n" * 100)
    return path


def test_app_py_builds_without_launching_and_reads_host_port(monkeypatch):
    import importlib.util

    import gradio as gr

    spec = importlib.util.spec_from_file_location("vmr_app_main", Path(__file__).resolve().parents[1] / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert isinstance(module.demo, gr.Blocks) and not getattr(module.demo, "is_running", False)
    for name in ("VMR_HOST", "VMR_PORT", "GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT"):
        monkeypatch.delenv(name, raising=False)
    args = module.parse_args([])
    assert (args.host, args.port, args.share) == ("127.0.0.1", 7860, False)
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "7861")
    assert (module.parse_args([]).host, module.parse_args([]).port) == ("0.0.0.0", 7861)
    monkeypatch.setenv("VMR_HOST", "127.0.0.2")
    monkeypatch.setenv("VMR_PORT", "9000")
    assert (module.parse_args([]).host, module.parse_args([]).port) == ("127.0.0.2", 9000)
    args = module.parse_args(["--host", "::1", "--port", "8000", "--share"])
    assert (args.host, args.port, args.share) == ("::1", 8000, True)
