package org.stowage.memory;

import org.stowage.ExternalStorage;
import org.stowage.compose.CachingStorage;
import org.stowage.testkit.Capabilities;
import org.stowage.testkit.ExternalStorageContract;

/**
 * The contract suite against a {@link CachingStorage}: a {@link MemoryStorage} cached in another.
 * The bound is small enough that the suite's objects are evicted, and some bypass the cache, so
 * every path of the cache is exercised.
 */
class CachingStorageContractTest extends ExternalStorageContract {
  @Override
  protected ExternalStorage newStorage() {
    return CachingStorage.builder(new MemoryStorage(), new MemoryStorage(), 2L << 20)
        .maxObjectSize(256L << 10)
        .build();
  }

  @Override
  protected Capabilities capabilities() {
    return Capabilities.none().withObjectsReadWithListing(true); // the backing MemoryStorage's
  }
}
