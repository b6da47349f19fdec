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
 * Benchmark 6, small files: {@link StorageManager#transfer()} of many small outputs (5,000 files
 * of 4 KiB in the full profile) into an empty {@link FileStorage}, under the default {@code
 * KEEP}, every MD5 checked. Baseline {@code copyLoopBaseline}: one thread, {@link Files#copy} of
 * each file, no hashing (gufe's loop). Per file the transfer pays what a store pays (a temporary
 * file, a rename, the lock and the record, see benchmark 3) against the baseline's one new file;
 * it gains by running on the manager's threads.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 6)
@Fork(1)
public class SmallTransferBenchmark {
  /** How many files the unit wrote. */
  @Param("5000")
  public int smallFiles;

  /** The size of each. */
  @Param("4096")
  public int smallFileBytes;

  private Path dir;
  private Path scratch;
  private String[] names;
  private String[] md5s;
  private TransferTargets targets;

  /** Writes the unit's output files once. */
  @Setup(Level.Trial)
  public void setUp() throws IOException {
    dir = BenchData.newDirectory("small-transfer");
    scratch = Files.createDirectories(dir.resolve("scratch"));
    byte[] buffer = new byte[8192];
    names = new String[smallFiles];
    md5s = new String[smallFiles];
    for (int i = 0; i < smallFiles; i++) {
      names[i] = String.format("part-%05d.json", i);
      Path file = scratch.resolve(names[i]);
      BenchData.writeRandomFile(file, smallFileBytes, 9_000 + i);
      md5s[i] = BenchData.md5Hex(file, buffer);
    }
    targets = new TransferTargets(dir);
  }

  /** A new, empty store root and copy directory for each iteration. */
  @Setup(Level.Iteration)
  public void emptyTargets() throws IOException {
    targets.renew();
  }

  /** Stowage: register every file and transfer them all, verified. */
  @Benchmark
  public TransferReport transfer() {
    StorageManager manager = new StorageManager(scratch, targets.storage(), "bench-dag", "unit");
    return TransferTargets.transferChecked(manager, names, md5s);
  }

  /** Baseline: one thread, a kernel copy of each file, no hashing; checks the count copied. */
  @Benchmark
  public int copyLoopBaseline() throws IOException {
    int copied = 0;
    for (String name : names) {
      Files.copy(scratch.resolve(name), targets.copies().resolve(name), StandardCopyOption.REPLACE_EXISTING);
      copied++;
    }
    if (copied != smallFiles) {
      throw new IllegalStateException("copied " + copied + " of " + smallFiles);
    }
    return copied;
  }

  /** Closes the store and deletes everything the trial wrote. */
  @TearDown(Level.Trial)
  public void tearDown() {
    targets.close();
    BenchData.deleteTree(dir);
  }
}
