package org.stowage.testkit.reference;

import org.stowage.ExternalStorage;
import org.stowage.testkit.Capabilities;
import org.stowage.testkit.ExternalStorageContract;

/**
 * The whole contract suite against the in-memory reference backend, with every capability but
 * local files: a second instance shares the first's objects, objects can be corrupted, and small
 * objects are read with a listing. Lives
 * in another package than the kit, as a backend's test would.
 */
class ReferenceStorageContractTest extends ExternalStorageContract {
  private final ReferenceStorage.Root root = new ReferenceStorage.Root();

  @Override
  protected ExternalStorage newStorage() {
    return new ReferenceStorage(root, "memory");
  }

  @Override
  protected Capabilities capabilities() {
    return Capabilities.none()
        .withCrossProcessSafety(true)
        .withMaxObjectSize(4L << 20)
        .withObjectsReadWithListing(true)
        .withCorrupter((storage, location) -> ((ReferenceStorage) storage).corrupt(location));
  }
}
