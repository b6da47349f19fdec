package org.stowage.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.Metadata;
import org.stowage.StoredObject;
import org.stowage.WritePolicy;
import org.stowage.s3.DeviantBlobStore.Deviation;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * S3Storage on servers that do not do what S3 does (issue 14's findings), simulated in s3proxy
 * ({@link DeviantBlobStore}): a store never reports success for bytes the server did not store,
 * leaves nothing at the location when it fails, and an operation the server cannot back fails at
 * once, naming the missing feature.
 */
class S3ServerDeviationsTest {
  private static final int PART = (int) S3Storage.MIN_PART_SIZE;
  private static final String BUCKET = "deviant";

  private S3ProxyServer server;
  private S3Endpoint endpoint;
  private S3Client raw;

  private S3Storage storage(Deviation first, Deviation... more) throws Exception {
    return storage(null, first, more);
  }

  /** A storage on a deviant server that acts on {@code features} (null: on what it probes). */
  private S3Storage storage(S3ServerFeatures features, Deviation first, Deviation... more)
      throws Exception {
    server = S3ProxyServer.start(new DeviantBlobStore(
        new Utf8OrderedBlobStore(new FlatKeyBlobStore(new TransientNio2BlobStore())), first, more));
    endpoint = server.endpoint(BUCKET);
    raw = endpoint.client();
    S3Storage.Builder b = endpoint.probingStorage("p").partSize(PART).uploadConcurrency(2);
    return (features == null ? b : b.serverFeatures(features)).build();
  }

  /**
   * What a probe says of a server that checks no Content-MD5 and gives MD5 ETags, and that stored
   * the probe's bytes as sent (s3rver with plain bodies): the server then mis-stores later.
   */
  private static S3ServerFeatures uncheckedButHonest() {
    S3ServerFeatures s3 = S3ServerFeatures.assumedS3("deviant");
    return new S3ServerFeatures(s3.server(), s3.storesBytesSent(), s3.md5ETags(),
        s3.conditionalCreate(), s3.atomicConditionalCreate(), s3.conditionalDelete(),
        S3ServerFeatures.Support.NO, null, s3.uploadPartCopy(), s3.abortKeepsObject(),
        s3.listingOrder(), List.of("as s3rver with plain bodies"));
  }

  @AfterEach
  void stop() {
    if (raw != null) {
      raw.close();
    }
    if (server != null) {
      server.close();
    }
  }

  /** Every key and every open upload in the bucket: nothing may be left by a failed store. */
  private List<String> leftovers() {
    List<String> all = raw.listObjectsV2Paginator(r -> r.bucket(BUCKET)).contents().stream()
        .map(S3Object::key).collect(Collectors.toList());
    raw.listMultipartUploads(r -> r.bucket(BUCKET)).uploads().stream()
        .map(MultipartUpload::key).map(k -> "upload of " + k).forEach(all::add);
    return all;
  }

  @Test
  @DisplayName("S1 S2 a server the probe sees store other bytes than it got (s3rver over HTTP): every store fails at once, naming it")
  void misstoringServerRefused() throws Exception {
    try (S3Storage s3 = storage(Deviation.MISSTORE_BODY)) {
      ExternalResourceException e = assertThrows(ExternalResourceException.class,
          () -> s3.storeStream("small", new ByteArrayInputStream(new byte[10])));
      assertTrue(e.getMessage().contains("stores other bytes than it is sent")
          && e.getMessage().contains("WHEN_REQUIRED"), e.getMessage());
      assertEquals(S3ServerFeatures.Support.NO, s3.serverFeatures().storesBytesSent());
      assertEquals(List.of(), leftovers());
    }
  }

  @Test
  @DisplayName("S2 a server that stores other bytes than it got (s3rver over HTTP): a small storeStream fails by its ETag and leaves nothing")
  void misstoredSmallStream() throws Exception {
    try (S3Storage s3 = storage(uncheckedButHonest(), Deviation.MISSTORE_BODY)) {
      byte[] data = TestData.bytes(1, 1000);
      ExternalResourceException e = assertThrows(ExternalResourceException.class,
          () -> s3.storeStream("small", new ByteArrayInputStream(data)));
      assertTrue(e.getMessage().contains("ETag") && e.getMessage().contains("removed"),
          e.getMessage());
      assertFalse(e instanceof ChangedExternalResourceException, "the stream did not change");
      assertFalse(s3.exists("small"));
      // The same for bytes and files, which were checked before, but left the object behind.
      assertThrows(ExternalResourceException.class, () -> s3.storeBytes("bytes", data));
      assertFalse(s3.exists("bytes"));
      assertEquals(List.of(), leftovers());
    }
  }

  @Test
  @DisplayName("S2 a server that stores other bytes than it got: a stream in parts fails by a part's ETag; nothing is committed")
  void misstoredStreamParts() throws Exception {
    try (S3Storage s3 = storage(uncheckedButHonest(), Deviation.MISSTORE_BODY)) {
      ExternalResourceException e = assertThrows(ExternalResourceException.class,
          () -> s3.storeStream("big", TestData.stream(2, 2L * PART + 7)));
      assertTrue(e.getMessage().contains("part") && e.getMessage().contains("ETag"),
          e.getMessage());
      assertFalse(s3.exists("big"));
      assertEquals(List.of(), leftovers());
    }
  }

  @Test
  @DisplayName("S5 a server that ignores If-None-Match (s3rver): CREATE fails at once, naming it; OVERWRITE works")
  void ignoresIfNoneMatch() throws Exception {
    try (S3Storage s3 = storage(Deviation.IGNORE_IF_NONE_MATCH)) {
      byte[] data = TestData.bytes(3, 100);
      for (WritePolicy policy : List.of(WritePolicy.CREATE, WritePolicy.SKIP_IF_EXISTS)) {
        ExternalResourceException e = assertThrows(ExternalResourceException.class,
            () -> s3.storeBytes("c", data, policy));
        assertTrue(e.getMessage().contains("If-None-Match"), e.getMessage());
        assertFalse(s3.exists("c"));
      }
      assertEquals(TestData.md5(data), s3.storeBytes("c", data).md5());
      assertEquals(S3ServerFeatures.Support.NO, s3.serverFeatures().conditionalCreate());
    }
  }

  @Test
  @DisplayName("S4 a server without UploadPartCopy (s3rver, 501): a stream over a part fails at once, naming it; bytes of that size store")
  void noUploadPartCopy() throws Exception {
    try (S3Storage s3 = storage(Deviation.NO_UPLOAD_PART_COPY)) {
      ExternalResourceException e = assertThrows(ExternalResourceException.class,
          () -> s3.storeStream("big", TestData.stream(4, PART + 1L)));
      assertTrue(e.getMessage().contains("UploadPartCopy") && e.getMessage().contains("storePath"),
          e.getMessage());
      assertEquals(List.of(), leftovers());
      byte[] data = TestData.bytes(4, PART + 1);
      assertEquals(TestData.md5(data), s3.storeBytes("big", data).md5());
      assertArrayEquals(data, s3.loadBytes("big"));
      assertEquals(TestData.md5(TestData.bytes(5, 10)),
          s3.storeStream("small", new ByteArrayInputStream(TestData.bytes(5, 10))).md5(),
          "a stream within one part needs no copy");
    }
  }

  @Test
  @DisplayName("S2 a server that ignores Content-MD5 but answers MD5 ETags: stores are checked by the ETag and succeed")
  void ignoresContentMd5() throws Exception {
    try (S3Storage s3 = storage(Deviation.IGNORE_CONTENT_MD5)) {
      byte[] small = TestData.bytes(6, 1000);
      assertEquals(TestData.md5(small), s3.storeStream("s", new ByteArrayInputStream(small)).md5());
      assertEquals(TestData.md5(6, 2L * PART + 3),
          s3.storeStream("b", TestData.stream(6, 2L * PART + 3)).md5());
      assertEquals(TestData.md5(6, 2L * PART + 3), s3.verify("b").md5());
      assertEquals(S3ServerFeatures.Support.NO, s3.serverFeatures().contentMd5Checked());
    }
  }

  @Test
  @DisplayName("S2 S3 a wrong Content-MD5 answered 400 BadRequest (S3Mock): a bytes array changed under its PUT still fails as changed")
  void badRequestForBadDigest() throws Exception {
    server = S3ProxyServer.start(new DeviantBlobStore(
        new Utf8OrderedBlobStore(new FlatKeyBlobStore(new TransientNio2BlobStore())),
        Deviation.BAD_REQUEST_FOR_BAD_DIGEST));
    endpoint = server.endpoint(BUCKET);
    raw = endpoint.client();
    byte[] data = TestData.bytes(7, 1000);
    AtomicBoolean flipped = new AtomicBoolean();
    ExecutionInterceptor flipOnPut = new ExecutionInterceptor() {
      @Override
      public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes a) {
        if (context.request() instanceof PutObjectRequest
            && ((PutObjectRequest) context.request()).key().endsWith("/changed")
            && flipped.compareAndSet(false, true)) {
          data[5] ^= 1;
        }
      }
    };
    try (S3Client client = endpoint.clientWith(flipOnPut);
        S3Storage s3 = S3Storage.builder().client(client).bucket(BUCKET).prefix("p").build()) {
      assertEquals("400 BadRequest", s3.serverFeatures().badDigestAnswer());
      ChangedExternalResourceException e = assertThrows(ChangedExternalResourceException.class,
          () -> s3.storeBytes("changed", data));
      assertTrue(e.getMessage().contains("400 BadRequest"), e.getMessage());
      assertFalse(s3.exists("changed"));
    }
  }

  @Test
  @DisplayName("T1.1 R2 R4 a GET answered with one version's metadata and another's bytes (s3proxy's nio2 stores, S3TornGetTest) never passes as good: verify and loadObject fail as changed")
  void tornGet() throws Exception {
    try (S3Storage s3 = storage(S3ServerFeatures.assumedS3("torn GETs"), Deviation.TORN_GET)) {
      byte[] first = TestData.bytes(1, 100);
      byte[] second = TestData.bytes(2, 100);
      Metadata m1 = s3.storeBytes("k", first);
      Metadata m2 = s3.storeBytes("k", second, WritePolicy.OVERWRITE);
      // Same size: the headers (first's record and ETag) agree with each other and the length;
      // only the bytes (second's) show the tear, at the end of the read.
      assertEquals(m2, s3.getMetadata("k"), "a HEAD answers one version");
      assertThrows(ChangedExternalResourceException.class, () -> s3.verify("k"));
      try (StoredObject o = s3.loadObject("k")) {
        assertEquals(m1, o.metadata(), "the torn answer's headers");
        assertThrows(ChangedExternalResourceException.class, () -> o.stream().readAllBytes());
      }
      assertThrows(ChangedExternalResourceException.class, () -> s3.loadBytes("k", m1));
      // Without metadata, or against the caller's own: the bytes of one whole version.
      assertArrayEquals(second, s3.loadBytes("k"));
      assertArrayEquals(second, s3.loadBytes("k", m2));
      // Another size: the headers alone show it (length against the record), twice in a row.
      byte[] third = TestData.bytes(3, 50);
      Metadata m3 = s3.storeBytes("k", third, WritePolicy.OVERWRITE);
      assertThrows(ChangedExternalResourceException.class, () -> s3.verify("k"));
      assertThrows(ChangedExternalResourceException.class, () -> s3.loadObject("k"));
      assertArrayEquals(third, s3.loadBytes("k", m3));
    }
  }
}
