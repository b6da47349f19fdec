package org.stowage.s3;

import java.util.UUID;
import org.junit.jupiter.api.extension.ExtendWith;
import org.stowage.ExternalStorage;
import org.stowage.testkit.Capabilities;
import org.stowage.testkit.ExternalStorageContract;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The contract suite against S3Storage on the shared test endpoint (s3proxy in this JVM, MinIO
 * with Docker, or STOWAGE_S3_ENDPOINT). Each test gets a fresh, empty store: a bucket of its own
 * with an empty root prefix, so that locations of the full 1024 bytes fit S3's key limit (a root
 * prefix would take some of it); a second {@code newStorage()} in the same test (the kit's
 * two-instance check) opens the same bucket. On an external endpoint, where tests must not create
 * buckets, a fresh prefix of the shared bucket stands in, and the longest locations do not fit. The
 * part size is the smallest S3 allows, so that objects over 5 MiB take the upload-in-parts path.
 */
@ExtendWith(S3TestEnvironment.class)
class S3StorageContractTest extends ExternalStorageContract {
  private static final long PART = S3Storage.MIN_PART_SIZE;

  private S3Endpoint endpoint;
  private String prefix;

  @Override
  protected ExternalStorage newStorage() {
    if (endpoint == null) {
      S3Endpoint shared = sharedEndpoint();
      if (shared.kind().equals("external")) {
        endpoint = shared;
        prefix = S3Endpoint.freshPrefix();
      } else {
        endpoint = shared.withBucket("contract-" + UUID.randomUUID());
        prefix = "";
      }
    }
    return endpoint.storage(prefix).partSize(PART).uploadConcurrency(2).build();
  }

  /** The server the suite runs against; a subclass names another. */
  S3Endpoint sharedEndpoint() {
    return S3TestEnvironment.shared();
  }

  @Override
  protected Capabilities capabilities() {
    return Capabilities.none()
        // Conditional writes and deletes are decided by the server, whichever process sends them.
        .withCrossProcessSafety(true)
        // Above one part, so that the suite exercises uploads in parts and their copy step.
        .withMaxObjectSize(3 * PART)
        .withCorrupter(
            (storage, location) -> {
              S3Storage s3 = (S3Storage) storage;
              try (S3Client raw = endpoint.client()) {
                // Other bytes of the same size under the same key, user metadata kept.
                S3StorageTest.corrupt(raw, s3.bucket(), s3.rootPrefix() + location);
              }
            });
  }
}
