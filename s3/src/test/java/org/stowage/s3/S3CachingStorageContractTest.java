package org.stowage.s3;

import java.util.UUID;
import org.junit.jupiter.api.extension.ExtendWith;
import org.stowage.ExternalStorage;
import org.stowage.compose.CachingStorage;
import org.stowage.testkit.Capabilities;
import org.stowage.testkit.ExternalStorageContract;

/**
 * The contract suite, the parallel linearizability check among it, against a {@link
 * CachingStorage} on S3 tiers: a bucket of its own per test cached in another bucket, both on the
 * shared test endpoint. The bound is small enough that the suite's objects are evicted and some
 * bypass the cache. Objects stay within 1 MiB, one request each: S3StorageContractTest covers
 * uploads in parts.
 */
@ExtendWith({S3TestEnvironment.class, ExpectedRefusals.class})
class S3CachingStorageContractTest extends ExternalStorageContract
    implements ExpectedRefusals.Listed {
  @Override
  public ExpectedRefusals expectedRefusals() {
    return S3TestEnvironment.shared().kind().equals("s3proxy")
        ? ExpectedRefusals.s3proxy()
        : ExpectedRefusals.none(S3TestEnvironment.shared().kind());
  }

  private static final long PART = S3Storage.MIN_PART_SIZE;

  @Override
  protected ExternalStorage newStorage() {
    S3Endpoint shared = S3TestEnvironment.shared();
    // A bucket per store on the test servers; prefixes of the shared bucket on an external one.
    boolean external = shared.kind().equals("external");
    S3Endpoint backing = external ? shared : shared.withBucket("cache-backing-" + UUID.randomUUID());
    S3Endpoint tier = external ? shared : shared.withBucket("cache-tier-" + UUID.randomUUID());
    return CachingStorage.builder(
            backing.storage(external ? S3Endpoint.freshPrefix() : "").partSize(PART).uploadConcurrency(2).build(),
            tier.storage(external ? S3Endpoint.freshPrefix() : "").partSize(PART).uploadConcurrency(2).build(),
            2L << 20)
        .maxObjectSize(256L << 10)
        .build();
  }

  @Override
  protected Capabilities capabilities() {
    return Capabilities.none().withMaxObjectSize(1L << 20);
  }
}
