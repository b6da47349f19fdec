package org.stowage.benchmarks;

import java.util.Locale;
import java.util.Map;

/**
 * The three ways to run the suite: sizes (as JMH parameters) and iteration counts.
 *
 * <ul>
 *   <li>{@link #FULL}: the sizes of the issue (1 GiB files, 500 files of 1 MiB, 100,000 objects,
 *       a 4 GiB stream), the iteration counts written on each benchmark class, one fork each.
 *       15 to 25 minutes on two cores.
 *   <li>{@link #QUICK}: smaller sizes (128 MiB files, 50 files of 1 MiB, 5,000 objects to list,
 *       16 and 64 MiB on S3, a 64 MiB stream), one warm-up and two measured iterations of 0.25 s,
 *       all in the runner's JVM (no forks, which saves a JVM start per benchmark). Under two
 *       minutes on an idle machine; ratios indicative only: without forks, benchmarks share one JIT
 *       profile.
 *   <li>{@link #SMOKE}: tiny sizes, one iteration of 100 ms, no fork. Seconds; checks that every
 *       benchmark runs and verifies, says nothing about speed.
 * </ul>
 */
enum BenchProfile {
  FULL(
      Map.of(
          "fileBytes", "1073741824",
          "objectBytes", "4096",
          "files", "500",
          "transferFileBytes", "1048576",
          "objects", "100000",
          "contentBytes", "1048576",
          "digests", "10000",
          "s3ObjectBytes", "67108864",
          "multipartBytes", "1073741824",
          "gcObjects", "200000"),
      4L << 30,
      -1, -1, -1, 1),
  QUICK(
      Map.of(
          "fileBytes", "134217728",
          "objectBytes", "4096",
          "files", "50",
          "transferFileBytes", "1048576",
          "objects", "5000",
          "contentBytes", "1048576",
          "digests", "500",
          "s3ObjectBytes", "16777216",
          "multipartBytes", "67108864",
          "gcObjects", "5000"),
      64L << 20,
      1, 2, 250, 0),
  SMOKE(
      Map.of(
          "fileBytes", String.valueOf(6 << 20),
          "objectBytes", "4096",
          "files", "8",
          "transferFileBytes", "65536",
          "objects", "300",
          "contentBytes", "65536",
          "digests", "100",
          "s3ObjectBytes", String.valueOf(12 << 20),
          "multipartBytes", String.valueOf(12 << 20),
          "gcObjects", "300"),
      16L << 20,
      0, 1, 100, 0);

  /** JMH parameter values, by name; each applies to every benchmark that declares it. */
  final Map<String, String> params;
  /** Bytes of the bounded-memory stream check. */
  final long bigStreamBytes;
  /** Warm-up iterations, or -1 for each class's own. */
  final int warmupIterations;
  /** Measured iterations, or -1 for each class's own. */
  final int measurementIterations;
  /** Milliseconds per timed iteration, or -1 for each class's own. */
  final int iterationMillis;
  /** JMH forks per benchmark; 0 runs in the runner's JVM. */
  final int forks;

  BenchProfile(
      Map<String, String> params,
      long bigStreamBytes,
      int warmupIterations,
      int measurementIterations,
      int iterationMillis,
      int forks) {
    this.params = params;
    this.bigStreamBytes = bigStreamBytes;
    this.warmupIterations = warmupIterations;
    this.measurementIterations = measurementIterations;
    this.iterationMillis = iterationMillis;
    this.forks = forks;
  }

  /** How many objects the listing benchmarks and the heap probe list. */
  int listingObjects() {
    return Integer.parseInt(params.get("objects"));
  }

  /** The profile named {@code full}, {@code quick} or {@code smoke}. */
  static BenchProfile named(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown profile " + name + " (full, quick, smoke)", e);
    }
  }
}
