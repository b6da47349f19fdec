package org.stowage.filesystem;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.ExternalStorage;
import org.stowage.testkit.Capabilities;
import org.stowage.testkit.ExternalStorageContract;

/**
 * The backend contract suite against {@link FileStorage}. The corrupter flips one byte of the
 * object file in place and sets its last-modified time back, so that only re-hashing (verify,
 * verified loads) can catch it.
 */
class FileStorageContractTest extends ExternalStorageContract {
  @TempDir Path dir;

  @Override
  protected ExternalStorage newStorage() {
    return new FileStorage(dir.resolve("store"));
  }

  @Override
  protected Capabilities capabilities() {
    return Capabilities.none()
        .withCrossProcessSafety(true)
        .withLocalFileUris(true)
        .withMaxObjectSize(8L << 20)
        .withObjectsReadWithListing(readsWithListing(dir))
        .withCorrupter(
            (storage, location) -> {
              Path file = ((FileStorage) storage).root();
              for (String segment : location.split("/", -1)) {
                file = file.resolve(segment);
              }
              Disk.flipByteKeepingTime(file, Files.size(file) / 2);
            });
  }

  /**
   * Whether a store in {@code dir} reads its small objects with its listings: where the filesystem
   * keeps user attributes, which hold the records (on a filesystem without them it lists without
   * content, which I8 allows).
   */
  static boolean readsWithListing(Path dir) {
    try (FileStorage probe = new FileStorage(dir.resolve("probe-attributes"))) {
      return probe.recordsInAttributes();
    }
  }
}
