package org.stowage.s3;

import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.extension.ExtendWith;
import org.stowage.ExternalStorage;
import org.stowage.compose.MirroredStorage;
import org.stowage.testkit.Capabilities;
import org.stowage.testkit.ExternalStorageContract;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The contract suite, the parallel linearizability check among it, against a {@link
 * MirroredStorage} on S3 tiers: a bucket of its own per test mirrored synchronously to another,
 * on the shared test endpoint. Objects go up to just over one part, so uploads in parts and their
 * server-side copy run on both sides. The corrupter changes the primary's bytes behind its back,
 * which the mirror's reads must report (R2, R3, R4), not paper over from the secondary.
 */
@ExtendWith(S3TestEnvironment.class)
class S3MirroredStorageContractTest extends ExternalStorageContract {
  private static final long PART = S3Storage.MIN_PART_SIZE;

  private S3Endpoint primary;

  @Override
  protected ExternalStorage newStorage() {
    S3Endpoint shared = S3TestEnvironment.shared();
    primary = shared.withBucket("mirror-primary-" + UUID.randomUUID());
    S3Endpoint secondary = shared.withBucket("mirror-secondary-" + UUID.randomUUID());
    return MirroredStorage.builder(
            primary.storage("").partSize(PART).uploadConcurrency(2).build(),
            List.of(secondary.storage("").partSize(PART).uploadConcurrency(2).build()))
        .replication(MirroredStorage.Replication.SYNCHRONOUS)
        .build();
  }

  @Override
  protected Capabilities capabilities() {
    return Capabilities.none()
        .withMaxObjectSize(PART + (64 << 10))
        .withCorrupter(
            (storage, location) -> {
              try (S3Client raw = primary.client()) {
                S3StorageTest.corrupt(raw, primary.bucket(), location);
              }
            });
  }
}
