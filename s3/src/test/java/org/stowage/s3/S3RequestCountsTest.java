package org.stowage.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.ExternalStorage;
import org.stowage.Metadata;
import org.stowage.WritePolicy;
import org.stowage.compose.CachingStorage;
import org.stowage.compose.MirroredStorage;
import org.stowage.memory.MemoryStorage;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Each backend request made once (issue 16): the S3 requests of each operation, counted by an
 * interceptor on the client, on a bare S3Storage, through a cache (S3 backing, memory tier) and
 * through a mirror (S3 primary, memory secondary, synchronous replication). A decorator adds no
 * request of its own to the backend's: the only extra requests are the mirror's replication, which
 * reads the primary's object back (HEAD, GET) to copy it to the secondary. docs/composition.md
 * shows the table this test prints.
 */
@ExtendWith(S3TestEnvironment.class)
class S3RequestCountsTest {
  private static final int SMALL = 100_000;
  /** Three parts of the minimum part size. */
  private static final long LARGE = 2 * S3Storage.MIN_PART_SIZE + 1000;

  @TempDir Path dir;

  /** Records the name of every request the client executes (retries are one execution). */
  static final class Requests implements ExecutionInterceptor {
    final List<String> seen = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
      seen.add(context.request().getClass().getSimpleName().replaceFirst("Request$", ""));
    }

    /** The requests {@code operation} made, counted by name, in the order first seen. */
    Map<String, Integer> during(Runnable operation) {
      seen.clear();
      operation.run();
      Map<String, Integer> counts = new LinkedHashMap<>();
      synchronized (seen) {
        seen.forEach(name -> counts.merge(name, 1, Integer::sum));
      }
      return counts;
    }
  }

  private static String show(Map<String, Integer> counts) {
    return counts.isEmpty()
        ? "none"
        : counts.entrySet().stream()
            .map(e -> e.getValue() == 1 ? e.getKey() : e.getKey() + " x" + e.getValue())
            .collect(Collectors.joining(", "));
  }

  /** One row per operation: what it sent bare, through a cache, through a mirror. */
  private Map<String, List<Map<String, Integer>>> table(S3Endpoint endpoint) throws IOException {
    Map<String, List<Map<String, Integer>>> rows = new LinkedHashMap<>();
    byte[] small = TestData.bytes(16, SMALL);
    Path file = dir.resolve("large");
    try (InputStream in = TestData.stream(17, LARGE)) {
      Files.copy(in, file);
    }
    Metadata smallMd = Metadata.of(small);
    Requests requests = new Requests();
    try (S3Client client = endpoint.clientWith(requests)) {
      for (int variant = 0; variant < 3; variant++) {
        S3Storage s3 =
            S3Storage.builder()
                .serverFeatures(S3Endpoint.TESTED_S3PROXY)
                .client(client)
                .bucket(endpoint.bucket())
                .prefix(S3Endpoint.freshPrefix())
                .partSize(S3Storage.MIN_PART_SIZE)
                .build();
        ExternalStorage storage =
            switch (variant) {
              case 0 -> s3;
              case 1 -> CachingStorage.builder(s3, new MemoryStorage(), 64L << 20).build();
              default -> MirroredStorage.builder(s3, List.of(new MemoryStorage())).build();
            };
        try (storage) {
          // The first miss of a storage also confirms that its bucket exists (one HeadBucket).
          storage.exists("warm-up");
          Map<String, Runnable> operations = new LinkedHashMap<>();
          operations.put("storeBytes, 100 kB", () -> storage.storeBytes("small", small));
          operations.put("storeBytes, 100 kB, SKIP_IF_EXISTS, absent",
              () -> storage.storeBytes("small-skip", small, WritePolicy.SKIP_IF_EXISTS));
          operations.put("storeBytes, 100 kB, SKIP_IF_EXISTS, present",
              () -> storage.storeBytes("small-skip", small, WritePolicy.SKIP_IF_EXISTS));
          operations.put("storePath, 3 parts", () -> storage.storePath("file", file));
          operations.put("storePath, 3 parts, SKIP_IF_EXISTS, absent",
              () -> storage.storePath("file-skip", file, WritePolicy.SKIP_IF_EXISTS));
          operations.put("storeStream, 3 parts, FAIL_IF_DIFFERENT, absent",
              () -> storage.storeStream("stream", TestData.stream(17, LARGE), WritePolicy.FAIL_IF_DIFFERENT));
          operations.put("getMetadata", () -> storage.getMetadata("small"));
          operations.put("exists", () -> storage.exists("small"));
          operations.put("loadBytes (first)", () -> storage.loadBytes("small"));
          operations.put("loadBytes (again)", () -> storage.loadBytes("small"));
          operations.put("loadBytes, verified", () -> storage.loadBytes("small", smallMd));
          operations.put("loadObject", () -> {
            try (var stored = storage.loadObject("small")) {
              stored.stream().readAllBytes();
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          });
          operations.put("verify", () -> storage.verify("small"));
          operations.put("copy", () -> storage.copy("small", "copied"));
          operations.put("copy, CREATE", () -> storage.copy("small", "created", WritePolicy.CREATE));
          operations.put("move", () -> storage.move("copied", "moved"));
          operations.put("delete", () -> storage.delete("moved"));
          for (Map.Entry<String, Runnable> op : operations.entrySet()) {
            rows.computeIfAbsent(op.getKey(), k -> new ArrayList<>()).add(requests.during(op.getValue()));
          }
        }
      }
    }
    return rows;
  }

  @Test
  @DisplayName("every operation sends each request once, bare, through a cache and through a mirror")
  void requestsPerOperation(S3Endpoint endpoint) throws IOException {
    Map<String, List<Map<String, Integer>>> rows = table(endpoint);
    StringBuilder shown = new StringBuilder("| operation | S3Storage | cache over S3 | mirror of S3 |\n|---|---|---|---|\n");
    rows.forEach((op, cells) -> shown.append("| ").append(op).append(" | ")
        .append(cells.stream().map(S3RequestCountsTest::show).collect(Collectors.joining(" | ")))
        .append(" |\n"));
    System.out.println(shown);

    Map<String, Integer> put = Map.of("PutObject", 1);
    Map<String, Integer> head = Map.of("HeadObject", 1);
    Map<String, Integer> get = Map.of("GetObject", 1);
    Map<String, Integer> replication = Map.of("HeadObject", 1, "GetObject", 1);
    // Stores: the cache adds nothing; the mirror adds the replication's read of the primary.
    expect(rows, "storeBytes, 100 kB", put, put, plus(put, replication));
    Map<String, Integer> headPut = plus(head, put);
    expect(rows, "storeBytes, 100 kB, SKIP_IF_EXISTS, absent", headPut, headPut, plus(headPut, replication));
    expect(rows, "storeBytes, 100 kB, SKIP_IF_EXISTS, present", head, head, head);
    // A file through a decorator reaches S3 as a file: a direct multipart upload to the final key.
    Map<String, Integer> direct =
        Map.of("CreateMultipartUpload", 1, "UploadPart", 3, "CompleteMultipartUpload", 1);
    expect(rows, "storePath, 3 parts", direct, direct, plus(direct, replication));
    // One HEAD, the core's: S3 does not look again before the multipart upload.
    expect(rows, "storePath, 3 parts, SKIP_IF_EXISTS, absent",
        plus(head, direct), plus(head, direct), plus(plus(head, direct), replication));
    Map<String, Integer> streamed =
        Map.of("HeadObject", 1, "CreateMultipartUpload", 2, "UploadPart", 3, "CompleteMultipartUpload", 2,
            "UploadPartCopy", 1, "DeleteObject", 1);
    expect(rows, "storeStream, 3 parts, FAIL_IF_DIFFERENT, absent", streamed, streamed, plus(streamed, replication));
    expect(rows, "getMetadata", head, head, head);
    expect(rows, "exists", head, head, head);
    // Loads: one GET; the cache's first load fills it with that GET, later loads cost nothing.
    expect(rows, "loadBytes (first)", get, get, get);
    expect(rows, "loadBytes (again)", get, Map.of(), get);
    expect(rows, "loadBytes, verified", get, Map.of(), get);
    expect(rows, "loadObject", get, get, get);
    expect(rows, "verify", get, get, get);
    // Copies and moves are the backend's own, through every decorator.
    Map<String, Integer> copy = Map.of("HeadObject", 1, "CopyObject", 1);
    expect(rows, "copy", copy, copy, plus(copy, replication));
    Map<String, Integer> streamedCopy = Map.of("GetObject", 1, "PutObject", 1);
    expect(rows, "copy, CREATE", streamedCopy, streamedCopy, plus(streamedCopy, replication));
    Map<String, Integer> move = Map.of("HeadObject", 1, "CopyObject", 1, "DeleteObject", 1);
    // The mirror replicates both locations: the source (a HEAD finds it gone) and the target.
    expect(rows, "move", move, move, plus(plus(move, head), replication));
    Map<String, Integer> delete = Map.of("HeadObject", 1, "DeleteObject", 1);
    expect(rows, "delete", delete, delete, plus(delete, head));
  }

  private static Map<String, Integer> plus(Map<String, Integer> a, Map<String, Integer> b) {
    Map<String, Integer> sum = new LinkedHashMap<>(a);
    b.forEach((k, v) -> sum.merge(k, v, Integer::sum));
    return sum;
  }

  private static void expect(
      Map<String, List<Map<String, Integer>>> rows, String op, Map<String, Integer>... cells) {
    String[] names = {"S3Storage", "cache over S3", "mirror of S3"};
    for (int i = 0; i < cells.length; i++) {
      assertEquals(Map.copyOf(cells[i]), Map.copyOf(rows.get(op).get(i)), op + ", " + names[i]);
    }
  }
}
