package org.stowage.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExistingExternalResourceException;
import org.stowage.Metadata;
import org.stowage.WritePolicy;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/**
 * Stores of re-readable sources ({@code storePath}, {@code storeBytes}) go straight to the final
 * key: hashed first, then one PUT or one multipart upload whose pieces the server checks against
 * the first pass. Requests are observed by interceptors on a client given to the storage; the
 * source is changed from an interceptor while it is stored.
 */
@ExtendWith(S3TestEnvironment.class)
class S3DirectUploadTest {
  private static final int PART = (int) S3Storage.MIN_PART_SIZE;
  private static final int BIG = 2 * PART + 12_345; // three parts
  private static final int SMALL = 300_000; // one PUT

  @TempDir Path dir;

  private S3Endpoint endpoint;
  private String prefix;
  private S3Client raw;
  private final List<S3Client> clients = new ArrayList<>();
  private final List<S3Storage> storages = new ArrayList<>();

  @BeforeEach
  void setUp(S3Endpoint endpoint) {
    this.endpoint = endpoint;
    this.prefix = S3Endpoint.freshPrefix();
    this.raw = endpoint.client();
  }

  @AfterEach
  void tearDown() {
    storages.forEach(S3Storage::close);
    clients.forEach(S3Client::close);
    raw.close();
  }

  /** Records every request: its type, its key, and for uploads the Content-MD5 and the body's MD5. */
  static final class Recorder implements ExecutionInterceptor {
    final List<String> requests = new CopyOnWriteArrayList<>();
    final List<String[]> md5s = new CopyOnWriteArrayList<>();
    /** Runs before each request is marshalled, on the thread that sends it. */
    volatile Consumer<SdkRequest> before = r -> { };
    /** Rewrites each HTTP request before it is signed. */
    volatile java.util.function.UnaryOperator<SdkHttpRequest> rewrite = r -> r;

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
      SdkRequest r = context.request();
      String key = r.getValueForField("Key", String.class).orElse("");
      requests.add(r.getClass().getSimpleName().replace("Request", "") + " " + key);
      before.accept(r);
    }

    @Override
    public void afterMarshalling(Context.AfterMarshalling context, ExecutionAttributes attributes) {
      Object request = context.request();
      if (!(request instanceof PutObjectRequest || request instanceof UploadPartRequest)) {
        return;
      }
      String header = context.httpRequest().firstMatchingHeader("Content-MD5").orElse(null);
      java.security.MessageDigest md5 = TestData.newMd5();
      try (InputStream in = context.requestBody().orElseThrow().contentStreamProvider().newStream()) {
        byte[] buffer = new byte[1 << 16];
        int n;
        while ((n = in.read(buffer)) >= 0) {
          md5.update(buffer, 0, n);
        }
      } catch (IOException | UncheckedIOException e) {
        return; // a source changed on purpose: the request itself fails too
      }
      md5s.add(new String[] {request.getClass().getSimpleName(), header,
          Base64.getEncoder().encodeToString(md5.digest())});
    }

    @Override
    public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
      return rewrite.apply(context.httpRequest());
    }

    List<String> ofType(String type) {
      return requests.stream().filter(r -> r.startsWith(type + " ")).collect(Collectors.toList());
    }
  }

  private S3Storage storage(Recorder recorder, int concurrency) {
    S3Client client =
        S3Client.builder()
            .endpointOverride(endpoint.uri())
            .region(Region.of(endpoint.region()))
            .forcePathStyle(true)
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(endpoint.accessKey(), endpoint.secretKey())))
            .httpClientBuilder(Apache5HttpClient.builder())
            .overrideConfiguration(o -> o.addExecutionInterceptor(recorder))
            .build();
    clients.add(client);
    S3Storage s = S3Storage.builder().serverFeatures(S3Endpoint.TESTED_S3PROXY).client(client).bucket(endpoint.bucket()).prefix(prefix)
        .partSize(PART).uploadConcurrency(concurrency).build();
    storages.add(s);
    return s;
  }

  private String key(String location) {
    return prefix + "/" + location;
  }

  private List<String> rawKeys() {
    return raw.listObjectsV2Paginator(r -> r.bucket(endpoint.bucket()).prefix(prefix + "/"))
        .contents().stream().map(S3Object::key).collect(Collectors.toList());
  }

  private List<String> rawUploads() {
    return raw.listMultipartUploads(r -> r.bucket(endpoint.bucket()).prefix(prefix + "/"))
        .uploads().stream().map(MultipartUpload::key).collect(Collectors.toList());
  }

  private Path file(String name, byte[] data) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, data);
    return p;
  }

  private static String base64(String hex) {
    return Base64.getEncoder().encodeToString(HexFormat.of().parseHex(hex));
  }

  // ---------------------------------------------------------------------------------------------
  // The requests

  @Test
  @DisplayName("S2 storePath and storeBytes over a part: one multipart upload on the final key, no temporary key, no server-side copy")
  void inPartsStraightToTheFinalKey() throws IOException {
    Recorder recorder = new Recorder();
    S3Storage s3 = storage(recorder, 3);
    byte[] data = TestData.bytes(1, BIG);
    Metadata expected = new Metadata(TestData.md5(data), BIG);
    Path source = file("big", data);

    assertEquals(expected, s3.storePath("from-file", source));
    assertEquals(expected, s3.storeBytes("from-bytes", data));

    for (String location : List.of("from-file", "from-bytes")) {
      String k = key(location);
      assertEquals(List.of("CreateMultipartUpload " + k), recorder.ofType("CreateMultipartUpload")
          .stream().filter(r -> r.endsWith(" " + k)).collect(Collectors.toList()));
      assertEquals(3, recorder.ofType("UploadPart").stream().filter(r -> r.equals("UploadPart " + k)).count());
      assertEquals(List.of("CompleteMultipartUpload " + k), recorder.ofType("CompleteMultipartUpload")
          .stream().filter(r -> r.endsWith(" " + k)).collect(Collectors.toList()));
      assertEquals(expected, s3.getMetadata(location));
      assertEquals(expected, s3.verify(location));
    }
    assertEquals(List.of(), recorder.ofType("UploadPartCopy"), "no server-side copy");
    assertEquals(List.of(), recorder.ofType("CopyObject"));
    assertEquals(List.of(), recorder.ofType("DeleteObject"), "no temporary object to delete");
    assertTrue(recorder.requests.stream().noneMatch(r -> r.contains(S3Storage.TEMP_FOLDER)),
        "no request touches the temporary folder: " + recorder.requests);
    assertEquals(6, recorder.md5s.size(), "six parts");
    for (String[] m : recorder.md5s) {
      assertEquals(m[2], m[1], m[0] + ": the Content-MD5 is the MD5 of the part's bytes");
    }
    assertEquals(List.of(key("from-bytes"), key("from-file")), rawKeys());
    assertEquals(List.of(), rawUploads());
    assertArrayEquals(data, s3.loadBytes("from-file", expected));

    // A stream of the same length has no MD5 before its end: it still goes through a temporary key.
    recorder.requests.clear();
    assertEquals(expected, s3.storeStream("from-stream", TestData.stream(1, BIG)));
    assertEquals(1, recorder.ofType("UploadPartCopy").size(), "the stream path is unchanged");
  }

  @Test
  @DisplayName("S2 storePath and storeBytes of one part: one PUT with the precomputed Content-MD5, nothing else")
  void onePartIsOnePut() throws IOException {
    Recorder recorder = new Recorder();
    S3Storage s3 = storage(recorder, 3);
    byte[] data = TestData.bytes(2, SMALL);
    Metadata expected = new Metadata(TestData.md5(data), SMALL);
    assertEquals(expected, s3.storePath("f", file("small", data)));
    assertEquals(expected, s3.storeBytes("b", data));
    assertEquals(new Metadata(TestData.md5(new byte[0]), 0), s3.storePath("empty", file("empty", new byte[0])));
    assertEquals(List.of("PutObject " + key("f"), "PutObject " + key("b"), "PutObject " + key("empty")),
        recorder.requests);
    for (int i = 0; i < 2; i++) {
      assertEquals(base64(expected.md5()), recorder.md5s.get(i)[1]);
      assertEquals(base64(expected.md5()), recorder.md5s.get(i)[2]);
    }
    assertEquals(expected, s3.verify("f"));
    assertEquals(expected, s3.verify("b"));
    assertEquals(0, s3.verify("empty").size());
  }

  // ---------------------------------------------------------------------------------------------
  // A source that changes between the two passes

  /** Flips one byte of {@code file} at {@code position}, keeping its size. */
  private static void flip(Path file, long position) {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(position);
      int b = f.read();
      f.seek(position);
      f.write(b ^ 0x5a);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void truncate(Path file, long length) {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(length);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Stores {@code location} from {@code source} after an old object, with {@code change} run once
   * when the first request of {@code trigger} type is about to be sent; checks that the store
   * failed typed, and left the old object and nothing else.
   */
  private ChangedExternalResourceException assertNeverCommitted(
      S3Storage s3, Recorder recorder, Class<?> trigger, Runnable change,
      java.util.function.Supplier<Metadata> store) {
    byte[] old = TestData.bytes(99, 1000);
    Metadata oldMetadata = s3.storeBytes("obj", old);
    recorder.requests.clear();
    AtomicBoolean changed = new AtomicBoolean();
    Object lock = new Object();
    recorder.before = r -> {
      // Every request passes here before its body is read, and waits while the change is made:
      // no part can have been read before it.
      synchronized (lock) {
        if (trigger.isInstance(r) && changed.compareAndSet(false, true)) {
          change.run();
        }
      }
    };
    ChangedExternalResourceException e;
    try {
      e = assertThrows(ChangedExternalResourceException.class, store::get);
    } finally {
      recorder.before = r -> { };
    }
    assertTrue(changed.get(), "the source was changed during the store");
    assertTrue(e.getMessage().contains("the source changed while it was stored"), e.getMessage());
    assertTrue(e.getMessage().contains("\"obj\""), e.getMessage());
    assertEquals(oldMetadata, s3.verify("obj"), "the previous object is untouched");
    assertArrayEquals(old, s3.loadBytes("obj", oldMetadata));
    assertEquals(List.of(key("obj")), rawKeys(), "nothing else stored, no temporary object");
    assertEquals(List.of(), rawUploads(), "no multipart upload left");
    assertEquals(List.of(), recorder.ofType("CompleteMultipartUpload"), "never completed");
    return e;
  }

  @Test
  @DisplayName("S2 S3 a file changed between hashing and the upload of one of its parts is never committed: typed error, old object kept")
  void fileChangedUnderAPart() throws IOException {
    for (int concurrency : new int[] {1, 3}) {
      for (long at : new long[] {10, PART + 77, 2L * PART + 5}) {
        Recorder recorder = new Recorder();
        S3Storage s3 = storage(recorder, concurrency);
        Path source = file("changing-" + concurrency + "-" + at, TestData.bytes(3, BIG));
        ChangedExternalResourceException e =
            assertNeverCommitted(s3, recorder, UploadPartRequest.class, () -> flip(source, at),
                () -> s3.storePath("obj", source));
        assertTrue(e.getMessage().contains("BadDigest") || e.getMessage().contains("ETag"), e.getMessage());
        s3.delete("obj");
      }
    }
  }

  @Test
  @DisplayName("S2 S3 a file that shrinks under a multipart upload is never committed")
  void fileTruncatedUnderAPart() throws IOException {
    Recorder recorder = new Recorder();
    S3Storage s3 = storage(recorder, 2);
    Path source = file("shrinking", TestData.bytes(4, BIG));
    ChangedExternalResourceException e =
        assertNeverCommitted(s3, recorder, UploadPartRequest.class, () -> truncate(source, PART + 1000),
            () -> s3.storePath("obj", source));
    assertTrue(e.getMessage().contains("shorter"), e.getMessage());
  }

  @Test
  @DisplayName("S2 S3 a file changed or shrunk under its single PUT is never committed; CREATE too")
  void fileChangedUnderThePut() throws IOException {
    Recorder recorder = new Recorder();
    S3Storage s3 = storage(recorder, 2);
    byte[] data = TestData.bytes(5, SMALL);
    Path source = file("put", data);
    assertNeverCommitted(s3, recorder, PutObjectRequest.class, () -> flip(source, SMALL / 2),
        () -> s3.storePath("obj", source));
    s3.delete("obj");
    Files.write(source, data);
    assertNeverCommitted(s3, recorder, PutObjectRequest.class, () -> truncate(source, 10),
        () -> s3.storePath("obj", source));
    // Under CREATE on a free location: nothing is created.
    s3.delete("obj");
    Files.write(source, data);
    AtomicBoolean done = new AtomicBoolean();
    recorder.before = r -> {
      if (r instanceof PutObjectRequest && ((PutObjectRequest) r).key().equals(key("new"))
          && done.compareAndSet(false, true)) {
        flip(source, 1);
      }
    };
    assertThrows(ChangedExternalResourceException.class, () -> s3.storePath("new", source, WritePolicy.CREATE));
    recorder.before = r -> { };
    assertFalse(s3.exists("new"));
    Files.write(source, data);
    assertEquals(new Metadata(TestData.md5(data), SMALL), s3.storePath("new", source, WritePolicy.CREATE),
        "the same file, left alone, stores");
  }

  @Test
  @DisplayName("S2 S3 a byte array changed by the caller during storeBytes is never committed")
  void arrayChangedDuringStore() {
    Recorder recorder = new Recorder();
    S3Storage s3 = storage(recorder, 2);
    byte[] big = TestData.bytes(6, BIG);
    assertNeverCommitted(s3, recorder, UploadPartRequest.class, () -> big[PART + 3] ^= 1,
        () -> s3.storeBytes("obj", big));
    byte[] small = TestData.bytes(7, SMALL);
    assertNeverCommitted(s3, recorder, PutObjectRequest.class, () -> small[3] ^= 1,
        () -> s3.storeBytes("obj", small));
  }

  @Test
  @DisplayName("S2 S3 on a server that ignores Content-MD5, the parts' ETags still catch a changed file before completion")
  void serverIgnoringContentMd5() throws IOException {
    Recorder recorder = new Recorder();
    S3Storage s3 = storage(recorder, 1);
    // Content-MD5 is removed before signing: the server has nothing to check the bytes against.
    recorder.rewrite = r -> r.toBuilder().removeHeader("Content-MD5").build();
    byte[] data = TestData.bytes(8, BIG);
    Path source = file("unchecked", data);
    ChangedExternalResourceException e =
        assertNeverCommitted(s3, recorder, UploadPartRequest.class, () -> flip(source, PART + 9),
            () -> s3.storePath("obj", source));
    assertTrue(e.getMessage().contains("ETag"), e.getMessage());
    // Left alone, the same file stores.
    Files.write(source, data);
    assertEquals(new Metadata(TestData.md5(data), BIG), s3.storePath("obj", source));
    // A single PUT is committed by then; the store still fails typed, and removes the object
    // whose bytes contradict its record: nothing is left at the location.
    Path small = file("unchecked-small", TestData.bytes(9, SMALL));
    AtomicBoolean done = new AtomicBoolean();
    recorder.before = r -> {
      if (r instanceof PutObjectRequest && done.compareAndSet(false, true)) {
        flip(small, 5);
      }
    };
    ChangedExternalResourceException put =
        assertThrows(ChangedExternalResourceException.class, () -> s3.storePath("put", small));
    assertTrue(put.getMessage().contains("did not check Content-MD5"), put.getMessage());
    assertTrue(put.getMessage().contains("removed"), put.getMessage());
    assertFalse(s3.exists("put"));
  }

  // ---------------------------------------------------------------------------------------------
  // CREATE

  @Test
  @DisplayName("S5 CREATE of files and arrays in parts under concurrent writers: exactly one wins, the others change nothing")
  void createRaceInParts() throws Exception {
    int writers = 4;
    Recorder recorder = new Recorder();
    S3Storage s3 = storage(recorder, 2);
    List<byte[]> contents = new ArrayList<>();
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < writers; i++) {
      contents.add(TestData.bytes(200 + i, BIG - i));
      files.add(file("race-" + i, contents.get(i)));
    }
    // Every writer passes its HEAD before any completes, so the conditional complete decides.
    CyclicBarrier headsDone = new CyclicBarrier(writers);
    recorder.before = r -> {
      if (r instanceof CreateMultipartUploadRequest) {
        try {
          headsDone.await(60, TimeUnit.SECONDS);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
    };
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      List<Future<Metadata>> results = new ArrayList<>();
      for (int i = 0; i < writers; i++) {
        int w = i;
        results.add(pool.submit(() -> w % 2 == 0
            ? s3.storePath("race", files.get(w), WritePolicy.CREATE)
            : s3.storeBytes("race", contents.get(w), WritePolicy.CREATE)));
      }
      List<Integer> winners = new ArrayList<>();
      for (int i = 0; i < writers; i++) {
        try {
          Metadata m = results.get(i).get(120, TimeUnit.SECONDS);
          assertEquals(new Metadata(TestData.md5(contents.get(i)), contents.get(i).length), m);
          winners.add(i);
        } catch (ExecutionException e) {
          assertTrue(e.getCause() instanceof ExistingExternalResourceException, e.toString());
        }
      }
      assertEquals(1, winners.size(), "exactly one writer wins: " + winners);
        assertTrue(recorder.ofType("CompleteMultipartUpload").size() >= writers,
          "every writer got to its conditional complete, which decided");
      byte[] won = contents.get(winners.get(0));
      assertEquals(new Metadata(TestData.md5(won), won.length), s3.verify("race"));
      assertEquals(List.of(key("race")), rawKeys());
      assertEquals(List.of(), rawUploads(), "the losers aborted their uploads");
    } finally {
      recorder.before = r -> { };
      pool.shutdownNow();
    }
    // With the object there, a CREATE in parts is refused after one HEAD, before hashing or uploading.
    recorder.requests.clear();
    assertThrows(ExistingExternalResourceException.class, () -> s3.storePath("race", files.get(1), WritePolicy.CREATE));
    assertEquals(List.of("HeadObject " + key("race")), recorder.requests);
  }

  @Test
  @DisplayName("S5 the other policies keep working on direct uploads")
  void otherPolicies() throws IOException {
    Recorder recorder = new Recorder();
    S3Storage s3 = storage(recorder, 2);
    byte[] data = TestData.bytes(10, BIG);
    Path source = file("p", data);
    Metadata m = s3.storePath("p", source, WritePolicy.CREATE);
    assertEquals(m, s3.storePath("p", source, WritePolicy.SKIP_IF_EXISTS));
    assertEquals(m, s3.storePath("p", source, WritePolicy.FAIL_IF_DIFFERENT));
    assertEquals(m, s3.storeBytes("p", data, WritePolicy.FAIL_IF_DIFFERENT));
    flip(source, 1);
    assertThrows(ExistingExternalResourceException.class, () -> s3.storePath("p", source, WritePolicy.FAIL_IF_DIFFERENT));
    assertEquals(m, s3.verify("p"));
    assertEquals(1, recorder.ofType("CompleteMultipartUpload").size(), "one upload in all");
  }
}
