package org.stowage.benchmarks;

import org.openjdk.jmh.annotations.Threads;

/** Benchmark 4 from one thread; see {@link MemoryStorageBenchmark}. */
@Threads(1)
public class MemoryOneThreadBenchmark extends MemoryStorageBenchmark {}
