package org.stowage.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Which server the tests run against. */
@ExtendWith(S3TestEnvironment.class)
class S3TestEnvironmentTest {

  @Test
  @DisplayName("the tests use the external endpoint if named, else MinIO only with Docker, else s3proxy")
  void serverChoice(S3Endpoint endpoint) {
    String external = System.getenv("STOWAGE_S3_ENDPOINT");
    String expected =
        external != null && !external.isBlank()
            ? "external"
            : S3TestEnvironment.dockerAvailable() ? "minio" : "s3proxy";
    assertEquals(expected, endpoint.kind());
    if (expected.equals("s3proxy")) {
      assertEquals("127.0.0.1", endpoint.uri().getHost(), "tests talk only to 127.0.0.1");
    }
  }
}
