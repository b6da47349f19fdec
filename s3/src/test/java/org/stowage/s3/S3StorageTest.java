package org.stowage.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExistingExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.WritePolicy;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/** The S3 backend against the shared test endpoint (s3proxy here, MinIO with Docker). */
@ExtendWith(S3TestEnvironment.class)
class S3StorageTest {
  private static final int PART = (int) S3Storage.MIN_PART_SIZE;

  private S3Endpoint endpoint;
  private String prefix;
  private S3Storage storage;
  private S3Client raw;

  @BeforeEach
  void setUp(S3Endpoint endpoint) {
    this.endpoint = endpoint;
    this.prefix = S3Endpoint.freshPrefix();
    this.storage = endpoint.storage(prefix).partSize(PART).uploadConcurrency(3).build();
    this.raw = endpoint.client();
  }

  @AfterEach
  void tearDown() {
    storage.close();
    raw.close();
  }

  private String key(String location) {
    return prefix + "/" + location;
  }

  private List<String> rawKeys() {
    return raw.listObjectsV2Paginator(r -> r.bucket(endpoint.bucket()).prefix(prefix + "/"))
        .contents()
        .stream()
        .map(S3Object::key)
        .collect(Collectors.toList());
  }

  private List<MultipartUpload> rawUploads() {
    return raw.listMultipartUploads(r -> r.bucket(endpoint.bucket()).prefix(prefix + "/"))
        .uploads();
  }

  // ---------------------------------------------------------------------------------------------
  // Storing and loading

  @Test
  @DisplayName("S1 a small object is one PUT; getMetadata (HEAD) returns its MD5 and size")
  void smallRoundTrip() {
    byte[] data = "hello, s3".getBytes(StandardCharsets.UTF_8);
    Metadata stored = storage.storeBytes("a/b.txt", data);
    assertEquals(new Metadata(TestData.md5(data), data.length), stored);
    assertEquals(stored, storage.getMetadata("a/b.txt"));
    assertArrayEquals(data, storage.loadBytes("a/b.txt", stored));
    assertEquals(stored, storage.verify("a/b.txt"));
    HeadObjectResponse head = raw.headObject(r -> r.bucket(endpoint.bucket()).key(key("a/b.txt")));
    assertEquals(stored.md5(), head.metadata().get(S3Storage.META_MD5));
    assertEquals(Long.toString(data.length), head.metadata().get(S3Storage.META_SIZE));
  }

  @Test
  @DisplayName("S1 an empty object round-trips")
  void emptyObject() {
    Metadata stored = storage.storeBytes("empty", new byte[0]);
    assertEquals(new Metadata("d41d8cd98f00b204e9800998ecf8427e", 0), stored);
    assertEquals(stored, storage.getMetadata("empty"));
    assertArrayEquals(new byte[0], storage.loadBytes("empty", stored));
  }

  @Test
  @DisplayName("S4 a stream of unknown length over the part size goes up in parts with its true MD5")
  void unknownLengthStreamInParts() throws IOException {
    long length = 2L * PART + 12_345;
    Metadata stored = storage.storeStream("big/stream.bin", TestData.stream(7, length));
    Metadata expected = new Metadata(TestData.md5(7, length), length);
    assertEquals(expected, stored);
    assertEquals(expected, storage.getMetadata("big/stream.bin"));
    try (InputStream in = storage.loadStream("big/stream.bin", expected)) {
      assertEquals(length, in.transferTo(java.io.OutputStream.nullOutputStream()));
    }
    assertEquals(expected, storage.verify("big/stream.bin"));
    HeadObjectResponse head =
        raw.headObject(r -> r.bucket(endpoint.bucket()).key(key("big/stream.bin")));
    assertTrue(head.eTag().contains("-"), "uploaded in parts, so the ETag is not an MD5: " + head);
    assertEquals(List.of(key("big/stream.bin")), rawKeys(), "no temporary object is left");
    assertEquals(List.of(), rawUploads(), "no multipart upload is left");
  }

  @Test
  @DisplayName("S4 a stream that ends exactly at a part boundary")
  void streamEndingOnPartBoundary() {
    long length = 2L * PART;
    Metadata stored = storage.storeStream("edge", TestData.stream(3, length));
    assertEquals(new Metadata(TestData.md5(3, length), length), stored);
    assertEquals(stored, storage.verify("edge"));
    long one = PART;
    Metadata single = storage.storeStream("one-part", TestData.stream(4, one));
    assertEquals(new Metadata(TestData.md5(4, one), one), single);
    HeadObjectResponse head = raw.headObject(r -> r.bucket(endpoint.bucket()).key(key("one-part")));
    assertFalse(head.eTag().contains("-"), "exactly one part is one PUT: " + head.eTag());
  }

  @Test
  @DisplayName("S2 overwriting a large object with a small one and back keeps the metadata true")
  void overwriteAcrossSizes() {
    long length = PART + 1;
    storage.storeStream("x", TestData.stream(1, length));
    Metadata small = storage.storeBytes("x", new byte[] {1, 2, 3});
    assertEquals(small, storage.getMetadata("x"));
    Metadata large = storage.storeStream("x", TestData.stream(2, length));
    assertEquals(new Metadata(TestData.md5(2, length), length), large);
    assertEquals(large, storage.getMetadata("x"));
  }

  @Test
  @DisplayName("S1 with ChecksumMode.WHEN_REQUIRED (plain bodies, no CRC trailers) objects round-trip too")
  void checksumsWhenRequired() {
    try (S3Storage plain =
        endpoint.storage(prefix).partSize(PART)
            .checksumMode(S3Storage.ChecksumMode.WHEN_REQUIRED).build()) {
      long length = PART + 999;
      Metadata large = plain.storeStream("plain/large", TestData.stream(8, length));
      assertEquals(new Metadata(TestData.md5(8, length), length), large);
      assertEquals(large, plain.verify("plain/large"));
      Metadata small = plain.storeBytes("plain/small", new byte[] {4, 5, 6});
      assertEquals(small, plain.verify("plain/small"));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Write policies

  @Test
  @DisplayName("S5 CREATE refuses a present object (single PUT and upload in parts) and changes nothing")
  void createRefuses() {
    Metadata first = storage.storeBytes("c", new byte[] {1});
    assertThrows(
        ExistingExternalResourceException.class,
        () -> storage.storeBytes("c", new byte[] {2}, WritePolicy.CREATE));
    assertThrows(
        ExistingExternalResourceException.class,
        () -> storage.storeStream("c", TestData.stream(5, PART + 10), WritePolicy.CREATE));
    assertEquals(first, storage.getMetadata("c"));
    assertEquals(List.of(key("c")), rawKeys());
    assertEquals(List.of(), rawUploads());
    Metadata created = storage.storeStream("d", TestData.stream(6, PART + 10), WritePolicy.CREATE);
    assertEquals(created, storage.getMetadata("d"));
  }

  @Test
  @DisplayName("S5 CREATE under concurrent writers: exactly one wins, and its content is stored")
  void createConcurrently() throws Exception {
    int writers = 6;
    CyclicBarrier start = new CyclicBarrier(writers);
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      List<Future<Metadata>> results = new ArrayList<>();
      for (int i = 0; i < writers; i++) {
        byte[] content = ("writer " + i).getBytes(StandardCharsets.UTF_8);
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  return storage.storeBytes("race", content, WritePolicy.CREATE);
                }));
      }
      List<Metadata> winners = new ArrayList<>();
      int refused = 0;
      for (Future<Metadata> f : results) {
        try {
          winners.add(f.get());
        } catch (java.util.concurrent.ExecutionException e) {
          assertTrue(e.getCause() instanceof ExistingExternalResourceException, e.toString());
          refused++;
        }
      }
      assertEquals(1, winners.size(), "exactly one writer wins");
      assertEquals(writers - 1, refused);
      assertEquals(winners.get(0), storage.getMetadata("race"));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("S5 CREATE of uploads in parts under concurrent writers: exactly one wins")
  void createConcurrentlyInParts() throws Exception {
    int writers = 3;
    CyclicBarrier start = new CyclicBarrier(writers);
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      List<Future<Metadata>> results = new ArrayList<>();
      for (int i = 0; i < writers; i++) {
        long seed = 100 + i;
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  return storage.storeStream(
                      "race-big", TestData.stream(seed, PART + 100), WritePolicy.CREATE);
                }));
      }
      List<Metadata> winners = new ArrayList<>();
      for (Future<Metadata> f : results) {
        try {
          winners.add(f.get());
        } catch (java.util.concurrent.ExecutionException e) {
          assertTrue(e.getCause() instanceof ExistingExternalResourceException, e.toString());
        }
      }
      assertEquals(1, winners.size(), "exactly one writer wins");
      assertEquals(winners.get(0), storage.getMetadata("race-big"));
      assertEquals(winners.get(0), storage.verify("race-big"));
      assertEquals(List.of(key("race-big")), rawKeys(), "losers leave no temporary object");
      assertEquals(List.of(), rawUploads(), "losers leave no multipart upload");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("S5 SKIP_IF_EXISTS and FAIL_IF_DIFFERENT use the recorded metadata")
  void otherPolicies() {
    Metadata first = storage.storeBytes("p", new byte[] {9});
    assertEquals(first, storage.storeBytes("p", new byte[] {8}, WritePolicy.SKIP_IF_EXISTS));
    assertEquals(first, storage.storeBytes("p", new byte[] {9}, WritePolicy.FAIL_IF_DIFFERENT));
    assertThrows(
        ExistingExternalResourceException.class,
        () -> storage.storeBytes("p", new byte[] {8}, WritePolicy.FAIL_IF_DIFFERENT));
  }

  // ---------------------------------------------------------------------------------------------
  // Failures while storing

  @Test
  @DisplayName("S2 a source that fails mid-upload aborts the upload: no parts, no temp, no object")
  void failingSourceAbortsUpload() {
    long failAt = 2L * PART + 100;
    InputStream failing =
        TestData.stream(
            11,
            4L * PART,
            pos -> {
              if (pos >= failAt) {
                throw new java.io.UncheckedIOException(new IOException("source broke"));
              }
            });
    InputStream source = new InputStream() {
      @Override
      public int read() throws IOException {
        throw new AssertionError("unused");
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        try {
          return failing.read(b, off, len);
        } catch (java.io.UncheckedIOException e) {
          throw e.getCause();
        }
      }
    };
    ExternalResourceException e =
        assertThrows(ExternalResourceException.class, () -> storage.storeStream("broken", source));
    assertTrue(e.getMessage().contains("source"), e.getMessage());
    assertFalse(storage.exists("broken"));
    assertEquals(List.of(), rawKeys(), "no object and no temporary object");
    assertEquals(List.of(), rawUploads(), "the multipart upload was aborted");
  }

  @Test
  @DisplayName("S2 the server refuses a damaged upload: a PUT whose Content-MD5 does not match")
  void serverRefusesWrongContentMd5() {
    byte[] body = "the body as sent".getBytes(StandardCharsets.UTF_8);
    String wrong = S3Storage.base64OfHex(TestData.md5("another body".getBytes(StandardCharsets.UTF_8)));
    S3Exception e =
        assertThrows(
            S3Exception.class,
            () ->
                raw.putObject(
                    r -> r.bucket(endpoint.bucket()).key(key("damaged")).contentMD5(wrong),
                    RequestBody.fromBytes(body)));
    assertEquals(400, e.statusCode(), e.toString());
    assertFalse(storage.exists("damaged"));
  }

  @Test
  @DisplayName("L1 a key over S3's 1024 bytes with the root prefix is refused clearly, and absent")
  void keyTooLong() {
    String location = "k".repeat(1020);
    ExternalResourceException e =
        assertThrows(ExternalResourceException.class, () -> storage.storeBytes(location, new byte[1]));
    assertTrue(e.getMessage().contains("1024"), e.getMessage());
    assertFalse(storage.exists(location));
  }

  // ---------------------------------------------------------------------------------------------
  // Reading and metadata

  @Test
  @DisplayName("R1 loading, getMetadata and verify of a missing object fail with Missing; exists is false")
  void missing() {
    assertThrows(MissingExternalResourceException.class, () -> storage.loadStream("nope"));
    assertThrows(MissingExternalResourceException.class, () -> storage.getMetadata("nope"));
    assertThrows(MissingExternalResourceException.class, () -> storage.verify("nope"));
    assertFalse(storage.exists("nope"));
  }

  @Test
  @DisplayName("R5 exists is false for a prefix of other objects")
  void existsNotForPrefixes() {
    storage.storeBytes("dir/file", new byte[] {1});
    assertTrue(storage.exists("dir/file"));
    assertFalse(storage.exists("dir"));
    assertFalse(storage.exists("di"));
  }

  @Test
  @DisplayName("R3 an object replaced behind the store's back with its metadata copied is reported as changed")
  void replacedBehindTheBack() {
    byte[] data = "original content".getBytes(StandardCharsets.UTF_8);
    Metadata stored = storage.storeBytes("victim", data);
    corrupt(raw, endpoint.bucket(), key("victim"));
    assertThrows(ChangedExternalResourceException.class, () -> storage.getMetadata("victim"));
    assertThrows(ChangedExternalResourceException.class, () -> storage.verify("victim"));
    assertThrows(
        ChangedExternalResourceException.class, () -> storage.loadBytes("victim", stored));
  }

  @Test
  @DisplayName("R4 verify reports an object uploaded in parts whose bytes changed behind its back")
  void verifyDetectsChangedLargeObject() {
    storage.storeStream("large", TestData.stream(21, PART + 5));
    corrupt(raw, endpoint.bucket(), key("large"));
    assertThrows(ChangedExternalResourceException.class, () -> storage.verify("large"));
  }

  /**
   * Replaces the object with other bytes of the same size, keeping its user metadata: what a
   * bit flip at rest or another tool's careless copy would look like.
   */
  static void corrupt(S3Client s3, String bucket, String key) {
    HeadObjectResponse head = s3.headObject(r -> r.bucket(bucket).key(key));
    byte[] data = s3.getObjectAsBytes(r -> r.bucket(bucket).key(key)).asByteArray();
    data[data.length / 2] ^= 0x5a;
    Map<String, String> metadata = new HashMap<>(head.metadata());
    s3.putObject(r -> r.bucket(bucket).key(key).metadata(metadata), RequestBody.fromBytes(data));
  }

  @Test
  @DisplayName("R3 an object written by another tool, without a Stowage record, is reported as changed")
  void foreignObjectInOwnBucket() {
    raw.putObject(
        r -> r.bucket(endpoint.bucket()).key(key("foreign")), RequestBody.fromString("theirs"));
    ChangedExternalResourceException e =
        assertThrows(ChangedExternalResourceException.class, () -> storage.getMetadata("foreign"));
    assertTrue(e.getMessage().contains("readOnlyForeignBucket"), e.getMessage());
    assertTrue(storage.exists("foreign"));
  }

  @Test
  @DisplayName("R3 readOnlyForeignBucket: the ETag is the MD5 of single-part objects; others fail clearly; no writes")
  void readOnlyForeignBucket() {
    byte[] theirs = "written by another tool".getBytes(StandardCharsets.UTF_8);
    raw.putObject(r -> r.bucket(endpoint.bucket()).key(key("one")), RequestBody.fromBytes(theirs));
    String uploadId =
        raw.createMultipartUpload(r -> r.bucket(endpoint.bucket()).key(key("multi"))).uploadId();
    byte[] part = TestData.bytes(1, PART);
    String eTag =
        raw.uploadPart(
                r -> r.bucket(endpoint.bucket()).key(key("multi")).uploadId(uploadId).partNumber(1),
                RequestBody.fromBytes(part))
            .eTag();
    raw.completeMultipartUpload(
        r -> r.bucket(endpoint.bucket()).key(key("multi")).uploadId(uploadId)
            .multipartUpload(
                u -> u.parts(CompletedPart.builder().partNumber(1).eTag(eTag).build())));
    try (S3Storage foreign = endpoint.storage(prefix).readOnlyForeignBucket(true).build()) {
      Metadata one = foreign.getMetadata("one");
      assertEquals(new Metadata(TestData.md5(theirs), theirs.length), one);
      assertEquals(one, foreign.verify("one"));
      ExternalResourceException e =
          assertThrows(ExternalResourceException.class, () -> foreign.getMetadata("multi"));
      assertFalse(e instanceof ChangedExternalResourceException);
      assertTrue(e.getMessage().contains("no MD5 is known"), e.getMessage());
      assertArrayEquals(part, foreign.loadBytes("multi"));
      assertThrows(ExternalResourceException.class, () -> foreign.storeBytes("new", new byte[1]));
      assertThrows(ExternalResourceException.class, () -> foreign.delete("one"));
      assertFalse(foreign.exists("new"));
      assertTrue(foreign.exists("one"));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Deleting

  @Test
  @DisplayName("D1 delete removes, then fails with Missing; deleteIfExists says whether it removed one")
  void deleting() {
    storage.storeBytes("gone", new byte[] {1});
    storage.delete("gone");
    assertFalse(storage.exists("gone"));
    assertThrows(MissingExternalResourceException.class, () -> storage.delete("gone"));
    storage.storeBytes("gone2", new byte[] {1});
    assertTrue(storage.deleteIfExists("gone2"));
    assertFalse(storage.deleteIfExists("gone2"));
  }

  // ---------------------------------------------------------------------------------------------
  // Listing

  @Test
  @DisplayName("I3 a listing of several pages is fetched lazily, in order, without the root prefix")
  void listingOverPages() {
    try (S3Storage paged = endpoint.storage(prefix).listPageSize(2).build()) {
      List<String> locations = List.of("a", "b/1", "b/2", "b/3", "c", "ca", "d/e/f");
      for (String l : locations) {
        paged.storeBytes(l, l.getBytes(StandardCharsets.UTF_8));
      }
      try (Stream<String> all = paged.iterContents()) {
        assertEquals(locations, all.collect(Collectors.toList()));
      }
      try (Stream<String> b = paged.iterContents("b/")) {
        assertEquals(List.of("b/1", "b/2", "b/3"), b.collect(Collectors.toList()));
      }
      try (Stream<String> c = paged.iterContents("c")) {
        assertEquals(List.of("c", "ca"), c.collect(Collectors.toList()));
      }
      try (Stream<String> first = paged.iterContents()) {
        assertEquals(List.of("a"), first.limit(1).collect(Collectors.toList()));
      }
    }
  }

  @Test
  @DisplayName("I7 a listing after a bound over several pages: StartAfter (under the root) on the first request, continuation tokens after it")
  void listingAfterOverPages() {
    List<ListObjectsV2Request> sent = java.util.Collections.synchronizedList(new ArrayList<>());
    ExecutionInterceptor recording = new ExecutionInterceptor() {
      @Override
      public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        if (context.request() instanceof ListObjectsV2Request r) {
          sent.add(r);
        }
      }
    };
    S3Storage.Builder b = S3Storage.builder().bucket(endpoint.bucket()).prefix(prefix).listPageSize(2);
    if (endpoint.kind().equals("s3proxy")) {
      b.serverFeatures(S3Endpoint.TESTED_S3PROXY);
    }
    try (S3Client client = endpoint.clientWith(recording);
        S3Storage paged = b.client(client).build()) {
      List<String> locations = List.of("a", "b/1", "b/2", "b/3", "c", "ca", "d/e/f", "d/e/g");
      for (String l : locations) {
        paged.storeBytes(l, l.getBytes(StandardCharsets.UTF_8));
      }
      sent.clear();
      try (Stream<String> after = paged.iterContents("", "b/1")) {
        assertEquals(locations.subList(2, 8), after.collect(Collectors.toList()));
      }
      assertEquals(3, sent.size(), "six keys after the bound, two a page: " + sent);
      assertEquals(prefix + "/b/1", sent.get(0).startAfter(),
          "I7: the first request starts after the bound, under the root prefix");
      for (ListObjectsV2Request later : sent.subList(1, sent.size())) {
        assertEquals(null, later.startAfter(), "later pages go by continuation token: " + later);
        assertTrue(later.continuationToken() != null, "later pages go by continuation token");
      }
      try (Stream<String> b1 = paged.iterContents("b/", "b/1")) {
        assertEquals(List.of("b/2", "b/3"), b1.collect(Collectors.toList()));
      }
      try (Stream<String> c = paged.iterContents("c", "c")) {
        assertEquals(List.of("ca"), c.collect(Collectors.toList()));
      }
      try (Stream<String> none = paged.iterContents("d/", "d/e/g")) {
        assertEquals(List.of(), none.collect(Collectors.toList()));
      }
      try (Stream<String> all = paged.iterContents("", "")) {
        assertEquals(locations, all.collect(Collectors.toList()), "I7: the empty bound");
      }
      sent.clear();
      try (Stream<String> last = paged.iterContents("", "d/e/f")) {
        assertEquals(List.of("d/e/g"), last.collect(Collectors.toList()));
      }
      assertEquals(1, sent.size(), "I7: the server skips the keys before the bound: " + sent);
    }
  }

  @Test
  @DisplayName("I2 listing is in UTF-8 byte order, also for characters above U+FFFF")
  void listingInUtf8Order() {
    List<String> locations =
        new ArrayList<>(List.of("x\uFFFD", "x\uD83D\uDE00", "x\u00e9", "xz", "x b", "x+b", "x%2Fb"));
    for (String l : locations) {
      storage.storeBytes(l, new byte[] {1});
    }
    locations.sort(Location.UTF8_ORDER);
    try (Stream<String> listed = storage.iterContents("x")) {
      assertEquals(locations, listed.collect(Collectors.toList()));
    }
  }

  @Test
  @DisplayName("I1 an object and objects \"below\" it coexist, as S3 keys do (not on MinIO)")
  void objectAndFolderOfTheSameName() {
    org.junit.jupiter.api.Assumptions.assumeFalse(
        endpoint.kind().equals("minio"), "MinIO refuses key k/x next to key k (ParentIsObject)");
    Metadata k = storage.storeBytes("k", new byte[] {1});
    Metadata kx = storage.storeBytes("k/x", new byte[] {2});
    assertEquals(k, storage.getMetadata("k"));
    assertEquals(kx, storage.getMetadata("k/x"));
    try (Stream<String> listed = storage.iterContents("k")) {
      assertEquals(List.of("k", "k/x"), listed.collect(Collectors.toList()));
    }
    storage.delete("k");
    assertTrue(storage.exists("k/x"));
  }

  @Test
  @DisplayName("I1 keys that are not valid locations (written by other tools) are skipped")
  void invalidKeysSkipped() {
    storage.storeBytes("ok", new byte[] {1});
    // (Not "a//b": s3proxy's Jetty collapses "//" in the path and the signature no longer matches.)
    for (String bad : List.of("folder/", "back\\slash", "seg/.stowage-mine")) {
      raw.putObject(
          r -> r.bucket(endpoint.bucket()).key(key(bad)), RequestBody.fromString("theirs"));
    }
    try (Stream<String> listed = storage.iterContents()) {
      assertEquals(List.of("ok"), listed.collect(Collectors.toList()));
    }
  }

  @Test
  @DisplayName("I1 the reserved temporary folder is never listed")
  void tempFolderNotListed() {
    storage.storeBytes("visible", new byte[] {1});
    raw.putObject(
        r -> r.bucket(endpoint.bucket()).key(prefix + "/" + S3Storage.TEMP_FOLDER + "leftover"),
        RequestBody.fromString("temp"));
    try (Stream<String> listed = storage.iterContents()) {
      assertEquals(List.of("visible"), listed.collect(Collectors.toList()));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Names

  @Test
  @DisplayName("uri is s3://bucket/prefix/location; toString names bucket, prefix and endpoint, no secret")
  void names() {
    assertEquals(
        URI.create("s3://" + endpoint.bucket() + "/" + prefix + "/a/b.txt"), storage.uri("a/b.txt"));
    String s = storage.toString();
    assertEquals(
        "S3Storage[s3://" + endpoint.bucket() + "/" + prefix + "/ @ " + endpoint.uri() + "]", s);
    assertFalse(s.contains(endpoint.secretKey()));
    assertNotEquals("", storage.rootPrefix());
  }
}
