package org.stowage.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * What goes over the wire to an {@code http://} endpoint, recorded by a proxy: with {@code
 * ChecksumMode.SDK_DEFAULT} the SDK frames bodies as {@code aws-chunked}; with {@code
 * WHEN_REQUIRED} no request is framed, on every upload path (issue 14: the checksum mode alone
 * did not stop it over HTTP).
 */
class S3ChunkedEncodingTest {
  private static final int PART = (int) S3Storage.MIN_PART_SIZE;
  private static S3ProxyServer server;
  private static FaultProxy tap;

  @BeforeAll
  static void start() throws Exception {
    server = S3ProxyServer.startTransient();
    server.endpoint("chunked");
    tap = new FaultProxy(server.port());
    tap.record(true);
  }

  @AfterAll
  static void stop() throws Exception {
    tap.close();
    server.close();
  }

  private static S3Storage storage(S3Storage.ChecksumMode mode) {
    return S3Storage.builder()
        .serverFeatures(S3Endpoint.TESTED_S3PROXY)
        .bucket("chunked")
        .prefix(S3Endpoint.freshPrefix())
        .endpointOverride(tap.uri())
        .pathStyleAccess(true)
        .region(S3ProxyServer.REGION)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)))
        .checksumMode(mode)
        .partSize(PART)
        .build();
  }

  /** Stores by every upload path: bytes, a small stream, a stream and bytes in parts. */
  private static String storeEveryWay(S3Storage s3) {
    tap.takeRecording();
    byte[] small = TestData.bytes(1, 1000);
    byte[] big = TestData.bytes(2, PART + 10);
    assertEquals(TestData.md5(small), s3.storeBytes("bytes", small).md5());
    assertEquals(TestData.md5(small),
        s3.storeStream("stream", new ByteArrayInputStream(small)).md5());
    assertEquals(TestData.md5(big), s3.storeBytes("bytes-in-parts", big).md5());
    assertEquals(TestData.md5(big),
        s3.storeStream("stream-in-parts", new ByteArrayInputStream(big)).md5());
    assertArrayEquals(big, s3.loadBytes("stream-in-parts"));
    return tap.takeRecording().toLowerCase(Locale.ROOT);
  }

  @Test
  @DisplayName("SDK_DEFAULT over http:// sends aws-chunked bodies (the check below can fail)")
  void sdkDefaultIsChunked() {
    try (S3Storage s3 = storage(S3Storage.ChecksumMode.SDK_DEFAULT)) {
      String wire = storeEveryWay(s3);
      assertTrue(wire.contains("streaming-") || wire.contains("aws-chunked"),
          "expected aws-chunked framing");
    }
  }

  @Test
  @DisplayName("WHEN_REQUIRED over http:// sends every body plain: no aws-chunked, no STREAMING payload")
  void whenRequiredIsPlain() {
    try (S3Storage s3 = storage(S3Storage.ChecksumMode.WHEN_REQUIRED)) {
      String wire = storeEveryWay(s3);
      assertFalse(wire.contains("aws-chunked"), "a body was framed as aws-chunked");
      assertFalse(wire.contains("streaming-"), "a payload was signed as STREAMING-...");
      assertFalse(wire.contains("x-amz-trailer"), "a checksum trailer was sent");
      assertTrue(wire.contains("content-md5:"), "bodies carry Content-MD5");
    }
  }
}
