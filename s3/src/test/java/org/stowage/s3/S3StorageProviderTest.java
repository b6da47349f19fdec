package org.stowage.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.stowage.ExternalStorage;

@ExtendWith(S3TestEnvironment.class)
class S3StorageProviderTest {

  @Test
  @DisplayName("s3://bucket/prefix?endpoint=...&region=...&pathStyle=true opens an S3Storage; credentials come from the SDK chain")
  void opens(S3Endpoint server) {
    String prefix = S3Endpoint.freshPrefix();
    String uri = "s3://" + server.bucket() + "/" + prefix + "?endpoint="
        + URLEncoder.encode(server.uri().toString(), StandardCharsets.UTF_8)
        + "&region=" + server.region() + "&pathStyle=true&checksumMode=WHEN_REQUIRED";
    String oldKey = System.getProperty("aws.accessKeyId");
    String oldSecret = System.getProperty("aws.secretAccessKey");
    System.setProperty("aws.accessKeyId", server.accessKey());
    System.setProperty("aws.secretAccessKey", server.secretKey());
    try (ExternalStorage s = ExternalStorage.open(uri)) {
      assertInstanceOf(S3Storage.class, s);
      s.storeBytes("a/b", new byte[] {7});
      assertEquals("s3://" + server.bucket() + "/" + prefix + "/a/b", s.uri("a/b").toString());
      try (S3Storage direct = server.storage(prefix).build()) {
        assertArrayEquals(new byte[] {7}, direct.loadBytes("a/b"));
      }
    } finally {
      restore("aws.accessKeyId", oldKey);
      restore("aws.secretAccessKey", oldSecret);
    }
  }

  private static void restore(String name, String value) {
    if (value == null) {
      System.clearProperty(name);
    } else {
      System.setProperty(name, value);
    }
  }

  @Test
  @DisplayName("T2 credentials in an s3 URI are refused, and the refusal never repeats the secret")
  void credentialsRefused() {
    for (String bad : new String[] {"s3://AKIAEXAMPLE:s3cr3tValue@bucket/p", "s3://bucket/p?secretKey=s3cr3tValue",
        "s3://bucket/p?accessKey=AKIAEXAMPLE", "s3://bucket/p?sessionToken=s3cr3tValue", "s3://bucket/p?aws_secret=s3cr3tValue"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ExternalStorage.open(bad), bad);
      assertFalse(e.getMessage().contains("s3cr3tValue"), e.getMessage());
      assertTrue(e.getMessage().contains("credentials"), e.getMessage());
    }
  }

  @Test
  @DisplayName("L5 malformed s3 URIs are refused with the part at fault named")
  void malformed() {
    for (String bad : new String[] {"s3://bucket/%2e%2e/x", "s3://bucket/a/../b", "s3://bucket/a//b", "s3:bucket",
        "s3://bucket/p?unknown=1", "s3://bucket/p?pathStyle=yes", "s3://bucket/p?region=a&region=b",
        "s3://bucket:9000/p", "s3://bucket/p#f", "s3://bucket/p?partSize=big", "s3://bucket/.stowage-tmp/x"}) {
      assertThrows(IllegalArgumentException.class, () -> ExternalStorage.open(bad), bad);
    }
  }
}
