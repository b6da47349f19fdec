package org.stowage.testkit.reference;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.ExternalStorage;
import org.stowage.testkit.Capabilities;
import org.stowage.testkit.ExternalStorageContract;

/**
 * The whole contract suite against the filesystem reference backend: local files, a root shared
 * by two instances, no corrupter (the backend keeps no metadata record to catch one with).
 */
class ReferenceFileStorageContractTest extends ExternalStorageContract {
  @TempDir Path dir;

  @Override
  protected ExternalStorage newStorage() throws Exception {
    return new ReferenceFileStorage(dir.resolve("store"));
  }

  @Override
  protected Capabilities capabilities() {
    return Capabilities.none()
        .withCrossProcessSafety(true)
        .withLocalFileUris(true)
        .withMaxObjectSize(2L << 20);
  }
}
