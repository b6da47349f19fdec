package org.stowage.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.stowage.filesystem.FileStorage;
import org.stowage.staging.ScratchPolicy;
import org.stowage.staging.StorageManager;
import org.stowage.staging.TransferReport;

/**
 * Benchmark 6, cold: the first transfer in a fresh JVM, as a workflow that runs each unit in its
 * own process pays it. One measured call per fork, no warm-up, many forks ({@link
 * RunBenchmarks} runs this class in its own JMH run with the profile's {@code coldForks}): each
 * measurement is a JVM's very first {@code FileStorage} and {@code StorageManager}, class loading,
 * thread start-up and interpreted code included.
 *
 * <ul>
 *   <li>{@code firstTransfer}: open a {@link FileStorage}, build a manager under {@link
 *       ScratchPolicy#DELETE_AFTER_TRANSFER}, register the unit's files and close it (transfer,
 *       then delete scratch), as a unit's process ends. Compared with the warm {@link
 *       TransferBenchmark#md5AllCoresBaseline} of the same run (target 0.6).
 *   <li>{@code firstMd5AllCores}: the MD5 of the same files on all cores, also the first in its
 *       JVM; for information (what a cold JVM costs any code that hashes).
 * </ul>
 *
 * <p>Nothing sets up the process's logging before the measured call: Stowage asks for its
 * loggers only when it has something to say, so a transfer that logs nothing never makes the
 * backend (this module's logback, which parses an XML file and loads some 900 classes) configure
 * itself. When {@code FileStorage} still asked for its logger as it loaded, that set-up was about 200
 * ms of a 950 ms first transfer (docs/performance.md, "The first transfer without the logging
 * set-up").
 *
 * <p>The set-up writes the files with plain {@code java.nio} (as the unit did) and computes
 * nothing else, so that no class the transfer needs (MD5, the store, the manager) is loaded
 * before the measured call; the MD5s are checked after it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 0)
@Measurement(iterations = 1)
@Fork(10)
public class ColdTransferBenchmark {
  /** How many files the unit wrote. */
  @Param("500")
  public int files;

  /** The size of each file. */
  @Param("1048576")
  public int transferFileBytes;

  private Path dir;
  private Path unit;
  private Path store;
  private String[] names;
  private TransferReport report;
  private String[] hashed;

  /** Writes the unit's output files in a scratch directory next to the store. */
  @Setup(Level.Trial)
  public void setUp() throws IOException {
    dir = BenchData.newDirectory("cold-transfer");
    unit = Files.createDirectories(dir.resolve("scratch"));
    store = dir.resolve("store");
    names = new String[files];
    for (int i = 0; i < files; i++) {
      names[i] = String.format("frame-%05d.dat", i);
      BenchData.writeRandomFile(unit.resolve(names[i]), transferFileBytes, 600 + i);
    }
    BenchData.flushPageCache();
  }

  /** Stowage: the JVM's first store, manager and transfer. */
  @Benchmark
  public TransferReport firstTransfer() {
    FileStorage storage = new FileStorage(store);
    StorageManager manager =
        StorageManager.builder(unit, storage, "bench-dag", "unit")
            .scratchPolicy(ScratchPolicy.DELETE_AFTER_TRANSFER)
            .build();
    for (String name : names) {
      manager.register(name);
    }
    manager.close();
    report = manager.lastTransfer().orElseThrow();
    return report;
  }

  /** For information: the JVM's first MD5 of every file, on all cores. */
  @Benchmark
  public int firstMd5AllCores() {
    String[] md5s = new String[files];
    java.util.stream.IntStream.range(0, files)
        .parallel()
        .forEach(i -> md5s[i] = BenchData.md5Hex(unit.resolve(names[i]), new byte[1 << 20]));
    hashed = md5s;
    return md5s.length;
  }

  /** Checks what the measured call computed against the files' MD5s, then deletes everything. */
  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    try {
      if (report != null && report.files().size() != files) {
        throw new IllegalStateException("transferred " + report.files().size() + " of " + files);
      }
      byte[] buffer = new byte[BenchData.BUFFER];
      Path check = Files.createDirectories(dir.resolve("check")).resolve("file");
      for (int i = 0; i < files && (report != null || hashed != null); i++) {
        BenchData.writeRandomFile(check, transferFileBytes, 600 + i); // the same bytes again
        String expected = BenchData.md5Hex(check, buffer);
        String got = report != null ? report.files().get(i).metadata().md5() : hashed[i];
        if (!expected.equals(got)) {
          throw new IllegalStateException("wrong MD5 for " + names[i] + ": " + got);
        }
      }
    } finally {
      BenchData.deleteTree(dir);
    }
  }
}
