print("simnet-bench: not yet written")
