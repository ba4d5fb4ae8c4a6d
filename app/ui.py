"""``build_demo() -> gr.Blocks``: the layout and the event wiring. It never launches (``app.py`` does).

Public API endpoints (``gradio_client``): ``/retrieve``, ``/moment_clips``, ``/show_stage``, ``/drop_word``,
``/compare``, ``/model_info``. Per-user data is one ``Session`` in a ``gr.State``.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from app import handlers
from app.examples import load_examples
from app.handlers import AppContext
from app.memory_trim import start_malloc_trim
from app.model_cache import Loader, ModelCache
from app.session import delete_session
from app.settings import AppSettings
from vlanet_core.features.warm_up import start_warm_up

INTRO = """# Where in the video? — weakly supervised video moment retrieval
Upload a short clip (or pick an example), describe a moment in a sentence, and the model marks when it happens.
**Honest label:** the shipped models were trained on *Shapes-STA*, a **synthetic** benchmark of coloured shapes that
move, appear, vanish, grow, shrink, spin and blink. They have never seen real footage; on real videos their
answers mean little.
"""


def on_zerogpu() -> bool:
    """True when the ``spaces`` package (Hugging Face ZeroGPU) is importable."""
    return importlib.util.find_spec("spaces") is not None


def gpu_task(fn: Callable[..., Any], duration: int = 120) -> Callable[..., Any]:
    """``spaces.GPU(fn)`` on a ZeroGPU Space; ``fn`` unchanged elsewhere (CUDA if present, else CPU)."""
    if not on_zerogpu():
        return fn
    import spaces  # type: ignore[import-not-found]

    return spaces.GPU(duration=duration)(fn)


def launch_options(settings: AppSettings | None = None) -> dict[str, Any]:
    """Keyword arguments every launcher should pass to ``demo.launch``: the upload bound, and the examples
    folder as an allowed path (Gradio only serves files from the working directory and the temp dir otherwise)."""
    settings = settings or AppSettings()
    return {"max_file_size": settings.max_upload_bytes, "allowed_paths": [str(settings.examples_dir)]}


def build_demo(
    checkpoint_root: str | Path | None = None,
    examples_dir: str | Path | None = None,
    loader: Loader | None = None,
    settings: AppSettings | None = None,
) -> gr.Blocks:
    """The whole app. ``loader(folder) -> predictor`` defaults to ``Predictor.from_pretrained`` (tests pass a fake)."""
    settings = settings or AppSettings()
    if checkpoint_root is not None:
        settings = dataclasses.replace(settings, checkpoint_root=Path(checkpoint_root))
    if examples_dir is not None:
        settings = dataclasses.replace(settings, examples_dir=Path(examples_dir))
    cache = ModelCache(settings.checkpoint_root, loader)
    if on_zerogpu():
        cache.preload()  # ZeroGPU runs handlers in a fresh process: load models in the main one
    cache.start_clip_probe()
    start_warm_up()  # numba compiles the feature loops now, not during the first request
    start_malloc_trim(settings.malloc_trim_s)  # one thread per process, however many demos are built
    ctx = AppContext(settings, cache, load_examples(settings.examples_dir))

    # Thin wrappers: gradio injects gr.Progress through the default value, and spaces.GPU wraps model calls.
    @gpu_task
    def run_retrieve(video, query, model, top_k, state, progress=gr.Progress()):
        return handlers.retrieve(ctx, video, query, model, top_k, state, progress)

    @gpu_task
    def run_drop_word(word, state, progress=gr.Progress()):
        return handlers.drop_word(ctx, word, state, progress)

    @gpu_task
    def run_compare(video, query, models, state, progress=gr.Progress()):
        return handlers.compare(ctx, video, query, models, state, progress)

    def run_clips(state):
        return handlers.moment_clips(ctx, state)

    def run_stage(stage, state):
        return handlers.show_stage(ctx, stage, state)

    def run_model_info(model):
        return handlers.model_info(ctx, model)

    def run_refresh(model):
        return handlers.refresh_models(ctx, model)

    names = cache.available()
    default_model = names[0] if names else None
    with gr.Blocks(title="Video moment retrieval", delete_cache=(1800, 3600)) as demo:
        state = gr.State(None, time_to_live=settings.session_ttl_s, delete_callback=delete_session)
        gr.Markdown(INTRO)
        if not names:
            gr.Markdown(f"**No model found** under `{settings.checkpoint_root.name}/`: add checkpoint folders.")
        with gr.Tab("Retrieve"):
            with gr.Row():
                with gr.Column(scale=1):
                    video = gr.Video(label="Video clip", sources=["upload"], height=260)
                    query = gr.Textbox(
                        label="Query",
                        placeholder="the red circle moves to the left",
                        max_lines=2,
                        info=f"One short English sentence (at most {settings.max_query_words} words).",
                    )
                    if ctx.examples:
                        gr.Examples(
                            examples=[[str(e.video), e.query] for e in ctx.examples],
                            inputs=[video, query],
                            example_labels=[e.name for e in ctx.examples],
                            label="Examples (with their ground truth)",
                        )
                    else:
                        gr.Markdown("*No example clips yet: upload your own.*")
                    model = gr.Dropdown(names, value=default_model, label="Model")
                    model_md = gr.Markdown(handlers.model_info(ctx, default_model), label="Model info")
                    top_k = gr.Slider(1, 10, value=5, step=1, label="Moments to return (top-k)")
                    run = gr.Button("Find the moment", variant="primary", elem_id="run-retrieve")
                with gr.Column(scale=2):
                    summary = gr.Markdown(label="Summary", elem_id="summary")
                    timeline = gr.Plot(label="Timeline: every scored proposal", elem_id="timeline")
                    moments = gr.Dataframe(label="Ranked moments", interactive=False, elem_id="moments")
                    with gr.Row():
                        clip1 = gr.Video(label="Top 1", interactive=False, height=200, elem_id="clip1")
                        clip2 = gr.Video(label="Top 2", interactive=False, height=200, elem_id="clip2")
                    heatmap = gr.Plot(label="Word × time attention", elem_id="heatmap")
                    with gr.Accordion("Result JSON", open=False):
                        result_json = gr.JSON(label="Result")
                        result_file = gr.File(label="Download the prediction row", interactive=False)
        with gr.Tab("Attention inspector"):
            gr.Markdown("Every attention stage of the model's last run in the **Retrieve** tab.")
            stage = gr.Dropdown([], label="Stage", interactive=True)
            stage_md = gr.Markdown(label="Stage description")
            stage_plot = gr.Plot(label="Attention", elem_id="stage-plot")
            gr.Markdown(
                "### Drop a word\nRun the same query without one word and see how the top moment (red outline) moves."
            )
            with gr.Row():
                word = gr.Dropdown([], label="Word to drop", interactive=True)
                drop = gr.Button("Run without this word")
            drop_md = gr.Markdown(label="Drop-a-word result", elem_id="drop-result")
            drop_plot = gr.Plot(label="Full query vs. without the word")
        with gr.Tab("Compare models"):
            gr.Markdown(
                "2–4 models on the clip and query of the **Retrieve** tab. Red outline: each model's top-1 moment; "
                "green dashes: the ground truth (example clips only); bar colours are scaled per model."
            )
            chosen = gr.CheckboxGroup(names, value=names[:2], label="Models")
            compare = gr.Button("Compare", variant="primary")
            cmp_timeline = gr.Plot(label="Timelines on one time axis")
            cmp_heatmaps = gr.Plot(label="Word × time attention, side by side")
            with gr.Row():
                iou_table = gr.Dataframe(label="IoU between top-1 moments", interactive=False)
                latency_table = gr.Dataframe(label="Latency", interactive=False)

        retrieve_outputs = [timeline, moments, heatmap, result_json, result_file, summary, stage, word, state]
        gr.on(
            [run.click, query.submit],
            run_retrieve,
            [video, query, model, top_k, state],
            retrieve_outputs,
            api_name="retrieve",
            concurrency_id="models",
        ).success(run_clips, [state], [clip1, clip2, state], api_name="moment_clips").then(
            run_stage, [stage, state], [stage_plot, stage_md, state], api_visibility="private"
        )
        stage.input(run_stage, [stage, state], [stage_plot, stage_md, state], api_name="show_stage")
        drop.click(
            run_drop_word, [word, state], [drop_md, drop_plot, state], api_name="drop_word", concurrency_id="models"
        )
        compare.click(
            run_compare,
            [video, query, chosen, state],
            [cmp_timeline, cmp_heatmaps, iou_table, latency_table, state],
            api_name="compare",
            concurrency_id="models",
        )
        model.change(run_model_info, [model], [model_md], api_name="model_info")
        demo.load(run_refresh, [model], [model, chosen], api_visibility="private")
    demo.queue(default_concurrency_limit=settings.concurrency, max_size=64)
    demo.vmr_context = ctx  # type: ignore[attr-defined]  # for tests and for app.py's launch options
    return demo
