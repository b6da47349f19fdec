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
 * on the shared test endpoint. Objects stay within 1 MiB, one request each (S3StorageContractTest
 * covers uploads in parts). The corrupter changes the primary's bytes behind its back,
 * which the mirror's reads must report (R2, R3, R4), not paper over from the secondary.
 */
@ExtendWith({S3TestEnvironment.class, ExpectedRefusals.class})
class S3MirroredStorageContractTest extends ExternalStorageContract
    implements ExpectedRefusals.Listed {
  @Override
  public ExpectedRefusals expectedRefusals() {
    return S3TestEnvironment.shared().kind().equals("s3proxy")
        ? ExpectedRefusals.s3proxy()
        : ExpectedRefusals.none(S3TestEnvironment.shared().kind());
  }

  private static final long PART = S3Storage.MIN_PART_SIZE;

  private S3Endpoint primary;
  private S3Storage primaryStorage;

  @Override
  protected ExternalStorage newStorage() {
    S3Endpoint shared = S3TestEnvironment.shared();
    // A bucket per store on the test servers; prefixes of the shared bucket on an external one.
    boolean external = shared.kind().equals("external");
    primary = external ? shared : shared.withBucket("mirror-primary-" + UUID.randomUUID());
    S3Endpoint secondary = external ? shared : shared.withBucket("mirror-secondary-" + UUID.randomUUID());
    primaryStorage =
        primary.storage(external ? S3Endpoint.freshPrefix() : "").partSize(PART).uploadConcurrency(2).build();
    return MirroredStorage.builder(
            primaryStorage,
            List.of(secondary.storage(external ? S3Endpoint.freshPrefix() : "").partSize(PART).uploadConcurrency(2).build()))
        .replication(MirroredStorage.Replication.SYNCHRONOUS)
        .build();
  }

  @Override
  protected Capabilities capabilities() {
    return Capabilities.none()
        .withMaxObjectSize(1L << 20)
        .withCorrupter(
            (storage, location) -> {
              try (S3Client raw = primary.client()) {
                S3StorageTest.corrupt(raw, primary.bucket(), primaryStorage.rootPrefix() + location);
              }
            });
  }
}
