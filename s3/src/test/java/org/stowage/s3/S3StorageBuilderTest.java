package org.stowage.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** Configuration, without a server: building sends no request. */
class S3StorageBuilderTest {
  private static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  private static final StaticCredentialsProvider CREDENTIALS =
      StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE", SECRET));

  private static S3Storage.Builder aws() {
    return S3Storage.builder().bucket("b").region("eu-west-1").credentialsProvider(CREDENTIALS);
  }

  @Test
  @DisplayName("T2 toString names bucket, root and endpoint (or AWS region), never credentials")
  void names() {
    try (S3Storage s = aws().prefix("runs/2024").build()) {
      assertEquals("S3Storage[s3://b/runs/2024/ @ AWS eu-west-1]", s.toString());
      assertEquals("runs/2024/", s.rootPrefix());
      assertEquals(URI.create("s3://b/runs/2024/x/y.json"), s.uri("x/y.json"));
      assertFalse(s.toString().contains(SECRET));
    }
    try (S3Storage s =
        aws().endpointOverride(URI.create("http://127.0.0.1:9000")).pathStyleAccess(true).build()) {
      assertEquals("S3Storage[s3://b/ @ http://127.0.0.1:9000]", s.toString());
      assertEquals(URI.create("s3://b/x%20y"), s.uri("x y"));
    }
  }

  @Test
  @DisplayName("L5 the root prefix follows the listing prefix rules; a trailing slash is optional")
  void prefixRules() {
    try (S3Storage s = aws().prefix("a/").build()) {
      assertEquals("a/", s.rootPrefix());
    }
    try (S3Storage s = aws().build()) {
      assertEquals("", s.rootPrefix());
    }
    for (String bad : new String[] {"/a", "a//b", "a/../b", ".stowage-tmp", "a/.stowage/b", "a\\b"}) {
      assertThrows(IllegalArgumentException.class, () -> aws().prefix(bad), bad);
    }
  }

  @Test
  @DisplayName("options are checked: bucket required, part size 5 MiB to 1 GiB, concurrency, page size")
  void optionChecks() {
    assertThrows(IllegalStateException.class, () -> S3Storage.builder().build());
    assertThrows(IllegalArgumentException.class, () -> aws().partSize(S3Storage.MIN_PART_SIZE - 1));
    assertThrows(IllegalArgumentException.class, () -> aws().partSize(S3Storage.MAX_PART_SIZE + 1));
    assertThrows(IllegalArgumentException.class, () -> aws().uploadConcurrency(0));
    assertThrows(IllegalArgumentException.class, () -> aws().listPageSize(1001));
    assertThrows(IllegalArgumentException.class, () -> aws().maxAttempts(0));
    assertThrows(IllegalArgumentException.class, () -> aws().apiCallTimeout(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> aws().bucket("a/b"));
    assertThrows(
        IllegalArgumentException.class,
        () -> aws().endpointOverride(URI.create("http://user:pw@127.0.0.1:9000")));
    assertThrows(
        IllegalStateException.class,
        () -> aws().maxAttempts(3).retryStrategy(AwsRetryStrategy.doNotRetry()).build());
    try (S3Storage s = aws().partSize(S3Storage.MIN_PART_SIZE).build()) {
      assertEquals(S3Storage.MIN_PART_SIZE, s.partSize());
    }
  }

  @Test
  @DisplayName("a given client excludes connection options, and is not closed with the storage")
  void givenClient() {
    try (S3Client client =
        S3Client.builder()
            .region(Region.EU_CENTRAL_1)
            .credentialsProvider(CREDENTIALS)
            .httpClientBuilder(Apache5HttpClient.builder())
            .build()) {
      assertThrows(
          IllegalStateException.class,
          () -> S3Storage.builder().bucket("b").client(client).region("eu-west-1").build());
      assertThrows(
          IllegalStateException.class,
          () -> S3Storage.builder().bucket("b").client(client).maxAttempts(2).build());
      S3Storage s = S3Storage.builder().bucket("b").client(client).build();
      assertEquals("S3Storage[s3://b/ @ AWS eu-central-1]", s.toString());
      s.close();
      assertTrue(s.isClosed());
      // S3StorageRequestsTest shows, against a server, that the given client still works.
    }
  }

  @Test
  @DisplayName("ETags count as MD5s only for plain, unencrypted-by-KMS single-part objects")
  void etagAsMd5() {
    String md5 = "9e107d9d372bb6826bd81d3542a419d6";
    assertEquals(md5, S3Storage.md5OfETag("\"" + md5 + "\"", null, null));
    assertEquals(md5, S3Storage.md5OfETag("\"" + md5.toUpperCase() + "\"", "AES256", null));
    assertNull(S3Storage.md5OfETag("\"" + md5 + "-3\"", null, null));
    assertNull(S3Storage.md5OfETag("\"" + md5 + "\"", "aws:kms", null));
    assertNull(S3Storage.md5OfETag("\"" + md5 + "\"", null, "AES256"));
    assertNull(S3Storage.md5OfETag("W/\"" + md5 + "\"", null, null));
    assertNull(S3Storage.md5OfETag(null, null, null));
  }

  @Test
  @DisplayName("S4 copy parts are 512 MiB or more, at most 10,000, at most 5 GiB each")
  void copyPartSizes() {
    assertEquals(512L << 20, PartUpload.copyPartSize(10L << 20));
    assertEquals(512L << 20, PartUpload.copyPartSize(1L << 40));
    long fiveTib = 5L << 40;
    long part = PartUpload.copyPartSize(fiveTib);
    assertTrue((fiveTib + part - 1) / part <= S3Storage.MAX_PARTS);
    assertTrue(part <= S3Storage.S3_MAX_PART_SIZE);
  }
}
