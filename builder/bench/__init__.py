"""Benchmarks run by `seqstudio bench`: SeqStudio side by side with the reference in one run."""
