package org.stowage.filesystem;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.ExternalStorage;
import org.stowage.compose.CachingStorage;
import org.stowage.testkit.Capabilities;
import org.stowage.testkit.ExternalStorageContract;

/**
 * The contract suite, the parallel linearizability check among it, against a {@link
 * CachingStorage} on FileStorage tiers: a FileStorage cached in another. The bound is small
 * enough that the suite's objects are evicted and some bypass the cache, so every path of the
 * cache runs on real files. {@code uri} is the backing store's, so the L4 and D1 checks on files
 * run too.
 */
class FileCachingStorageContractTest extends ExternalStorageContract {
  @TempDir Path dir;

  @Override
  protected ExternalStorage newStorage() {
    return CachingStorage.builder(
            new FileStorage(dir.resolve("backing")), new FileStorage(dir.resolve("cache")), 2L << 20)
        .maxObjectSize(256L << 10)
        .build();
  }

  @Override
  protected Capabilities capabilities() {
    return Capabilities.none()
        .withLocalFileUris(true)
        .withMaxObjectSize(1L << 20)
        .withObjectsReadWithListing(FileStorageContractTest.readsWithListing(dir)); // the backing store's
  }
}
