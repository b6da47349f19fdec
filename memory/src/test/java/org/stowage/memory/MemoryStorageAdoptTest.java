package org.stowage.memory;

import org.junit.jupiter.api.AfterEach;
import org.stowage.ExternalStorage;
import org.stowage.testkit.AdoptPathChecks;

/** Rule M3 against {@link MemoryStorage}: the copying default of {@code adoptFile}. */
class MemoryStorageAdoptTest extends AdoptPathChecks {
  private final MemoryStorage storage = new MemoryStorage();

  @Override
  protected ExternalStorage storage() {
    return storage;
  }

  @AfterEach
  void close() {
    storage.close();
  }
}
