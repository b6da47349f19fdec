package org.stowage.benchmarks;

import org.openjdk.jmh.annotations.Threads;

/** Benchmark 4 from two threads sharing one store (and one baseline map); see {@link MemoryStorageBenchmark}. */
@Threads(2)
public class MemoryTwoThreadsBenchmark extends MemoryStorageBenchmark {}
