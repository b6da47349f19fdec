package org.stowage.s3;

import org.junit.jupiter.api.extension.ExtendWith;
import org.stowage.ExternalStorage;
import org.stowage.testkit.Capabilities;
import org.stowage.testkit.ExternalStorageContract;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The contract suite against S3Storage on the shared test endpoint (s3proxy in this JVM, MinIO
 * with Docker, or STOWAGE_S3_ENDPOINT). Each test gets a fresh, empty store: a new bucket with no
 * root prefix, so that locations of the full 1024 bytes fit S3's key limit (a root prefix takes
 * its length from every location's budget). Within one test every {@code newStorage()} opens the
 * same bucket, as the kit's cross-process checks expect. The part size is the smallest S3 allows,
 * so that objects over 5 MiB take the upload-in-parts path.
 */
@ExtendWith(S3TestEnvironment.class)
class S3StorageContractTest extends ExternalStorageContract {
  private static final long PART = S3Storage.MIN_PART_SIZE;

  /** This test's bucket; JUnit makes a new instance of this class for every test. */
  private S3Endpoint bucket;

  @Override
  protected ExternalStorage newStorage() {
    if (bucket == null) {
      bucket = S3TestEnvironment.shared().withBucket("c-" + java.util.UUID.randomUUID());
    }
    return bucket.storage("").partSize(PART).uploadConcurrency(2).build();
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
              try (S3Client raw = S3TestEnvironment.shared().client()) {
                // Other bytes of the same size under the same key, user metadata kept.
                S3StorageTest.corrupt(raw, s3.bucket(), s3.rootPrefix() + location);
              }
            });
  }
}
