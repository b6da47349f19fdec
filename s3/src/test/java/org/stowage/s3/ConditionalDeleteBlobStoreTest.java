package org.stowage.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** The test server's conditional deletes answer as AWS S3's do. */
class ConditionalDeleteBlobStoreTest {
  private static S3ProxyServer server;
  private static S3Client s3;

  @BeforeAll
  static void start() throws Exception {
    server = S3ProxyServer.start(new ConditionalDeleteBlobStore(new TransientNio2BlobStore()));
    s3 = server.endpoint("cond").client();
  }

  @AfterAll
  static void stop() throws Exception {
    s3.close();
    server.close();
  }

  @Test
  @DisplayName("D1 test server: DeleteObject If-Match is 404 on a missing key, 412 on another ETag, as on AWS")
  void conditionalDelete() {
    s3.putObject(r -> r.bucket("cond").key("k"), RequestBody.fromString("x"));
    String eTag = s3.headObject(r -> r.bucket("cond").key("k")).eTag();
    assertEquals(412, assertThrows(S3Exception.class,
        () -> s3.deleteObject(r -> r.bucket("cond").key("k").ifMatch("\"0123456789abcdef0123456789abcdef\""))).statusCode());
    s3.deleteObject(r -> r.bucket("cond").key("k").ifMatch(eTag));
    assertEquals(404, assertThrows(S3Exception.class,
        () -> s3.deleteObject(r -> r.bucket("cond").key("k").ifMatch(eTag))).statusCode());
    s3.deleteObject(r -> r.bucket("cond").key("k")); // a plain delete of nothing stays a success, as on AWS
  }
}
