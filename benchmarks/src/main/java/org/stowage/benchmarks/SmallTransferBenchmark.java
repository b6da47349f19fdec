package org.stowage.benchmarks;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.openjdk.jmh.infra.BenchmarkParams;
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
 *
 * <p>A second baseline, {@code atomicFloorBaseline}, measures what the rules themselves cost: on
 * as many threads as a transfer uses by default, each file is read once and hashed with MD5,
 * written to a new temporary file beside its target, given its record in an extended attribute
 * where the filesystem takes one, and renamed into place (S1, S2, R3). It skips what Stowage adds
 * around that floor: the location's lock, the checks of each directory on the way and of the
 * target (L4, L1.2), the file's version for the record, and the report. Its ratio to {@code
 * copyLoopBaseline} is the best this machine allows any store that keeps those rules.
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
  private ExecutorService floorThreads;

  /**
   * Calls of the measured method made in the trial's set-up, before JMH's own warm-up iterations
   * (six in the targets profile). The per-file path of a transfer is compiled only after about a
   * dozen transfers of 5,000 files: in one JVM on tmpfs, transfers 1 to 16 took 385, 261, 240,
   * 229, 234, 212, 217, 149, 152, 138, 160, 131, 145, 121, 121 and 125 ms. Each method of this
   * class gets the same extra calls, so the baselines are as warm as the transfer.
   */
  static final int EXTRA_WARMUP_CALLS = 8;

  /**
   * Writes the unit's output files once, starts the floor's threads, then makes {@value
   * #EXTRA_WARMUP_CALLS} warm-up calls of the measured method.
   */
  @Setup(Level.Trial)
  public void setUp(BenchmarkParams params) throws Exception {
    dir = BenchData.newDirectory("small-transfer");
    scratch = Files.createDirectories(dir.resolve("scratch"));
    TransferTargets.UnitFiles unit =
        TransferTargets.UnitFiles.write(scratch, "part-%05d.json", smallFiles, smallFileBytes, 9_000);
    names = unit.names();
    md5s = unit.md5s();
    targets = new TransferTargets(dir);
    floorThreads = Executors.newFixedThreadPool(floorParallelism(), r -> {
      Thread t = new Thread(r, "floor-baseline");
      t.setDaemon(true);
      return t;
    });
    String benchmark = params.getBenchmark();
    String method = benchmark.substring(benchmark.lastIndexOf('.') + 1);
    for (int i = 0; i < EXTRA_WARMUP_CALLS; i++) {
      targets.renew();
      switch (method) {
        case "transfer" -> transfer();
        case "copyLoopBaseline" -> copyLoopBaseline();
        case "atomicFloorBaseline" -> atomicFloorBaseline();
        default -> throw new IllegalStateException("no warm-up for " + benchmark);
      }
    }
  }

  /**
   * The threads of the floor: as many as a transfer uses by default (StorageManager's default
   * parallelism: one per processor, at least 2 and at most 8).
   */
  static int floorParallelism() {
    return Math.min(8, Math.max(2, Runtime.getRuntime().availableProcessors()));
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
      Path target = targets.copies().resolve(name);
      Files.copy(scratch.resolve(name), target, StandardCopyOption.REPLACE_EXISTING);
      copied++;
    }
    if (copied != smallFiles) {
      throw new IllegalStateException("copied " + copied + " of " + smallFiles);
    }
    return copied;
  }

  /**
   * Baseline: the floor of the rules, on the transfer's default number of threads, each taking
   * the next file: read and MD5, a new temporary file, its record attribute, an atomic rename.
   * Checks every MD5 and the count stored.
   */
  @Benchmark
  public int atomicFloorBaseline() throws Exception {
    Path into = Files.createDirectories(targets.copies().resolve("floor").resolve("bench-dag").resolve("unit"));
    AtomicInteger next = new AtomicInteger();
    AtomicInteger stored = new AtomicInteger();
    List<Future<?>> running = new ArrayList<>();
    for (int t = 0; t < floorParallelism(); t++) {
      running.add(floorThreads.submit(() -> {
        storeFloor(into, next, stored);
        return null;
      }));
    }
    for (Future<?> f : running) {
      f.get();
    }
    if (stored.get() != smallFiles) {
      throw new IllegalStateException("stored " + stored.get() + " of " + smallFiles);
    }
    return stored.get();
  }

  private void storeFloor(Path into, AtomicInteger next, AtomicInteger stored) throws IOException {
    MessageDigest md5 = BenchData.md5();
    ByteBuffer buffer = ByteBuffer.allocate(smallFileBytes + 1);
    for (int i = next.getAndIncrement(); i < names.length; i = next.getAndIncrement()) {
      Path temp = into.resolve(".floor-tmp-" + i);
      buffer.clear();
      try (FileChannel in = FileChannel.open(scratch.resolve(names[i]), StandardOpenOption.READ);
          FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        while (in.read(buffer) > 0 && buffer.hasRemaining()) {
          // a file of the trial is smallFileBytes long: the buffer holds it and meets its end
        }
        buffer.flip();
        md5.update(buffer.array(), 0, buffer.limit());
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
      }
      String md5Hex = HexFormat.of().formatHex(md5.digest());
      if (!md5Hex.equals(md5s[i])) {
        throw new IllegalStateException("floor read " + names[i] + " with MD5 " + md5Hex + ", not " + md5s[i]);
      }
      BenchData.writeRecordAttribute(temp, md5Hex);
      Files.move(temp, into.resolve(names[i]), StandardCopyOption.ATOMIC_MOVE);
      stored.incrementAndGet();
    }
  }

  /** Closes the store and deletes everything the trial wrote. */
  @TearDown(Level.Trial)
  public void tearDown() {
    floorThreads.shutdownNow();
    targets.close();
    BenchData.deleteTree(dir);
  }
}
