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
      Sizes.FULL,
      4L << 30,
      -1, -1, -1, 1, 8),
  /**
   * Issue 12's targets on the full sizes, with shorter iterations (six warm-up and four measured,
   * of 1 s where timed), one fork each and six fresh JVMs for the first transfer. What {@code
   * -Pbench-targets} runs, once on the default directory and once on tmpfs. Six warm-ups, not
   * two: a warm transfer is one whose per-file path the JIT has compiled, which takes about 2,500
   * files (five transfers of 500; measured with a driver of {@code transferMoving} on tmpfs, ratio
   * to the MD5 baseline by round: 0.73, 0.84, 0.86, 0.90, 0.97, 0.83, then 0.97 to 1.03); the
   * first transfer in a fresh JVM is {@link ColdTransferBenchmark}'s.
   */
  TARGETS(
      Sizes.FULL,
      4L << 30,
      6, 4, 1000, 1, 6),
  QUICK(
      Map.ofEntries(
          Map.entry("fileBytes", "134217728"),
          Map.entry("objectBytes", "4096"),
          Map.entry("files", "50"),
          Map.entry("transferFileBytes", "1048576"),
          Map.entry("smallFiles", "1000"),
          Map.entry("smallFileBytes", "4096"),
          Map.entry("objects", "5000"),
          Map.entry("contentBytes", "1048576"),
          Map.entry("digests", "500"),
          Map.entry("s3ObjectBytes", "16777216"),
          Map.entry("multipartBytes", "67108864"),
          Map.entry("gcObjects", "5000")),
      64L << 20,
      1, 2, 250, 0, 2),
  SMOKE(
      Map.ofEntries(
          Map.entry("fileBytes", String.valueOf(6 << 20)),
          Map.entry("objectBytes", "4096"),
          Map.entry("files", "8"),
          Map.entry("transferFileBytes", "65536"),
          Map.entry("smallFiles", "50"),
          Map.entry("smallFileBytes", "4096"),
          Map.entry("objects", "300"),
          Map.entry("contentBytes", "65536"),
          Map.entry("digests", "100"),
          Map.entry("s3ObjectBytes", String.valueOf(12 << 20)),
          Map.entry("multipartBytes", String.valueOf(12 << 20)),
          Map.entry("gcObjects", "300")),
      16L << 20,
      0, 1, 100, 0, 0);

  /** Parameter sets shared by profiles (an enum's constants cannot refer to its static fields). */
  private static final class Sizes {
    static final Map<String, String> FULL =
        Map.ofEntries(
            Map.entry("fileBytes", "1073741824"),
            Map.entry("objectBytes", "4096"),
            Map.entry("files", "500"),
            Map.entry("transferFileBytes", "1048576"),
            Map.entry("smallFiles", "5000"),
            Map.entry("smallFileBytes", "4096"),
            Map.entry("objects", "100000"),
            Map.entry("contentBytes", "1048576"),
            Map.entry("digests", "10000"),
            Map.entry("s3ObjectBytes", "67108864"),
            Map.entry("multipartBytes", "1073741824"),
            Map.entry("gcObjects", "200000"));
  }

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
  /**
   * Forks of {@link ColdTransferBenchmark}, one measured call each: how many first transfers in a
   * fresh JVM are measured. 0 runs it once in the runner's JVM (which is then not fresh).
   */
  final int coldForks;

  BenchProfile(
      Map<String, String> params,
      long bigStreamBytes,
      int warmupIterations,
      int measurementIterations,
      int iterationMillis,
      int forks,
      int coldForks) {
    this.params = params;
    this.bigStreamBytes = bigStreamBytes;
    this.warmupIterations = warmupIterations;
    this.measurementIterations = measurementIterations;
    this.iterationMillis = iterationMillis;
    this.forks = forks;
    this.coldForks = coldForks;
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
      throw new IllegalArgumentException(
          "unknown profile " + name + " (full, targets, quick, smoke)", e);
    }
  }
}
