package org.stowage.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
import org.stowage.staging.StorageManager;
import org.stowage.staging.TransferReport;

/**
 * Benchmark 6: {@link StorageManager#transfer()} of a unit's outputs (500 files of 1 MiB in the
 * full profile) into an empty {@link FileStorage}: every file stored atomically and hashed in the
 * pass that stores it, with the manager's default parallelism. Baseline: a sequential loop of
 * {@link Files#copy} (the kernel's copy) plus an MD5 of each file.
 *
 * <p>Both sides start every measured call from an empty target (emptied before the iteration,
 * outside the timing), and both check every file's MD5 against the one computed at set-up.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 8)
@Fork(1)
public class TransferBenchmark {
  /** How many files the unit wrote. */
  @Param("500")
  public int files;

  /** The size of each file. */
  @Param("1048576")
  public int transferFileBytes;

  private Path dir;
  private Path scratch;
  private String[] names;
  private String[] md5s;
  private Path storeRoot;
  private FileStorage storage;
  private Path copyTarget;
  private byte[] buffer;
  private int round;

  /** Writes the unit's output files once; they stay in the page cache. */
  @Setup(Level.Trial)
  public void setUp() throws IOException {
    dir = BenchData.newDirectory("transfer");
    scratch = Files.createDirectories(dir.resolve("scratch"));
    buffer = new byte[BenchData.BUFFER];
    names = new String[files];
    md5s = new String[files];
    for (int i = 0; i < files; i++) {
      names[i] = String.format("frame-%05d.dat", i);
      Path file = scratch.resolve(names[i]);
      BenchData.writeRandomFile(file, transferFileBytes, 600 + i);
      md5s[i] = BenchData.md5Hex(file, buffer);
    }
  }

  /** Empties both targets: a new store root, a new copy directory. */
  @Setup(Level.Iteration)
  public void emptyTargets() throws IOException {
    if (storage != null) {
      storage.close();
    }
    BenchData.deleteTree(storeRoot);
    BenchData.deleteTree(copyTarget);
    round++;
    storeRoot = dir.resolve("store-" + round);
    storage = new FileStorage(storeRoot);
    copyTarget = Files.createDirectories(dir.resolve("copies-" + round));
    BenchData.flushPageCache(); // no iteration pays for the writeback of earlier ones
  }

  /** Stowage: register every file and transfer them all, verified. */
  @Benchmark
  public TransferReport transfer() {
    StorageManager manager = new StorageManager(scratch, storage, "bench-dag", "unit");
    for (String name : names) {
      manager.register(name);
    }
    TransferReport report = manager.transfer();
    if (report.files().size() != files) {
      throw new IllegalStateException("transferred " + report.files().size() + " of " + files);
    }
    for (int i = 0; i < files; i++) {
      TransferReport.Entry entry = report.files().get(i);
      if (!entry.uploaded() || !entry.metadata().md5().equals(md5s[i])) {
        throw new IllegalStateException("wrong transfer of " + names[i] + ": " + entry);
      }
    }
    return report;
  }

  /** Baseline: one thread, for each file a kernel copy and an MD5 of it. */
  @Benchmark
  public int sequentialCopyBaseline() throws IOException {
    for (int i = 0; i < files; i++) {
      Path source = scratch.resolve(names[i]);
      Files.copy(source, copyTarget.resolve(names[i]), StandardCopyOption.REPLACE_EXISTING);
      if (!BenchData.md5Hex(source, buffer).equals(md5s[i])) {
        throw new IllegalStateException(names[i] + " changed");
      }
    }
    return files;
  }

  /** Closes the store and deletes everything the trial wrote. */
  @TearDown(Level.Trial)
  public void tearDown() {
    if (storage != null) {
      storage.close();
    }
    BenchData.deleteTree(dir);
  }
}
