//! Writes FREB traces shaped as IIS writes them, for the samples, tests and benchmarks.
