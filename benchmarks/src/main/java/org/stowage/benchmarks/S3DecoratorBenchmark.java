package org.stowage.benchmarks;

import java.nio.file.Path;
import java.util.List;
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
import org.stowage.ExternalStorage;
import org.stowage.Metadata;
import org.stowage.compose.CachingStorage;
import org.stowage.compose.MirroredStorage;
import org.stowage.memory.MemoryStorage;
import org.stowage.s3.S3Storage;

/**
 * Benchmark 10, S3 through the decorators: the same operations on a bare {@link S3Storage}, on a
 * {@link CachingStorage} in front of one (a {@link MemoryStorage} tier), and on a {@link
 * MirroredStorage} of one (a {@code MemoryStorage} secondary, synchronous replication), on an
 * in-process s3proxy ({@link S3Server}), with one object of {@code s3ObjectBytes} stored in one
 * part (so that its ETag is its MD5, and copies can be made on the server).
 *
 * <ul>
 *   <li>{@code put*}: {@code storePath} of the file. A decorator hands the file on, so S3 uploads
 *       it directly, hashed once; the mirror then replicates it (a GET of the primary, a store in
 *       memory).
 *   <li>{@code verify*}: {@code verify}, which reads the backing store's object (one GET with its
 *       metadata).
 *   <li>{@code copy*}: {@code copy} under {@code OVERWRITE}: a server-side copy, through every
 *       decorator; the mirror replicates the copy.
 * </ul>
 *
 * The bare storage is each comparison's baseline; the ratio is a decorator's cost.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 8)
@Fork(1)
public class S3DecoratorBenchmark {
  /** The object's size. */
  @Param("67108864")
  public long s3ObjectBytes;

  private Path dir;
  private Path source;
  private S3Server server;
  private ExternalStorage bare;
  private ExternalStorage cached;
  private ExternalStorage mirrored;
  private Metadata metadata;

  /** Starts the server, writes the file, and stores the object that verify and copy read. */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
    dir = BenchData.newDirectory("s3-decorators");
    source = dir.resolve("source.bin");
    BenchData.writeRandomFile(source, s3ObjectBytes, 9);
    server = S3Server.start(dir.resolve("blobs"));
    long onePart = S3Server.onePartSize(s3ObjectBytes);
    bare = server.storage("bare", onePart);
    cached = CachingStorage.builder(server.storage("cached", onePart), new MemoryStorage(), 4 * s3ObjectBytes)
        .maxObjectSize(2 * s3ObjectBytes)
        .build();
    mirrored = MirroredStorage.builder(server.storage("mirrored", onePart), List.of(new MemoryStorage())).build();
    for (ExternalStorage storage : List.of(bare, cached, mirrored)) {
      metadata = storage.storePath("get/object.bin", source);
    }
  }

  /** Baseline: storePath on bare S3. */
  @Benchmark
  public Metadata putBare() {
    return checked(bare.storePath("put/object.bin", source));
  }

  /** storePath through a cache. */
  @Benchmark
  public Metadata putCached() {
    return checked(cached.storePath("put/object.bin", source));
  }

  /** storePath through a mirror, replicated to memory. */
  @Benchmark
  public Metadata putMirrored() {
    return checked(mirrored.storePath("put/object.bin", source));
  }

  /** Baseline: verify on bare S3. */
  @Benchmark
  public Metadata verifyBare() {
    return checked(bare.verify("get/object.bin"));
  }

  /** verify through a cache (the backing store's object). */
  @Benchmark
  public Metadata verifyCached() {
    return checked(cached.verify("get/object.bin"));
  }

  /** verify through a mirror (the primary's object). */
  @Benchmark
  public Metadata verifyMirrored() {
    return checked(mirrored.verify("get/object.bin"));
  }

  /** Baseline: copy on bare S3 (on the server). */
  @Benchmark
  public Metadata copyBare() {
    return checked(bare.copy("get/object.bin", "copy/object.bin"));
  }

  /** copy through a cache (the backing store's copy). */
  @Benchmark
  public Metadata copyCached() {
    return checked(cached.copy("get/object.bin", "copy/object.bin"));
  }

  /** copy through a mirror (the primary's copy, then replicated to memory). */
  @Benchmark
  public Metadata copyMirrored() {
    return checked(mirrored.copy("get/object.bin", "copy/object.bin"));
  }

  private Metadata checked(Metadata stored) {
    if (!stored.equals(metadata)) {
      throw new IllegalStateException("got " + stored + ", expected " + metadata);
    }
    return stored;
  }

  /** Closes the storages and the server, and deletes everything the trial wrote. */
  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    bare.close();
    cached.close();
    mirrored.close();
    server.close();
    BenchData.deleteTree(dir);
  }
}
