package org.stowage.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.stowage.ExternalResourceException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * What s3proxy 4.1.0 (nio2 blob stores, as the tests run it) does with the requests S3Storage
 * relies on. These facts decide the design documented in {@code docs/s3.md}; if an upgrade of
 * s3proxy changes one, this test says which.
 */
class S3ServerBehaviourTest {
  private static final String BUCKET = "behaviour";
  private static S3ProxyServer server;
  private static S3Endpoint endpoint;
  private static S3Client s3;

  @BeforeAll
  static void start() throws Exception {
    server = S3ProxyServer.start(new TransientNio2BlobStore()); // as shipped: no ordering fix
    endpoint = server.endpoint(BUCKET);
    s3 = endpoint.client();
  }

  @AfterAll
  static void stop() throws Exception {
    s3.close();
    server.close();
  }

  private static void put(String key, String body) {
    s3.putObject(r -> r.bucket(BUCKET).key(key), RequestBody.fromString(body));
  }

  private static String get(String key) {
    return s3.getObjectAsBytes(r -> r.bucket(BUCKET).key(key)).asUtf8String();
  }

  @Test
  @DisplayName("S5 s3proxy honours If-None-Match: * on PutObject: 412 when the key exists")
  void conditionalPut() {
    put("cp", "first");
    S3Exception e =
        assertThrows(
            S3Exception.class,
            () ->
                s3.putObject(
                    r -> r.bucket(BUCKET).key("cp").ifNoneMatch("*"), RequestBody.fromString("2")));
    assertEquals(412, e.statusCode());
    assertEquals("first", get("cp"));
  }

  @Test
  @DisplayName("S5 s3proxy honours If-None-Match: * on CompleteMultipartUpload, and keeps the upload")
  void conditionalComplete() {
    put("cc", "first");
    String uploadId = s3.createMultipartUpload(r -> r.bucket(BUCKET).key("cc")).uploadId();
    String eTag =
        s3.uploadPart(
                r -> r.bucket(BUCKET).key("cc").uploadId(uploadId).partNumber(1),
                RequestBody.fromString("second"))
            .eTag();
    S3Exception e =
        assertThrows(
            S3Exception.class,
            () ->
                s3.completeMultipartUpload(
                    r -> r.bucket(BUCKET).key("cc").uploadId(uploadId).ifNoneMatch("*")
                        .multipartUpload(
                            u -> u.parts(
                                CompletedPart.builder().partNumber(1).eTag(eTag).build()))));
    assertEquals(412, e.statusCode());
    assertEquals("first", get("cc"));
    assertTrue(
        s3.listMultipartUploads(r -> r.bucket(BUCKET).prefix("cc")).uploads().stream()
            .anyMatch(u -> u.uploadId().equals(uploadId)),
        "a refused complete leaves the upload to abort");
    s3.abortMultipartUpload(r -> r.bucket(BUCKET).key("cc").uploadId(uploadId));
    assertEquals(List.of(), s3.listMultipartUploads(r -> r.bucket(BUCKET).prefix("cc")).uploads());
  }

  @Test
  @DisplayName("S5 s3proxy IGNORES If-None-Match on CopyObject: the copy overwrites (so S3Storage never commits by CopyObject)")
  void conditionalCopyIgnored() {
    put("copy-src", "new");
    put("copy-dst", "old");
    s3.copyObject(
        r -> r.sourceBucket(BUCKET).sourceKey("copy-src").destinationBucket(BUCKET)
            .destinationKey("copy-dst").ifNoneMatch("*"));
    assertEquals("new", get("copy-dst"), "AWS S3 would answer 412 and keep \"old\"");
  }

  @Test
  @DisplayName("S2 s3proxy refuses a PUT whose Content-MD5 does not match the body (400)")
  void contentMd5Checked() {
    String wrong = S3Storage.base64OfHex(TestData.md5(new byte[] {1, 2, 3}));
    S3Exception e =
        assertThrows(
            S3Exception.class,
            () ->
                s3.putObject(
                    r -> r.bucket(BUCKET).key("md5").contentMD5(wrong),
                    RequestBody.fromString("not 1 2 3")));
    assertEquals(400, e.statusCode());
    assertThrows(S3Exception.class, () -> get("md5"));
  }

  @Test
  @DisplayName("D1 s3proxy: DeleteObject If-Match is 412 on another ETag, but 204 on a missing key (AWS: 404)")
  void conditionalDelete() {
    put("del", "x");
    S3Exception e =
        assertThrows(
            S3Exception.class,
            () ->
                s3.deleteObject(
                    r -> r.bucket(BUCKET).key("del").ifMatch("\"0123456789abcdef0123456789abcdef\"")));
    assertEquals(412, e.statusCode());
    String eTag = s3.headObject(r -> r.bucket(BUCKET).key("del")).eTag();
    s3.deleteObject(r -> r.bucket(BUCKET).key("del").ifMatch(eTag));
    // Absent now: AWS S3 answers 404 NoSuchKey; s3proxy answers success.
    s3.deleteObject(r -> r.bucket(BUCKET).key("del").ifMatch(eTag));
  }

  @Test
  @DisplayName("I2 s3proxy lists in UTF-16 order, not S3's UTF-8 order; S3Storage then fails the listing clearly")
  void listingOrder() {
    put("o/a\uFFFD", "1");
    put("o/a\uD83D\uDE00", "2");
    List<String> keys =
        s3.listObjectsV2(r -> r.bucket(BUCKET).prefix("o/")).contents().stream()
            .map(S3Object::key)
            .collect(Collectors.toList());
    assertEquals(List.of("o/a\uD83D\uDE00", "o/a\uFFFD"), keys, "UTF-8 order is the reverse");
    try (S3Storage storage = endpoint.storage("o").readOnlyForeignBucket(true).build();
        Stream<String> listed = storage.iterContents()) {
      ExternalResourceException x =
          assertThrows(ExternalResourceException.class, () -> listed.collect(Collectors.toList()));
      assertTrue(x.getMessage().contains("UTF-8"), x.getMessage());
    }
  }

  @Test
  @DisplayName("I2 the listing-order error shows keys escaped: one ending in U+E000 does not seem to end early")
  void listingOrderMessageEscapes() {
    put("e/\uE000", "1");
    put("e/\uD83D\uDE00", "2");
    try (S3Storage storage = endpoint.storage("e").readOnlyForeignBucket(true).build();
        Stream<String> listed = storage.iterContents()) {
      ExternalResourceException x =
          assertThrows(ExternalResourceException.class, () -> listed.collect(Collectors.toList()));
      assertTrue(x.getMessage().contains("\"e/\\ue000\""), x.getMessage());
    }
  }

  @Test
  @DisplayName("I1 s3proxy's nio2 stores cannot hold a key and a longer key below it (\"k\" and \"k/x\")")
  void fileAndFolder() {
    put("k/x", "below");
    assertThrows(S3Exception.class, () -> put("k", "file where a folder is"));
  }
}
