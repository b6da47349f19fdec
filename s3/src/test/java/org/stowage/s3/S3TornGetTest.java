package org.stowage.s3;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * The evidence for s3proxy's one expected refusal (T1.1, {@code ThreadChecks.stress}): with the
 * bare AWS SDK and no Stowage code in the way, s3proxy 4.1.0's nio2 blob stores answer a single
 * {@code GetObject} with the headers of one version and the bytes of another while the key is
 * replaced.
 *
 * <p>Writers replace one key with distinct 16-byte bodies, each carrying its MD5 as user metadata
 * ({@code x-amz-meta-md5}); readers GET it and compare the MD5 of the body with that header and
 * with the ETag. A GET that S3 answers holds one version: both always agree. s3proxy's {@code
 * AbstractNio2BlobStore.getBlobInternal} reads the ETag and the user metadata from the file's
 * extended attributes through its path, then opens the path again for the body; {@code putBlob}
 * publishes a version by renaming a new file over the key, so a rename in between gives an answer
 * of two versions (s3proxy's own comment there says so, and names its issue #490). The test runs
 * until it has seen one answer of each kind (bytes other than the ETag names, bytes other than
 * the metadata names), or for at most {@value #SECONDS} seconds, and
 * prints how many GETs were torn.
 */
class S3TornGetTest {
  private static final int WANTED = 1;
  private static final int SECONDS = 60;
  private static final String BUCKET = "torn";
  private static final String KEY = "hot";

  @Test
  @DisplayName("T1.1 s3proxy's in-memory nio2 store (jimfs) answers a GET with one version's ETag and metadata and another's bytes")
  void transientStore() throws Exception {
    race(new TransientNio2BlobStore(), "TransientNio2BlobStore");
  }

  @Test
  @DisplayName("T1.1 s3proxy's file-system nio2 store answers a GET with one version's ETag and metadata and another's bytes")
  void filesystemStore(@TempDir Path dir) throws Exception {
    race(new FilesystemNio2BlobStore(dir.toString()), "FilesystemNio2BlobStore");
  }

  private static void race(BlobStore store, String name) throws Exception {
    try (S3ProxyServer server = S3ProxyServer.start(store)) {
      S3Endpoint endpoint = server.endpoint(BUCKET);
      try (S3Client s3 = endpoint.client()) {
        put(s3, 0);
        Counts c = run(s3);
        String summary = name + ": " + c.gets + " GETs, " + c.tornMetadata
            + " with bytes other than x-amz-meta-md5 names, " + c.tornETag
            + " with bytes other than the ETag names, " + c.puts + " PUTs";
        System.out.println(summary);
        assertTrue(c.tornMetadata.get() > 0 && c.tornETag.get() > 0,
            "no torn GET seen in " + SECONDS + " s: " + summary);
      }
    }
  }

  private record Counts(AtomicLong gets, AtomicLong puts, AtomicLong tornMetadata,
      AtomicLong tornETag) {}

  private static Counts run(S3Client s3) throws Exception {
    Counts c = new Counts(new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong());
    AtomicBoolean done = new AtomicBoolean();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      List<Future<?>> tasks = new ArrayList<>();
      for (int w = 0; w < 3; w++) {
        int writer = w;
        tasks.add(pool.submit(() -> {
          for (long i = 1; !done.get() && System.nanoTime() < deadline; i++) {
            put(s3, writer * 1_000_000_000L + i);
            c.puts.incrementAndGet();
          }
          return null;
        }));
      }
      for (int r = 0; r < 3; r++) {
        tasks.add(pool.submit(() -> {
          while (!done.get() && System.nanoTime() < deadline) {
            ResponseBytes<GetObjectResponse> got = s3.getObjectAsBytes(g -> g.bucket(BUCKET).key(KEY));
            String md5 = TestData.md5(got.asByteArray());
            c.gets.incrementAndGet();
            boolean metadata = !md5.equals(got.response().metadata().get("md5"));
            boolean eTag = !md5.equals(got.response().eTag().replace("\"", ""));
            if (metadata) {
              c.tornMetadata.incrementAndGet();
            }
            if (eTag) {
              c.tornETag.incrementAndGet();
            }
            if (c.tornMetadata.get() >= WANTED && c.tornETag.get() >= WANTED) {
              done.set(true);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : tasks) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    return c;
  }

  /** Stores a 16-byte body unique to {@code n}, with its MD5 as user metadata. */
  private static void put(S3Client s3, long n) {
    byte[] body = ByteBuffer.allocate(16).putLong(n).putLong(~n).array();
    s3.putObject(p -> p.bucket(BUCKET).key(KEY).metadata(Map.of("md5", TestData.md5(body))),
        RequestBody.fromBytes(body));
  }
}
