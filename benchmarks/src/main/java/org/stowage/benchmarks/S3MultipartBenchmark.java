package org.stowage.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * Benchmark 5, multipart: {@code storePath} of a large file (1 GiB in the full profile) through
 * {@link S3Storage} with its defaults (8 MiB parts, 4 in flight), against the bare AWS SDK doing a
 * multipart upload of the same file with the same client, part size and parallelism: parts read
 * in turn into 4 rotating buffers, uploaded on 4 threads, then completed.
 *
 * <p>S3Storage does more by design: it hashes the file first (the whole MD5, which goes into the
 * metadata given when the upload starts, and each part's), then uploads the parts straight to the
 * final key, each with its {@code Content-MD5}, which the server checks. With s3proxy in this JVM,
 * the server's work (checking, and assembling the parts on completion) runs on the same two
 * cores.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 4)
@Fork(1)
public class S3MultipartBenchmark {
  /** The file's size. */
  @Param("1073741824")
  public long multipartBytes;

  private static final int PART = (int) S3Storage.DEFAULT_PART_SIZE;
  private static final int CONCURRENCY = S3Storage.DEFAULT_UPLOAD_CONCURRENCY;

  private Path dir;
  private Path source;
  private S3Server server;
  private S3Storage storage;
  private Metadata expected;
  private ExecutorService workers;

  /** Starts the server and writes the source file. */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
    dir = BenchData.newDirectory("s3-multipart");
    source = dir.resolve("source.bin");
    BenchData.writeRandomFile(source, multipartBytes, 55);
    expected = new Metadata(BenchData.md5Hex(source, new byte[BenchData.BUFFER]), multipartBytes);
    server = S3Server.start(dir.resolve("blobs"));
    storage = server.storage("stowage", S3Storage.DEFAULT_PART_SIZE);
    workers = Executors.newFixedThreadPool(CONCURRENCY);
  }

  /** Removes both objects, so that every measured upload creates its object. */
  @Setup(Level.Iteration)
  public void removeObjects() {
    storage.deleteIfExists("mp/object.bin");
    server.client().deleteObject(r -> r.bucket(S3Server.BUCKET).key("raw/mp.bin"));
  }

  /** Stowage: a store in parts, with its MD5. */
  @Benchmark
  public Metadata multipart() {
    Metadata stored = storage.storePath("mp/object.bin", source);
    if (!stored.equals(expected)) {
      throw new IllegalStateException("stored " + stored + ", expected " + expected);
    }
    return stored;
  }

  /** Baseline: the SDK's multipart upload, same part size and parallelism. */
  @Benchmark
  public String multipartBaseline() throws Exception {
    S3Client s3 = server.client();
    String key = "raw/mp.bin";
    String uploadId =
        s3.createMultipartUpload(
                r -> r.bucket(S3Server.BUCKET).key(key).checksumAlgorithm(ChecksumAlgorithm.CRC32))
            .uploadId();
    BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(CONCURRENCY);
    for (int i = 0; i < CONCURRENCY; i++) {
      free.add(new byte[PART]);
    }
    List<Future<CompletedPart>> parts = new ArrayList<>();
    try (InputStream in = Files.newInputStream(source)) {
      for (int partNumber = 1; ; partNumber++) {
        byte[] buffer = free.take();
        int length = in.readNBytes(buffer, 0, PART);
        if (length == 0) {
          break;
        }
        int number = partNumber;
        parts.add(
            workers.submit(
                () -> {
                  try {
                    // The SDK's default: a CRC32 on every part, which the complete request lists.
                    UploadPartResponse response =
                        s3.uploadPart(
                            r -> r.bucket(S3Server.BUCKET).key(key).uploadId(uploadId)
                                .partNumber(number).contentLength((long) length)
                                .checksumAlgorithm(ChecksumAlgorithm.CRC32),
                            RequestBody.fromContentProvider(
                                () -> new java.io.ByteArrayInputStream(buffer, 0, length),
                                length,
                                "application/octet-stream"));
                    return CompletedPart.builder().partNumber(number).eTag(response.eTag())
                        .checksumCRC32(response.checksumCRC32()).build();
                  } finally {
                    free.add(buffer);
                  }
                }));
        if (length < PART) {
          break;
        }
      }
    } catch (IOException | InterruptedException e) {
      s3.abortMultipartUpload(r -> r.bucket(S3Server.BUCKET).key(key).uploadId(uploadId));
      throw e;
    }
    List<CompletedPart> completed = new ArrayList<>();
    try {
      for (Future<CompletedPart> f : parts) {
        completed.add(f.get());
      }
    } catch (ExecutionException e) {
      s3.abortMultipartUpload(r -> r.bucket(S3Server.BUCKET).key(key).uploadId(uploadId));
      throw e;
    }
    return s3.completeMultipartUpload(
            r -> r.bucket(S3Server.BUCKET).key(key).uploadId(uploadId)
                .multipartUpload(u -> u.parts(completed)))
        .eTag();
  }

  /** Stops the server and deletes everything the trial wrote. */
  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    workers.shutdownNow();
    storage.close();
    server.close();
    BenchData.deleteTree(dir);
  }
}
