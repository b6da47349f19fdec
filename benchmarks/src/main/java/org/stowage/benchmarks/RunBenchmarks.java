package org.stowage.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.stowage.benchmarks.Comparison.Rate;

/**
 * Runs the benchmark suite with JMH and reports each Stowage operation as a ratio to its raw
 * baseline, measured in the same run on the same bytes.
 *
 * <pre>
 * java -cp &lt;runtime class path&gt; org.stowage.benchmarks.RunBenchmarks
 *     [--profile full|targets|quick|smoke] [--out DIR] [--include REGEX]
 * </pre>
 *
 * <p>The Maven profiles {@code bench}, {@code bench-quick} and {@code bench-smoke} of this module
 * run it (see docs/performance.md). Steps:
 *
 * <ol>
 *   <li>JMH, through its {@link Runner} API, with the {@link BenchProfile profile}'s sizes and
 *       iterations; the forks inherit this JVM's class path. JMH's own JSON goes to {@code
 *       DIR/jmh-result.json}.
 *   <li>The listing heap probe ({@link ListingHeapProbe}), in this JVM.
 *   <li>The bounded-memory checks ({@link BigStreamCheck}) in forked JVMs: FileStorage under
 *       {@code -Xmx64m}, S3Storage (with s3proxy in the same JVM) under {@code -Xmx128m}.
 *   <li>The {@link #COMPARISONS} table, printed and written to {@code DIR/ratios.md}, with the
 *       machine's description, and a bar chart to {@code DIR/ratios.svg}.
 * </ol>
 *
 * <p>{@code --include} (or the system property {@code stowage.bench.include}) is a regular
 * expression, as JMH's: only benchmarks whose full name it finds run; the heap probe runs if it
 * finds {@code ListingHeapProbe}, the memory check if it finds {@code BigStreamCheck}. The
 * system property {@code stowage.bigStreamBytes} overrides the size of the memory check.
 *
 * <p>Exit status: 0 if every benchmark ran and every functional check passed (the memory check,
 * no write on a present put); 1 otherwise. Missed speed targets are reported, not failed: timings
 * on a shared machine are no basis for failing a build.
 */
public final class RunBenchmarks {
  private static final String PACKAGE = "org.stowage.benchmarks.";

  /** What is compared with what, and the targets: the list. */
  static final List<Comparison> COMPARISONS =
      List.of(
          new Comparison("1", "FileStorage.storePath, MD5 (vs MD5 of the file)",
              "StorePathBenchmark.storePath", "StorePathBenchmark.md5Baseline",
              0.9, Rate.megabytes("fileBytes")),
          new Comparison("1", "FileStorage.storePath, MD5 (vs Files.copy of the file to a new name, no hash)",
              "StorePathBenchmark.storePath", "StorePathBenchmark.copyBaseline",
              Double.NaN, Rate.megabytes("fileBytes")),
          new Comparison("2", "verified loadStream read to the end (vs MD5 of the file)",
              "VerifiedLoadBenchmark.verifiedLoad", "VerifiedLoadBenchmark.md5Baseline",
              0.9, Rate.megabytes("fileBytes")),
          new Comparison("3", "FileStorage store, replacing (vs temp file + Files.move)",
              "SmallFileBenchmark.store", "SmallFileBenchmark.storeBaseline",
              0.8, Rate.ops()),
          new Comparison("3", "FileStorage store, new location (vs plain Files.write, creating directories)",
              "SmallFileBenchmark.storeNew", "SmallFileBenchmark.storeNewPlainBaseline",
              0.8, Rate.ops()),
          new Comparison("3", "FileStorage store, new location (vs temp file + Files.move)",
              "SmallFileBenchmark.storeNew", "SmallFileBenchmark.storeNewBaseline",
              Double.NaN, Rate.ops()),
          new Comparison("3", "FileStorage store, replacing (vs the rules' floor: temp file + MD5 + record attribute + Files.move)",
              "SmallFileBenchmark.store", "SmallFileBenchmark.storeFloorBaseline",
              Double.NaN, Rate.ops()),
          new Comparison("3", "the rules' floor, replacing (vs temp file + Files.move)",
              "SmallFileBenchmark.storeFloorBaseline", "SmallFileBenchmark.storeBaseline",
              Double.NaN, Rate.ops()),
          new Comparison("3", "FileStorage store, new location (vs the rules' floor, same layout and directory work)",
              "SmallFileBenchmark.storeNew", "SmallFileBenchmark.storeNewFloorBaseline",
              Double.NaN, Rate.ops()),
          new Comparison("3", "the rules' floor, new location (vs plain Files.write, creating directories)",
              "SmallFileBenchmark.storeNewFloorBaseline", "SmallFileBenchmark.storeNewPlainBaseline",
              Double.NaN, Rate.ops()),
          new Comparison("3", "FileStorage load (vs Files.readAllBytes)",
              "SmallFileBenchmark.load", "SmallFileBenchmark.loadBaseline",
              0.8, Rate.ops()),
          new Comparison("3", "FileStorage verified load (vs readAllBytes + MD5)",
              "SmallFileBenchmark.loadVerified", "SmallFileBenchmark.loadVerifiedBaseline",
              Double.NaN, Rate.ops()),
          new Comparison("4", "MemoryStorage store (vs copy + MD5 + CHM put)",
              "MemoryOneThreadBenchmark.store", "MemoryOneThreadBenchmark.storeBaseline",
              0.7, Rate.ops()),
          new Comparison("4", "MemoryStorage store (vs copy + MD5 + CHM put)",
              "MemoryTwoThreadsBenchmark.store", "MemoryTwoThreadsBenchmark.storeBaseline",
              0.7, Rate.ops()),
          new Comparison("4", "MemoryStorage verified load (vs CHM get + copy + MD5)",
              "MemoryOneThreadBenchmark.loadVerified", "MemoryOneThreadBenchmark.loadBaseline",
              0.7, Rate.ops()),
          new Comparison("4", "MemoryStorage verified load (vs CHM get + copy + MD5)",
              "MemoryTwoThreadsBenchmark.loadVerified", "MemoryTwoThreadsBenchmark.loadBaseline",
              0.7, Rate.ops()),
          new Comparison("5", "S3Storage.storePath, 8 MiB parts (vs SDK PutObject of the file)",
              "S3PutGetBenchmark.put", "S3PutGetBenchmark.putBaseline",
              0.9, Rate.megabytes("s3ObjectBytes")),
          new Comparison("5", "S3Storage.storePath, one part (vs SDK PutObject of the file)",
              "S3PutGetBenchmark.putOnePart", "S3PutGetBenchmark.putBaseline",
              0.9, Rate.megabytes("s3ObjectBytes")),
          new Comparison("5", "S3Storage verified loadStream (vs SDK GetObject)",
              "S3PutGetBenchmark.get", "S3PutGetBenchmark.getBaseline",
              0.9, Rate.megabytes("s3ObjectBytes")),
          new Comparison("5", "S3Storage.storePath multipart (vs SDK multipart upload)",
              "S3MultipartBenchmark.multipart", "S3MultipartBenchmark.multipartBaseline",
              0.9, Rate.megabytes("multipartBytes")),
          new Comparison("10", "S3 storePath through a cache (vs bare S3Storage)",
              "S3DecoratorBenchmark.putCached", "S3DecoratorBenchmark.putBare",
              0.9, Rate.megabytes("s3ObjectBytes")),
          new Comparison("10", "S3 storePath through a mirror, replicated to memory (vs bare S3Storage)",
              "S3DecoratorBenchmark.putMirrored", "S3DecoratorBenchmark.putBare",
              Double.NaN, Rate.megabytes("s3ObjectBytes")),
          new Comparison("10", "S3 verify through a cache (vs bare S3Storage)",
              "S3DecoratorBenchmark.verifyCached", "S3DecoratorBenchmark.verifyBare",
              0.9, Rate.megabytes("s3ObjectBytes")),
          new Comparison("10", "S3 verify through a mirror (vs bare S3Storage)",
              "S3DecoratorBenchmark.verifyMirrored", "S3DecoratorBenchmark.verifyBare",
              0.9, Rate.megabytes("s3ObjectBytes")),
          new Comparison("10", "S3 copy through a cache (vs bare S3Storage)",
              "S3DecoratorBenchmark.copyCached", "S3DecoratorBenchmark.copyBare",
              0.9, Rate.megabytes("s3ObjectBytes")),
          new Comparison("10", "S3 copy through a mirror, replicated to memory (vs bare S3Storage)",
              "S3DecoratorBenchmark.copyMirrored", "S3DecoratorBenchmark.copyBare",
              Double.NaN, Rate.megabytes("s3ObjectBytes")),
          new Comparison("6", "transfer(), KEEP, copying (vs one thread: Files.copy + MD5)",
              "TransferBenchmark.transfer", "TransferBenchmark.sequentialCopyBaseline",
              1.0, Rate.megabytes("files", "transferFileBytes")),
          new Comparison("6", "transfer(), KEEP, copying (vs one thread: Files.copy, no hash)",
              "TransferBenchmark.transfer", "TransferBenchmark.copyOnlyBaseline",
              Double.NaN, Rate.megabytes("files", "transferFileBytes")),
          new Comparison("6", "transfer, DELETE_AFTER_TRANSFER, moving, warm (vs MD5 on all cores)",
              "TransferBenchmark.transferMoving", "TransferBenchmark.md5AllCoresBaseline",
              0.9, Rate.megabytes("files", "transferFileBytes")),
          new Comparison("6", "first transfer in a fresh JVM, moving (vs warm MD5 on all cores)",
              "ColdTransferBenchmark.firstTransfer", "TransferBenchmark.md5AllCoresBaseline",
              0.6, Rate.megabytes("files", "transferFileBytes")),
          new Comparison("6", "first transfer in a fresh JVM (vs first MD5 on all cores in a fresh JVM)",
              "ColdTransferBenchmark.firstTransfer", "ColdTransferBenchmark.firstMd5AllCores",
              Double.NaN, Rate.megabytes("files", "transferFileBytes")),
          new Comparison("6", "transfer() of small files, KEEP (vs one thread: Files.copy, no hash)",
              "SmallTransferBenchmark.transfer", "SmallTransferBenchmark.copyLoopBaseline",
              1.0, Rate.megabytes("smallFiles", "smallFileBytes")),
          new Comparison("6", "transfer() of small files, KEEP (vs the rules' floor: MD5, temp file, record attribute, rename, same threads; no scratch check)",
              "SmallTransferBenchmark.transfer", "SmallTransferBenchmark.atomicFloorBaseline",
              Double.NaN, Rate.megabytes("smallFiles", "smallFileBytes")),
          new Comparison("6", "the rules' floor for small files (vs one thread: Files.copy, no hash)",
              "SmallTransferBenchmark.atomicFloorBaseline", "SmallTransferBenchmark.copyLoopBaseline",
              Double.NaN, Rate.megabytes("smallFiles", "smallFileBytes")),
          new Comparison("7", "iterContents() (vs raw walk of the same keys)",
              "ListingBenchmark.iterContents", "ListingBenchmark.listingBaseline",
              Double.NaN, Rate.items("keys/s", "objects")),
          new Comparison("8", "put of present content, no write (vs SHA-256 + stat)",
              "ContentAddressedBenchmark.putPresent", "ContentAddressedBenchmark.putPresentBaseline",
              Double.NaN, Rate.megabytes("contentBytes")),
          new Comparison("8", "findMissing, batched + parallel (vs sequential exists)",
              "ContentAddressedBenchmark.findMissing", "ContentAddressedBenchmark.findMissingBaseline",
              1.0, Rate.items("digests/s", "digests")),
          new Comparison("9", "garbage collection, dry run, -Xmx64m (vs one listing of the same store)",
              "CollectionBenchmark.collect", "CollectionBenchmark.listingBaseline",
              1 / 1.5, Rate.items("content objects/s", "gcObjects")));

  private RunBenchmarks() {}

  /** See the class description. */
  public static void main(String[] args) throws RunnerException, IOException, InterruptedException {
    BenchProfile profile = BenchProfile.QUICK;
    Path out = Path.of("target");
    String include = System.getProperty("stowage.bench.include", "");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--profile" -> profile = BenchProfile.named(value(args, ++i));
        case "--out" -> out = Path.of(value(args, ++i));
        case "--include" -> include = value(args, ++i);
        default -> {
          System.err.println(
              "usage: RunBenchmarks [--profile full|targets|quick|smoke] [--out DIR] [--include REGEX]");
          System.exit(2);
        }
      }
    }
    Files.createDirectories(out);
    Pattern filter = include.isBlank() ? null : Pattern.compile(include);
    Machine machine = Machine.describe();
    long started = System.nanoTime();

    ListingBenchmark.deleteSharedFileStores(); // left by a killed run, perhaps of another size
    List<Measurement> measurements;
    List<ListingHeapProbe.Result> heap = new ArrayList<>();
    try {
      measurements = runJmh(profile, out, filter);
      if (selected(filter, PACKAGE + "ListingHeapProbe")) {
        for (String backend : List.of("file", "memory")) {
          heap.add(ListingHeapProbe.measure(backend, profile.listingObjects()));
        }
      }
    } finally {
      ListingBenchmark.deleteSharedFileStores();
    }
    List<BigStreamCheck.Outcome> bigStream = new ArrayList<>();
    if (selected(filter, PACKAGE + "BigStreamCheck")) {
      bigStream.add(runBigStreamCheck(profile, "file", "64m"));
      bigStream.add(runBigStreamCheck(profile, "s3", "128m"));
    }

    List<Comparison.Row> rows = new ArrayList<>();
    for (Comparison c : COMPARISONS) {
      // Both sides: a comparison across classes (the cold transfer against the warm MD5) is left out
      // when the filter selects only one of them.
      if (selected(filter, PACKAGE + c.operation()) && selected(filter, PACKAGE + c.baseline())) {
        rows.addAll(c.rows(measurements));
      }
    }
    Report report =
        new Report(profile, machine.withLoadAtEnd(), rows, heap, bigStream,
            (System.nanoTime() - started) / 1e9);
    String markdown = report.markdown();
    Files.writeString(out.resolve("ratios.md"), markdown);
    Files.writeString(out.resolve("ratios.svg"), report.svg());
    System.out.println();
    System.out.println(markdown);
    System.out.println("Written: " + out.resolve("jmh-result.json") + ", " + out.resolve("ratios.md")
        + ", " + out.resolve("ratios.svg"));
    List<String> failures = report.failures();
    if (!failures.isEmpty()) {
      System.out.println("FAILED:");
      failures.forEach(f -> System.out.println("  " + f));
      System.exit(1);
    }
  }

  /** The benchmarks measured once per fresh JVM, in a JMH run of their own. */
  private static final String COLD = "ColdTransferBenchmark";

  /**
   * Runs JMH: every selected benchmark with the profile's iterations and forks, then {@value
   * #COLD}'s with one measured call in each of the profile's {@code coldForks} fresh JVMs.
   */
  private static List<Measurement> runJmh(BenchProfile profile, Path out, Pattern filter)
      throws RunnerException {
    ChainedOptionsBuilder options =
        options(profile, out.resolve("jmh-result.json"))
            .include(filter == null ? Pattern.quote(PACKAGE) + ".*Benchmark\\..*" : filter.pattern())
            .exclude(Pattern.quote(PACKAGE + COLD + "."))
            .forks(profile.forks);
    if (profile.warmupIterations >= 0) {
      options.warmupIterations(profile.warmupIterations);
    }
    if (profile.measurementIterations >= 0) {
      options.measurementIterations(profile.measurementIterations);
    }
    if (profile.iterationMillis >= 0) {
      options.warmupTime(TimeValue.milliseconds(profile.iterationMillis));
      options.measurementTime(TimeValue.milliseconds(profile.iterationMillis));
    }
    List<Measurement> measured = new ArrayList<>();
    try {
      new Runner(options.build()).run().stream().map(Measurement::of).forEach(measured::add);
    } catch (org.openjdk.jmh.runner.NoBenchmarksException onlyCold) {
      // the filter selects only the cold benchmarks
    }
    List<String> cold = new ArrayList<>();
    for (String method : List.of("firstTransfer", "firstMd5AllCores")) {
      if (selected(filter, PACKAGE + COLD + "." + method)) {
        cold.add(Pattern.quote(PACKAGE + COLD + "." + method) + "$");
      }
    }
    if (!cold.isEmpty()) {
      ChainedOptionsBuilder coldOptions =
          options(profile, out.resolve("jmh-result-cold.json"))
              .include(String.join("|", cold))
              .forks(profile.coldForks)
              .warmupIterations(0)
              .measurementIterations(1);
      new Runner(coldOptions.build()).run().stream().map(Measurement::of).forEach(measured::add);
    }
    return measured;
  }

  /** What every JMH run shares: the profile's sizes, JSON results to {@code result}, the forks' options. */
  private static ChainedOptionsBuilder options(BenchProfile profile, Path result) {
    ChainedOptionsBuilder options =
        new OptionsBuilder()
            .shouldFailOnError(false)
            .resultFormat(ResultFormatType.JSON)
            .result(result.toString())
            .jvmArgs(forkJvmArgs());
    profile.params.forEach(options::param);
    return options;
  }

  /** The forks' JVM options: a fixed heap, and the data directory if one was chosen. */
  private static String[] forkJvmArgs() {
    List<String> args = new ArrayList<>(List.of("-Xms1g", "-Xmx1g"));
    String dir = System.getProperty("stowage.bench.dir", "");
    if (!dir.isBlank()) {
      args.add("-Dstowage.bench.dir=" + dir);
    }
    return args.toArray(String[]::new);
  }

  private static BigStreamCheck.Outcome runBigStreamCheck(
      BenchProfile profile, String backend, String maxHeap) throws IOException, InterruptedException {
    String configured = System.getProperty("stowage.bigStreamBytes", "");
    long bytes = configured.isBlank() ? profile.bigStreamBytes : Long.parseLong(configured.trim());
    Path dir = BenchData.newDirectory("big-stream");
    try {
      System.out.printf(
          Locale.ROOT, "# Bounded memory: %s through %s in a JVM with -Xmx%s%n",
          Comparison.humanize("bytes", Long.toString(bytes)), backend, maxHeap);
      BigStreamCheck.Outcome outcome =
          BigStreamCheck.runForked(
              backend, bytes, maxHeap, System.getProperty("java.class.path"), dir, 60);
      System.out.print(outcome.output());
      return outcome;
    } finally {
      BenchData.deleteTree(dir);
    }
  }

  private static boolean selected(Pattern filter, String name) {
    return filter == null || filter.matcher(name).find();
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      throw new IllegalArgumentException("missing value after " + args[i - 1]);
    }
    return args[i];
  }

  /**
   * The machine the suite ran on, for the report.
   *
   * @param cpus available processors
   * @param cpuModel the first model name in {@code /proc/cpuinfo}, or the OS architecture
   * @param java the Java runtime
   * @param os the operating system
   * @param loadAtStart the one-minute load average when the run started, NaN if unknown
   * @param loadAtEnd the same when it ended
   */
  record Machine(int cpus, String cpuModel, String java, String os, double loadAtStart, double loadAtEnd) {
    static Machine describe() {
      String model = System.getProperty("os.arch");
      try {
        model =
            Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                .filter(l -> l.startsWith("model name"))
                .map(l -> l.substring(l.indexOf(':') + 1).trim())
                .findFirst()
                .orElse(model);
      } catch (IOException | RuntimeException e) {
        // not Linux: the architecture will do
      }
      return new Machine(
          Runtime.getRuntime().availableProcessors(),
          model,
          System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
          System.getProperty("os.name") + " " + System.getProperty("os.version"),
          load(),
          Double.NaN);
    }

    Machine withLoadAtEnd() {
      return new Machine(cpus, cpuModel, java, os, loadAtStart, load());
    }

    private static double load() {
      double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
      return load < 0 ? Double.NaN : load;
    }
  }
}
