package org.stowage.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
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
import org.stowage.s3.S3Storage;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * Benchmark 5, put and get: {@link S3Storage} against the bare AWS SDK, on an in-process s3proxy
 * (files on the benchmark disk), with the same {@link software.amazon.awssdk.services.s3.S3Client}
 * ({@link S3Server}), on the same 64 MiB file (full profile).
 *
 * <ul>
 *   <li>{@code put}: {@code storePath} with the default part size (8 MiB): the file is hashed
 *       first (the whole MD5 and each part's), then uploaded in parts straight to its final key,
 *       with the MD5 in the metadata given when the upload starts and each part's {@code
 *       Content-MD5} checked by the server.
 *   <li>{@code putOnePart}: {@code storePath} on a storage whose part size holds the whole object:
 *       the file is hashed, then sent in one {@code PutObject} streamed from the file, with {@code
 *       Content-MD5}.
 *   <li>Baseline {@code putBaseline}: {@code putObject(RequestBody.fromFile(file))}.
 *   <li>{@code get}: a verified {@code loadStream}, read to its end. Baseline {@code getBaseline}:
 *       {@code getObject}, read to its end. Both with the same {@value BenchData#BUFFER}-byte
 *       buffer.
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 8)
@Fork(1)
public class S3PutGetBenchmark {
  /** The object's size. */
  @Param("67108864")
  public long s3ObjectBytes;

  private Path dir;
  private Path source;
  private S3Server server;
  private S3Storage storage;
  private S3Storage onePart;
  private Metadata metadata;
  private byte[] buffer;

  /** Starts the server, writes the source file, and stores the objects that the gets read. */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
    dir = BenchData.newDirectory("s3-put-get");
    source = dir.resolve("source.bin");
    BenchData.writeRandomFile(source, s3ObjectBytes, 5);
    server = S3Server.start(dir.resolve("blobs"));
    storage = server.storage("stowage", S3Storage.DEFAULT_PART_SIZE);
    long onePartSize = S3Server.onePartSize(s3ObjectBytes);
    onePart = server.storage("stowage-one-part", onePartSize);
    metadata = storage.storePath("get/object.bin", source);
    server.client().putObject(r -> r.bucket(S3Server.BUCKET).key("raw/get.bin"), RequestBody.fromFile(source));
    buffer = new byte[BenchData.BUFFER];
  }

  /** Stowage, default part size: hashed first, then parts straight to the final key. */
  @Benchmark
  public Metadata put() {
    return checked(storage.storePath("put/object.bin", source));
  }

  /** Stowage, one part: a single PutObject with Content-MD5. */
  @Benchmark
  public Metadata putOnePart() {
    return checked(onePart.storePath("put/object.bin", source));
  }

  /** Baseline: the SDK's PutObject of the file. */
  @Benchmark
  public String putBaseline() {
    return server.client()
        .putObject(r -> r.bucket(S3Server.BUCKET).key("raw/put.bin"), RequestBody.fromFile(source))
        .eTag();
  }

  /** Stowage: a verified load, read to its end. */
  @Benchmark
  public long get() throws IOException {
    try (InputStream in = storage.loadStream("get/object.bin", metadata)) {
      return drain(in);
    }
  }

  /** Baseline: the SDK's GetObject, read to its end. */
  @Benchmark
  public long getBaseline() throws IOException {
    try (InputStream in =
        server.client().getObject(r -> r.bucket(S3Server.BUCKET).key("raw/get.bin"))) {
      return drain(in);
    }
  }

  private long drain(InputStream in) throws IOException {
    long total = 0;
    int n;
    while ((n = in.read(buffer)) >= 0) {
      total += n;
    }
    if (total != s3ObjectBytes) {
      throw new UncheckedIOException(new IOException("read " + total + " of " + s3ObjectBytes));
    }
    return total;
  }

  private Metadata checked(Metadata stored) {
    if (!stored.equals(metadata)) {
      throw new IllegalStateException("stored " + stored + ", expected " + metadata);
    }
    return stored;
  }

  /** Stops the server and deletes everything the trial wrote. */
  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    storage.close();
    onePart.close();
    server.close();
    BenchData.deleteTree(dir);
  }
}
