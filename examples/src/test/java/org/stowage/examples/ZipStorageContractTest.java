package org.stowage.examples;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.ExternalStorage;
import org.stowage.testkit.Capabilities;
import org.stowage.testkit.ExternalStorageContract;

/**
 * The tutorial's last step: the whole contract suite against {@link ZipStorage}. This is all a
 * backend author writes to run it.
 */
class ZipStorageContractTest extends ExternalStorageContract {
  @TempDir Path dir;

  @Override
  protected ExternalStorage newStorage() throws IOException {
    return new ZipStorage(dir.resolve("store.zip"));
  }

  @Override
  protected Capabilities capabilities() {
    return Capabilities.none()
        .withMaxObjectSize(1L << 20) // every write copies the archive: keep the suite's objects small
        .withLargeListingSize(300) // and the large listing (I5) short
        .withCorrupter((storage, location) -> flipAByte(dir.resolve("store.zip"), location));
  }

  /** Rewrites the archive with one byte of {@code location}'s entry flipped, its metadata kept. */
  private static void flipAByte(Path archive, String location) throws IOException {
    Path damaged = Files.createTempFile(archive.getParent(), "damaged", ".zip");
    try (ZipFile zip = new ZipFile(archive.toFile());
        ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(damaged))) {
      for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
        ZipEntry entry = e.nextElement();
        byte[] data;
        try (InputStream in = zip.getInputStream(entry)) {
          data = in.readAllBytes();
        }
        if (entry.getName().equals(location)) {
          data[data.length / 2] ^= 1;
        }
        out.putNextEntry(new ZipEntry(entry.getName()));
        out.write(data);
        out.closeEntry();
      }
    }
    Files.move(damaged, archive, StandardCopyOption.REPLACE_EXISTING);
  }
}
