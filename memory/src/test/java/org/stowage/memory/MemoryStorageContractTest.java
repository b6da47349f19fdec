package org.stowage.memory;

import org.stowage.ExternalStorage;
import org.stowage.testkit.Capabilities;
import org.stowage.testkit.ExternalStorageContract;

/** The whole contract suite against {@link MemoryStorage}. */
class MemoryStorageContractTest extends ExternalStorageContract {
  @Override
  protected ExternalStorage newStorage() {
    return new MemoryStorage();
  }

  @Override
  protected Capabilities capabilities() {
    return Capabilities.none()
        .withMaxObjectSize(16L << 20)
        .withObjectsReadWithListing(true)
        .withCorrupter((storage, location) -> ((MemoryStorage) storage).damage(location));
  }
}
