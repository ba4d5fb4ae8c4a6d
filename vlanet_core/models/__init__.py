from vlanet_core.models import (  # noqa: F401  (register "cimha" and "scn")
    baselines,  # noqa: F401  (register "random", "whole-video", "prior-only")
    cimha,
    clip_zeroshot,  # noqa: F401  (register "clip-zeroshot")
    scn,
    vlanet,  # noqa: F401  (register "vlanet")
    wsra,  # noqa: F401  (register "wsra")
)
