"""The bad-input corpus: every case, where its file is, and what the library must answer.

Four kinds of case:

- ``video``: a file handed to ``decode_video`` / ``Predictor.encode_video`` (and uploaded to the app). Text-like
  files are committed under ``files/``; the rest are written by ``make_corpus.py`` into a temporary folder.
- ``query``: a string handed to a text encoder / ``Predictor.predict`` (and typed into the app).
- ``annotation``: a file under ``files/annotations/`` read by ``vlanet_core.data.readers.read_annotations``
  (``reader`` names the format) and by the evaluator's ``load_ground_truth``.
- ``prediction``: a JSON Lines file under ``files/predictions/`` scored by ``evaluate_files`` against
  ``files/predictions/truth.txt``.

``error`` is the typed error expected at the library API (``None``: the input is odd but must work);
``fragments`` are pieces of its message (compared ignoring case) that name the problem: the file name, the line,
the words... ``dropped`` marks annotation rows that are well formed but unusable: the default (lenient) read drops
them and lists them in its ``ReadSummary``; ``strict=True`` raises. Every annotation / prediction file has a good
row on line 1 and the bad row on line 2, so ``:2`` in a message proves it names the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.bad_inputs.make_corpus import GENERATED, UNICODE_NAME
from vlanet_core.errors import (
    AnnotationError,
    CorruptVideoError,
    EmptyQueryError,
    NoFramesError,
    NotAVideoError,
    QueryTooLongError,
    UnknownWordsError,
    VideoTooLargeError,
    VideoTooLongError,
)
from vlanet_core.evaluation.errors import EvaluationInputError

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
ANNOTATIONS = FILES / "annotations"
PREDICTIONS = FILES / "predictions"
TRUTH = PREDICTIONS / "truth.txt"  # two rows (v1, 30 s)
TRUTH_DURATIONS = PREDICTIONS / "durations.json"  # synthetic durations, passed explicitly
GOOD_CLIP = "good_clip.webm"  # generated: a 4-s clip that must work, for the "app still serves" checks
GOOD_QUERY = "the red bar moves to the right"


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # "video" | "query" | "annotation" | "prediction"
    error: type[Exception] | None
    fragments: tuple[str, ...] = ()
    file: str = ""  # video / annotation / prediction cases
    query: str | None = None  # query cases
    reader: str = ""  # annotation cases: the dataset format
    dropped: bool = False  # annotation cases: dropped (listed) by the lenient read, raised by the strict one
    note: str = ""

    def path(self, generated: Path | None = None) -> Path:
        """Where the case's file is: committed under ``files/`` or generated into ``generated``."""
        if self.kind == "annotation":
            return ANNOTATIONS / self.file
        if self.kind == "prediction":
            return PREDICTIONS / self.file
        if (FILES / self.file).is_file():
            return FILES / self.file
        if generated is None:
            raise ValueError(f"case {self.name} needs the generated corpus folder")
        return generated / self.file

    def __str__(self) -> str:  # pytest ids
        return self.name


def _video(file: str, error: type[Exception] | None, problem: str = "", note: str = "") -> Case:
    fragments = (file, problem) if problem else (file,) if error else ()
    return Case(f"video:{file}", "video", error, fragments, file=file, note=note)


def _query(name: str, query: str | None, error: type[Exception] | None, *fragments: str, note: str = "") -> Case:
    return Case(f"query:{name}", "query", error, tuple(fragments), query=query, note=note)


def _annotation(file: str, reader: str, problem: str, dropped: bool = False, line: bool = True) -> Case:
    fragments = (f"{file}:2", problem) if line else (file, problem)
    return Case(
        f"annotation:{file}", "annotation", AnnotationError, fragments, file=file, reader=reader, dropped=dropped
    )


def _prediction(file: str, problem: str) -> Case:
    return Case(f"prediction:{file}", "prediction", EvaluationInputError, (f"{file}:2", problem), file=file)


VIDEO_CASES = [
    _video("zero_bytes.mp4", NotAVideoError, "empty"),
    _video("tiny_2_bytes.mp4", NotAVideoError, "too short"),
    _video("notes.mp4", NotAVideoError, "text file", "plain text renamed .mp4"),
    _video("page.mp4", NotAVideoError, "text file", "HTML with <script>, renamed .mp4"),
    _video("doc.mp4", NotAVideoError, "PDF"),
    _video("image_png.mp4", NotAVideoError, "PNG"),
    _video("image_jpeg.mp4", NotAVideoError, "JPEG"),
    _video("image_gif.mp4", NotAVideoError, "GIF"),
    _video("archive_zip.mp4", NotAVideoError, "ZIP"),
    _video("sound_wav.mp4", NotAVideoError, "audio", "a WAV renamed .mp4"),
    _video("song_m4a.mp4", NotAVideoError, "audio", "an ISO-BMFF file with the M4A brand"),
    _video("song_mp3.mp4", NotAVideoError, "audio", "ID3 tag + MPEG audio frames"),
    _video("random_bytes.mp4", NotAVideoError, "unrecognised"),
    _video("header_zeroed.mp4", NotAVideoError, "unrecognised", "first 64 bytes of a good MP4 zeroed"),
    _video(UNICODE_NAME, NotAVideoError, "text file", "accents, CJK and a bidi override in the file name"),
    _video("cut_01pct.mp4", CorruptVideoError, "truncated"),
    _video("cut_25pct.mp4", CorruptVideoError, "truncated"),
    _video("cut_50pct.mp4", CorruptVideoError, "truncated"),
    _video("cut_90pct.mp4", CorruptVideoError, "truncated"),
    _video("cut_last_byte.mp4", CorruptVideoError, "truncated"),
    _video("cut_50pct.webm", CorruptVideoError, "truncated"),
    _video("cut_33pct.avi", CorruptVideoError, "truncated"),
    _video("flipped_middle.mp4", CorruptVideoError, "corrupt", "512 bytes inverted in the middle of the frame data"),
    _video("flipped_index.mp4", CorruptVideoError, "no decoder can open it", "64 bytes inverted in the moov box"),
    _video("no_frames.mp4", NoFramesError, "no video track", "an MP4 writer closed before any frame"),
    _video("two_hours_header.avi", VideoTooLongError, "7200", "3 frames, header patched to claim 72,000"),
    _video("two_hours_slow.avi", VideoTooLongError, "limit", "72 frames at 0.01 fps: refused while decoding"),
    _video("two_hours_1fps.webm", VideoTooLongError, "7200", "7,200 16x16 frames at 1 fps"),
    _video("too_big_frames_8k.avi", VideoTooLargeError, "8000x6000", "one 8000x6000 frame, above the 8K limit"),
    _video("one_pixel.avi", None, note="1x1 frames: decoded and resized to the backbone's input size"),
    _video("huge_4000x3000.avi", None, note="2 frames of 4000x3000 (0.2 s): resized before being kept"),
]

LONG_QUERY = "the red circle jumps " * 12 + "very high up"  # 48 + 3 = 51 words, one over the limit
QUERY_CASES = [
    _query("empty", "", EmptyQueryError, "empty"),
    _query("none", None, EmptyQueryError, "empty"),
    _query("spaces", "     ", EmptyQueryError, "empty"),
    _query("tabs-newlines", "\t\t\n\r\n", EmptyQueryError, "empty"),
    _query("zero-width-spaces", "\u200b\u200b\u200b", EmptyQueryError, "empty"),
    _query("control-chars", "\x00\x07\x1b\x7f\x85", EmptyQueryError, "empty"),
    _query("emoji-only", "🎬🔥😀", EmptyQueryError, "no words"),
    _query("punctuation-only", "?!... --- ;;", EmptyQueryError, "no words"),
    _query("51-words", LONG_QUERY, QueryTooLongError, "51 words", "50"),
    _query("10000-chars", "a" * 10_000, QueryTooLongError, "10000 characters"),
    _query("400-words", "word " * 400, QueryTooLongError, "400 words"),
    _query("unknown-words", "blorpfizz qwxzkvv", UnknownWordsError, "blorpfizz", "qwxzkvv"),
    _query("rtl-arabic", "الدائرة الحمراء تقفز", UnknownWordsError, "الحمراء"),
    _query("rtl-hebrew", "העיגול האדום קופץ", UnknownWordsError, "האדום"),
    _query("cjk", "赤い円がジャンプする", UnknownWordsError, "赤い円がジャンプする"),
    _query("markup", "<img src=x onerror=alert(1)>", None, note="markup is words; the app must show it escaped"),
    _query("script-tag", "<script>alert('the red circle')</script>", None),
    _query("bidi-override", "the red circle\u202e jumps", None, note="U+202E becomes a space"),
    _query("nul-inside", "the red\x00circle jumps", None),
    _query("zero-width-joined", "the\u200bred\u200bcircle\u200bjumps", None),
    _query("fullwidth", "ｔｈｅ ｒｅｄ ｃｉｒｃｌｅ ｊｕｍｐｓ", None, note="NFKC folds full-width letters"),
    _query("emoji-and-words", "🔴 the red circle 🔥 jumps", None),
    _query("50-words", " ".join(["red"] * 50), None, note="exactly at the limit"),
]

ANNOTATION_CASES = [
    _annotation("start_after_end.txt", "charades", "start after end", dropped=True),
    _annotation("unknown_video.txt", "charades", "unknown video", dropped=True),
    _annotation("empty_sentence.txt", "charades", "empty sentence", dropped=True),
    _annotation("nan_time.txt", "charades", "not a finite number"),
    _annotation("inf_time.txt", "charades", "not a finite number"),
    _annotation("missing_hashes.txt", "charades", "no '##'"),
    _annotation("words_for_times.txt", "charades", "not a number"),
    _annotation("missing_end.txt", "charades", "<vid> <start> <end>"),
    _annotation("bad_json.json", "activitynet", "not valid JSON", line=False),
    _annotation("missing_duration.json", "activitynet", "missing key 'duration'", line=False),
    _annotation("timestamp_not_pair.json", "activitynet", "[start, end] pair", line=False),
    _annotation("sentences_count.json", "activitynet", "same length", line=False),
]

PREDICTION_CASES = [
    _prediction("not_json.jsonl", "not JSON"),
    _prediction("missing_windows.jsonl", "missing field 'pred_relevant_windows'"),
    _prediction("nan_window.jsonl", "not a finite number"),
    _prediction("start_after_end.jsonl", "starts after it ends"),
    _prediction("negative_start.jsonl", "negative time"),
    _prediction("short_window.jsonl", "[start, end"),
    _prediction("windows_not_list.jsonl", "must be a list"),
    _prediction("row_not_object.jsonl", "JSON object"),
    _prediction("vid_not_string.jsonl", "must be strings"),
    _prediction("string_number.jsonl", "not a finite number"),
    _prediction("unknown_query.jsonl", "no annotation"),
]

CASES: list[Case] = VIDEO_CASES + QUERY_CASES + ANNOTATION_CASES + PREDICTION_CASES


def cases(kind: str, failing_only: bool = False) -> list[Case]:
    """The cases of one kind (``failing_only``: those that must raise)."""
    return [c for c in CASES if c.kind == kind and (c.error is not None or not failing_only)]


def check_manifest() -> None:
    """Every case names an existing file (committed) or a generated one, and names are unique."""
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    for case in CASES:
        if case.kind in ("annotation", "prediction"):
            assert case.path().is_file(), case.name
        elif case.kind == "video":
            assert (FILES / case.file).is_file() or case.file in GENERATED, case.name
