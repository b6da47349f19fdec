package org.stowage.benchmarks;

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
import org.stowage.Metadata;
import org.stowage.filesystem.FileStorage;

/**
 * Benchmark 1: {@link FileStorage#storePath} of a large file (1 GiB in the full profile), which
 * copies it into the store atomically and computes its MD5 in the same pass, against the raw MD5
 * of the same file's bytes read from the page cache.
 *
 * <p>Each measured call stores into an empty location (the previous copy is deleted before the
 * iteration, outside the timing), so the rename never has to free a gigabyte of the old object,
 * and starts with no dirty pages in the page cache (a {@code sync} outside the timing): a store
 * writes its gigabyte into the page cache, and without the sync the kernel's writeback throttling
 * of the previous iterations' gigabytes made iterations alternate between 1.4 s and 3.4 s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 6)
@Fork(1)
public class StorePathBenchmark {
  private static final String LOCATION = "results/large.bin";

  /** The file's size in bytes. */
  @Param("1073741824")
  public long fileBytes;

  private Path dir;
  private Path source;
  private FileStorage storage;
  private byte[] buffer;
  private String expectedMd5;

  /** Writes the source file once (it stays in the page cache) and opens an empty store. */
  @Setup(Level.Trial)
  public void setUp() {
    dir = BenchData.newDirectory("store-path");
    source = dir.resolve("source.bin");
    BenchData.writeRandomFile(source, fileBytes, 1);
    buffer = new byte[BenchData.BUFFER];
    expectedMd5 = BenchData.md5Hex(source, buffer);
    storage = new FileStorage(dir.resolve("store"));
  }

  /**
   * Removes the previous copy, so that every measured store starts from an empty location, and
   * lets the kernel write back what earlier iterations wrote (see {@link
   * BenchData#flushPageCache()}), so that no iteration is throttled for its predecessors' data.
   */
  @Setup(Level.Iteration)
  public void emptyLocation() {
    storage.deleteIfExists(LOCATION);
    BenchData.flushPageCache();
  }

  /** Stowage: an atomic store of the file with its MD5. */
  @Benchmark
  public Metadata storePath() {
    Metadata stored = storage.storePath(LOCATION, source);
    if (!stored.md5().equals(expectedMd5) || stored.size() != fileBytes) {
      throw new IllegalStateException("storePath returned " + stored + ", expected MD5 " + expectedMd5);
    }
    return stored;
  }

  /** Baseline: MD5 of the same bytes, read from the page cache with a plain loop. */
  @Benchmark
  public String md5Baseline() {
    return BenchData.md5Hex(source, buffer);
  }

  /** Closes the store and deletes everything the trial wrote. */
  @TearDown(Level.Trial)
  public void tearDown() {
    storage.close();
    BenchData.deleteTree(dir);
  }
}
