from benchmarks.independent_renderer.cli import main

main()
