"""Shapes-STA: the synthetic moment-retrieval benchmark (/work/shared/specs/shapes-sta.md), generated, never
downloaded. ``video_spec`` describes a video, ``render_video`` draws it in memory, ``load_split`` gives the specs and
sentence rows of a split, ``write_annotation_files`` / ``write_video`` write the Charades-STA-format files."""

from vlanet_core.data.shapes.annotations import (
    SentenceRow,
    annotation_rows,
    load_split,
    to_annotations,
    txt_line,
    write_annotation_files,
)
from vlanet_core.data.shapes.queries import PHRASES, parse_sentence
from vlanet_core.data.shapes.render import frame_count, frame_times, iter_frames, render_frames, render_video
from vlanet_core.data.shapes.sample import video_spec
from vlanet_core.data.shapes.spec import (
    ACTIONS,
    BACKGROUNDS,
    COLOURS,
    DEFAULT_FPS,
    DEFAULT_SEEDS,
    DEFAULT_SIZE,
    DEFAULT_SIZES,
    SHAPES,
    SPLITS,
    EventSpec,
    ObjectSpec,
    ShapesVideo,
    video_id,
)
from vlanet_core.data.shapes.timeline import ObjectTrack, object_tracks
from vlanet_core.data.shapes.writer import CODEC_SUFFIX, CodecUnavailableError, available_codecs, write_video

__all__ = [
    "ACTIONS",
    "BACKGROUNDS",
    "CODEC_SUFFIX",
    "COLOURS",
    "DEFAULT_FPS",
    "DEFAULT_SEEDS",
    "DEFAULT_SIZE",
    "DEFAULT_SIZES",
    "PHRASES",
    "SHAPES",
    "SPLITS",
    "CodecUnavailableError",
    "EventSpec",
    "ObjectSpec",
    "ObjectTrack",
    "SentenceRow",
    "ShapesVideo",
    "annotation_rows",
    "available_codecs",
    "frame_count",
    "frame_times",
    "iter_frames",
    "load_split",
    "object_tracks",
    "parse_sentence",
    "render_frames",
    "render_video",
    "to_annotations",
    "txt_line",
    "video_id",
    "video_spec",
    "write_annotation_files",
    "write_video",
]
