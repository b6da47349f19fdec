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
import org.stowage.Metadata;
import org.stowage.filesystem.FileStorage;

/**
 * Benchmark 1: {@link FileStorage#storePath} of a large file (1 GiB in the full profile), which
 * copies it into the store atomically and computes its MD5 in the same pass, against the raw MD5
 * of the same file's bytes read from the page cache.
 *
 * <p>Each measured call stores into a new, empty location (so the publishing step never has to
 * free a gigabyte of an old object), and starts with no dirty pages in the page cache (a {@code
 * sync} outside the timing), and with no gigabyte being deleted: see {@link #emptyLocation()}. The
 * trial needs room for all its copies (8 GiB in the full profile); they are deleted at its end.
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
  private String location;
  private Path copies;
  private int round;

  /** Writes the source file once (it stays in the page cache) and opens an empty store. */
  @Setup(Level.Trial)
  public void setUp() {
    dir = BenchData.newDirectory("store-path");
    source = dir.resolve("source.bin");
    BenchData.writeRandomFile(source, fileBytes, 1);
    buffer = new byte[BenchData.BUFFER];
    expectedMd5 = BenchData.md5Hex(source, buffer);
    storage = new FileStorage(dir.resolve("store"));
    try {
      copies = Files.createDirectories(dir.resolve("copies"));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Picks a new, empty location for the next measured store, and lets the kernel write back what
   * earlier iterations wrote (see {@link BenchData#flushPageCache()}), so that no iteration is
   * throttled for its predecessors' data. Earlier copies are kept until the trial ends: deleting a
   * gigabyte just before a timed store made the disk (mounted with {@code discard}) trim it while
   * the store ran, and every other iteration took twice as long.
   */
  @Setup(Level.Iteration)
  public void emptyLocation() {
    location = LOCATION + "." + (++round);
    BenchData.flushPageCache();
  }

  /** Stowage: an atomic store of the file with its MD5. */
  @Benchmark
  public Metadata storePath() {
    Metadata stored = storage.storePath(location, source);
    if (!stored.md5().equals(expectedMd5) || stored.size() != fileBytes) {
      throw new IllegalStateException("storePath returned " + stored + ", expected MD5 " + expectedMd5);
    }
    return stored;
  }

  /**
   * Second baseline, for information: the kernel's copy of the same file to a new name in the same
   * directory layout ({@code Files.copy}), with no hash and no atomic publish. It writes the same
   * gigabyte a store writes, so it shows what writing costs on this machine, which the MD5 baseline
   * (which writes nothing) does not.
   */
  @Benchmark
  public long copyBaseline() throws IOException {
    Path target = copies.resolve("large.bin." + round);
    Files.copy(source, target);
    long size = Files.size(target);
    if (size != fileBytes) {
      throw new IllegalStateException("copied " + size + " bytes, expected " + fileBytes);
    }
    return size;
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
