package org.stowage.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Collectors;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.stowage.s3.DeviantBlobStore.Deviation;
import org.stowage.s3.S3ServerFeatures.ListingOrder;
import org.stowage.s3.S3ServerFeatures.Support;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The server probe against s3proxy as the tests run it, s3proxy as shipped, s3proxy with each
 * simulated deviation of the servers issue 14 met, and S3Mock: each finding is what the server
 * does, the folder it worked in is left empty, and the report names the refusals.
 */
class S3ServerProbeTest {
  private static final String BUCKET = "probe";

  static S3ServerFeatures probe(S3Endpoint endpoint) {
    try (S3Client s3 = endpoint.client()) {
      String folder = "p-" + java.util.UUID.randomUUID() + "/";
      S3ServerFeatures f = S3ServerProbe.probe(
          s3, endpoint.bucket(), folder, endpoint.kind(), S3ServerProbe.Race.THOROUGH);
      List<String> left =
          s3.listObjectsV2(r -> r.bucket(endpoint.bucket()).prefix(folder)).contents().stream()
              .map(S3Object::key)
              .collect(Collectors.toList());
      assertEquals(List.of(), left, "the probe removes what it wrote");
      if (f.notes().stream().noneMatch(n -> n.startsWith("AbortMultipartUpload was answered"))) {
        assertEquals(List.of(), s3.listMultipartUploads(
            r -> r.bucket(endpoint.bucket()).prefix(folder)).uploads(), "and its uploads");
      }
      return f;
    }
  }

  private static S3ServerFeatures probeS3Proxy(DeviantBlobStore.Deviation... deviations)
      throws Exception {
    // Ordered listings and exact conditional deletes as the tests' s3proxy, then the deviations.
    org.gaul.s3proxy.blobstore.BlobStore store =
        new ConditionalDeleteBlobStore(
            new Utf8OrderedBlobStore(new FlatKeyBlobStore(new TransientNio2BlobStore())));
    if (deviations.length > 0) {
      store = new DeviantBlobStore(store, deviations[0],
          java.util.Arrays.copyOfRange(deviations, 1, deviations.length));
    }
    try (S3ProxyServer server = S3ProxyServer.start(store)) {
      return probe(server.endpoint(BUCKET));
    }
  }

  @Test
  @DisplayName("probe: s3proxy as the tests run it has every feature and no refusal")
  void s3proxyAsTested() throws Exception {
    S3ServerFeatures f = probeS3Proxy();
    assertEquals(Support.YES, f.md5ETags(), f.report());
    assertEquals(Support.YES, f.conditionalCreate(), f.report());
    assertEquals(Support.YES, f.atomicConditionalCreate(), f.report());
    assertEquals(Support.YES, f.conditionalDelete(), f.report());
    assertEquals(Support.YES, f.contentMd5Checked(), f.report());
    assertEquals("400 BadDigest", f.badDigestAnswer(), f.report());
    assertEquals(Support.YES, f.uploadPartCopy(), f.report());
    assertEquals(Support.YES, f.abortKeepsObject(), f.report());
    assertEquals(ListingOrder.UTF8, f.listingOrder(), f.report());
    assertEquals(List.of(), f.refusals(), f.report());
  }

  @Test
  @DisplayName("probe: a storage probes once, on its first store, and leaves nothing behind")
  void storageProbesOnce() throws Exception {
    try (S3ProxyServer server = S3ProxyServer.startTransient()) {
      S3Endpoint e = server.endpoint(BUCKET);
      String prefix = S3Endpoint.freshPrefix();
      try (S3Storage s3 = e.probingStorage(prefix).build()) {
        s3.storeBytes("a", new byte[] {1});
        S3ServerFeatures first = s3.serverFeatures();
        assertTrue(first == s3.serverFeatures(), "learned once");
        assertEquals(List.of(), first.refusals(), first.report());
        assertEquals(List.of("a"), s3.iterContents().collect(Collectors.toList()));
      }
      try (S3Client raw = e.client()) {
        assertEquals(List.of(prefix + "/a"),
            raw.listObjectsV2(r -> r.bucket(BUCKET).prefix(prefix)).contents().stream()
                .map(S3Object::key).collect(Collectors.toList()));
      }
    }
  }

  @Test
  @DisplayName("probe: s3proxy as shipped lists in UTF-16 order, a refusal of rule I2")
  void s3proxyAsShipped() throws Exception {
    try (S3ProxyServer server = S3ProxyServer.start(new TransientNio2BlobStore())) {
      S3ServerFeatures f = probe(server.endpoint(BUCKET));
      assertEquals(ListingOrder.UTF16, f.listingOrder(), f.report());
      assertEquals(List.of("I2"), rules(f), f.report());
    }
  }

  @Test
  @DisplayName("probe: a server that ignores If-None-Match (s3rver) has no conditional create")
  void ignoresIfNoneMatch() throws Exception {
    S3ServerFeatures f = probeS3Proxy(Deviation.IGNORE_IF_NONE_MATCH);
    assertEquals(Support.NO, f.conditionalCreate(), f.report());
    assertEquals(Support.UNKNOWN, f.atomicConditionalCreate(), f.report());
    assertEquals(List.of("S5"), rules(f), f.report());
  }

  @Test
  @DisplayName("probe: a server that ignores Content-MD5 (s3rver) is seen not to check it")
  void ignoresContentMd5() throws Exception {
    S3ServerFeatures f = probeS3Proxy(Deviation.IGNORE_CONTENT_MD5);
    assertEquals(Support.NO, f.contentMd5Checked(), f.report());
    assertEquals(Support.YES, f.md5ETags(), f.report());
    assertEquals(List.of("S2"), rules(f), f.report());
  }

  @Test
  @DisplayName("probe: a server without UploadPartCopy (s3rver, 501) is seen without it")
  void noUploadPartCopy() throws Exception {
    S3ServerFeatures f = probeS3Proxy(Deviation.NO_UPLOAD_PART_COPY);
    assertEquals(Support.NO, f.uploadPartCopy(), f.report());
    assertTrue(f.notes().stream().anyMatch(n -> n.contains("501")), f.report());
    assertEquals(List.of("S4"), rules(f), f.report());
  }

  @Test
  @DisplayName("probe: a server without AbortMultipartUpload (s3rver, 405) is probed all the same; whether an abort keeps the object is unknown")
  void noAbort() throws Exception {
    S3ServerFeatures f = probeS3Proxy(Deviation.NO_ABORT);
    assertEquals(Support.UNKNOWN, f.abortKeepsObject(), f.report());
    assertTrue(f.notes().stream().anyMatch(n -> n.contains("AbortMultipartUpload was answered 405")),
        f.report());
    assertEquals(Support.YES, f.uploadPartCopy(), f.report());
    assertEquals(List.of(), rules(f), f.report());
  }

  @Test
  @DisplayName("probe: a server that lists in file-name order (s3rver: \"a-b\" before \"a\") is seen out of UTF-8 order")
  void fileNameOrder() throws Exception {
    S3ServerFeatures f = probeS3Proxy(Deviation.FILE_NAME_ORDER);
    assertEquals(ListingOrder.OTHER, f.listingOrder(), f.report());
    assertTrue(f.notes().stream().anyMatch(n -> n.contains("\"o/a-b\", \"o/a\"")), f.report());
    assertEquals(List.of("I2"), rules(f), f.report());
  }

  @Test
  @DisplayName("probe: a wrong Content-MD5 answered 400 BadRequest (S3Mock) is named in the report")
  void badRequestForBadDigest() throws Exception {
    S3ServerFeatures f = probeS3Proxy(Deviation.BAD_REQUEST_FOR_BAD_DIGEST);
    assertEquals(Support.YES, f.contentMd5Checked(), f.report());
    assertEquals("400 BadRequest", f.badDigestAnswer(), f.report());
    assertEquals(List.of("S2"), rules(f), f.report());
  }

  @Test
  @DisplayName("probe: S3Mock 5.2.0's known deviations are all found, and nothing else")
  void s3mock() {
    S3ServerFeatures f = probe(S3MockServer.shared().endpoint(BUCKET));
    assertEquals(Support.YES, f.md5ETags(), f.report());
    assertEquals(Support.YES, f.conditionalCreate(), f.report());
    assertEquals(Support.NO, f.atomicConditionalCreate(), f.report());
    assertEquals(Support.YES, f.conditionalDelete(), f.report());
    assertEquals(Support.YES, f.contentMd5Checked(), f.report());
    assertEquals("400 BadRequest", f.badDigestAnswer(), f.report());
    assertEquals(Support.YES, f.uploadPartCopy(), f.report());
    assertEquals(Support.NO, f.abortKeepsObject(), f.report());
    assertEquals(ListingOrder.UTF16, f.listingOrder(), f.report());
    assertEquals(List.of("S5 under T1", "S2", "S2, S5", "I2"), rules(f), f.report());
  }

  private static List<String> rules(S3ServerFeatures f) {
    return f.refusals().stream().map(S3ServerFeatures.Refusal::rules).collect(Collectors.toList());
  }
}
