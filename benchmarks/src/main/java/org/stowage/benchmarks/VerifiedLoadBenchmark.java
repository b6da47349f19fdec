package org.stowage.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
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
 * Benchmark 2: a verified {@code loadStream(location, expected)} of a large object (1 GiB in the
 * full profile) from a {@link FileStorage}, read to its end, against the raw MD5 of the same
 * object file's bytes read from the page cache. Both read with the same {@value
 * BenchData#BUFFER}-byte buffer.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 6)
@Fork(1)
public class VerifiedLoadBenchmark {
  private static final String LOCATION = "results/large.bin";

  /** The object's size in bytes. */
  @Param("1073741824")
  public long fileBytes;

  private Path dir;
  private FileStorage storage;
  private Metadata metadata;
  private Path objectFile;
  private byte[] buffer;

  /** Stores the object once; its file stays in the page cache. */
  @Setup(Level.Trial)
  public void setUp() throws IOException {
    dir = BenchData.newDirectory("verified-load");
    Path source = dir.resolve("source.bin");
    BenchData.writeRandomFile(source, fileBytes, 2);
    storage = new FileStorage(dir.resolve("store"));
    metadata = storage.storePath(LOCATION, source);
    Files.delete(source);
    objectFile = Path.of(storage.uri(LOCATION));
    buffer = new byte[BenchData.BUFFER];
  }

  /** Stowage: a verified stream, read to its end (the last read checks size and MD5). */
  @Benchmark
  public long verifiedLoad() {
    long total = 0;
    try (InputStream in = storage.loadStream(LOCATION, metadata)) {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        total += n;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (total != fileBytes) {
      throw new IllegalStateException("read " + total + " bytes of " + fileBytes);
    }
    return total;
  }

  /** Baseline: MD5 of the object file's bytes, read from the page cache with a plain loop. */
  @Benchmark
  public String md5Baseline() {
    return BenchData.md5Hex(objectFile, buffer);
  }

  /** Closes the store and deletes everything the trial wrote. */
  @TearDown(Level.Trial)
  public void tearDown() {
    storage.close();
    BenchData.deleteTree(dir);
  }
}
