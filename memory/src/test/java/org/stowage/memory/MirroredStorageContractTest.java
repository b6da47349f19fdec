package org.stowage.memory;

import java.util.List;
import org.stowage.ExternalStorage;
import org.stowage.compose.MirroredStorage;
import org.stowage.testkit.Capabilities;
import org.stowage.testkit.ExternalStorageContract;

/**
 * The contract suite against a {@link MirroredStorage}: a {@link MemoryStorage} mirrored
 * synchronously to two others.
 */
class MirroredStorageContractTest extends ExternalStorageContract {
  @Override
  protected ExternalStorage newStorage() {
    return MirroredStorage.builder(new MemoryStorage(), List.of(new MemoryStorage(), new MemoryStorage()))
        .replication(MirroredStorage.Replication.SYNCHRONOUS)
        .build();
  }

  @Override
  protected Capabilities capabilities() {
    return Capabilities.none().withObjectsReadWithListing(true); // the primary MemoryStorage's
  }
}
