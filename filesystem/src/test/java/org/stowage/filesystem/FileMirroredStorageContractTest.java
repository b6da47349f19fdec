package org.stowage.filesystem;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.ExternalStorage;
import org.stowage.compose.MirroredStorage;
import org.stowage.testkit.Capabilities;
import org.stowage.testkit.ExternalStorageContract;

/**
 * The contract suite, the parallel linearizability check among it, against a {@link
 * MirroredStorage} on FileStorage tiers: a FileStorage mirrored synchronously to another.
 * {@code uri} is the primary's, so the L4 and D1 checks on files run; the corrupter flips a byte
 * of the primary's file, which the mirror's reads must report (R2, R4), not paper over from a
 * secondary.
 */
class FileMirroredStorageContractTest extends ExternalStorageContract {
  @TempDir Path dir;

  @Override
  protected ExternalStorage newStorage() {
    return MirroredStorage.builder(
            new FileStorage(dir.resolve("primary")),
            List.of(new FileStorage(dir.resolve("secondary"))))
        .replication(MirroredStorage.Replication.SYNCHRONOUS)
        .build();
  }

  @Override
  protected Capabilities capabilities() {
    return Capabilities.none()
        .withLocalFileUris(true)
        .withMaxObjectSize(1L << 20)
        .withObjectsReadWithListing(FileStorageContractTest.readsWithListing(dir)) // the primary's
        .withCorrupter(
            (storage, location) -> {
              Path file = Path.of(storage.uri(location));
              Disk.flipByteKeepingTime(file, Files.size(file) / 2);
            });
  }
}
