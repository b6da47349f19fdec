package org.stowage.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
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
import org.stowage.staging.ScratchPolicy;
import org.stowage.staging.StorageManager;
import org.stowage.staging.TransferReport;

/**
 * Benchmark 6: staging a unit's outputs (500 files of 1 MiB in the full profile) into an empty
 * {@link FileStorage} on the same filesystem, with {@link StorageManager}'s default parallelism,
 * every file's MD5 checked against the one computed at set-up.
 *
 * <ul>
 *   <li>{@code transfer}: {@link StorageManager#transfer()} under {@link ScratchPolicy#KEEP}: each
 *       file copied into the store and hashed in the pass that copies it. Baselines: {@code
 *       sequentialCopyBaseline}, one thread, for each file {@link Files#copy} (the kernel's copy)
 *       plus an MD5 of it; {@code copyOnlyBaseline}, the same copies without the MD5 (what gufe
 *       does).
 *   <li>{@code transferMoving}: a manager built with {@link ScratchPolicy#DELETE_AFTER_TRANSFER}
 *       and closed (which transfers, then deletes scratch), from scratch files written just
 *       before the iteration. Where the backend can take ownership of a scratch file (a rename on
 *       the same filesystem) it hashes each file once and never copies it. Baseline {@code
 *       md5AllCoresBaseline}: the MD5 of every file, on all cores (a parallel stream), which is
 *       the least any verified transfer must do.
 * </ul>
 *
 * <p>Every measured call starts from an empty target (emptied before the iteration, outside the
 * timing, and followed by a {@code sync} so that no iteration pays for the writeback of earlier
 * ones).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 6)
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
  private TransferTargets targets;
  private byte[] buffer;

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
    targets = new TransferTargets(dir);
  }

  /** Empties both targets: a new store root, a new copy directory. */
  @Setup(Level.Iteration)
  public void emptyTargets() throws IOException {
    targets.renew();
  }

  /**
   * A unit's scratch directory for one moving transfer: copies of the output files, written
   * before each iteration (outside the timing) on the store's filesystem, as a unit leaves them.
   * Only {@code transferMoving} uses it, so no other benchmark pays for the copies.
   */
  @State(Scope.Benchmark)
  public static class Scratch {
    Path unitDir;
    private int round;

    /** Copies the output files into a new scratch directory next to the store. */
    @Setup(Level.Iteration)
    public void fill(TransferBenchmark bench) throws IOException {
      BenchData.deleteTree(unitDir);
      unitDir = Files.createDirectories(bench.dir.resolve("unit-scratch-" + (++round)));
      for (String name : bench.names) {
        Files.copy(bench.scratch.resolve(name), unitDir.resolve(name));
      }
      BenchData.flushPageCache();
    }

    /** Deletes what a failed transfer left. */
    @TearDown(Level.Iteration)
    public void clean() {
      BenchData.deleteTree(unitDir);
    }
  }

  /** Stowage: register every file and transfer them all, verified; scratch is kept. */
  @Benchmark
  public TransferReport transfer() {
    StorageManager manager = new StorageManager(scratch, targets.storage(), "bench-dag", "unit");
    return TransferTargets.transferChecked(manager, names, md5s);
  }

  /**
   * Stowage: register every file, close the manager (transfer, then delete scratch), as a unit
   * under {@link ScratchPolicy#DELETE_AFTER_TRANSFER} ends.
   */
  @Benchmark
  public TransferReport transferMoving(Scratch unit) {
    StorageManager manager =
        StorageManager.builder(unit.unitDir, targets.storage(), "bench-dag", "unit")
            .scratchPolicy(ScratchPolicy.DELETE_AFTER_TRANSFER)
            .build();
    for (String name : names) {
      manager.register(name);
    }
    manager.close();
    return TransferTargets.checked(manager.lastTransfer().orElseThrow(), names, md5s);
  }

  /** Baseline: one thread, for each file a kernel copy and an MD5 of it. */
  @Benchmark
  public int sequentialCopyBaseline() throws IOException {
    for (int i = 0; i < files; i++) {
      Path source = scratch.resolve(names[i]);
      Files.copy(source, targets.copies().resolve(names[i]), StandardCopyOption.REPLACE_EXISTING);
      if (!BenchData.md5Hex(source, buffer).equals(md5s[i])) {
        throw new IllegalStateException(names[i] + " changed");
      }
    }
    return files;
  }

  /** Baseline: one thread, a kernel copy of each file, no hashing (gufe's transfer). */
  @Benchmark
  public int copyOnlyBaseline() throws IOException {
    for (int i = 0; i < files; i++) {
      Path target = targets.copies().resolve(names[i]);
      Files.copy(scratch.resolve(names[i]), target, StandardCopyOption.REPLACE_EXISTING);
    }
    return files;
  }

  /** Baseline: the MD5 of every file, on all cores, each checked. */
  @Benchmark
  public int md5AllCoresBaseline() {
    return md5AllCores(scratch, names, md5s, transferFileBytes);
  }

  /** The MD5 of each of {@code names} under {@code dir} on a parallel stream, checked. */
  static int md5AllCores(Path dir, String[] names, String[] md5s, int fileBytes) {
    int bufferBytes = Math.min(BenchData.BUFFER, Math.max(fileBytes, 8192));
    ThreadLocal<byte[]> buffers = ThreadLocal.withInitial(() -> new byte[bufferBytes]);
    IntStream.range(0, names.length)
        .parallel()
        .forEach(
            i -> {
              if (!BenchData.md5Hex(dir.resolve(names[i]), buffers.get()).equals(md5s[i])) {
                throw new IllegalStateException(names[i] + " changed");
              }
            });
    return names.length;
  }

  /** Closes the store and deletes everything the trial wrote. */
  @TearDown(Level.Trial)
  public void tearDown() {
    targets.close();
    BenchData.deleteTree(dir);
  }
}
