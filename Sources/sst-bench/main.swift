print("sst-bench: not built yet (issue 5)")
