package org.stowage.filesystem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.ExternalResourceException;

/** Opening a storage on its root directory. */
class FileStorageRootTest {
  @TempDir Path dir;

  @Test
  @DisplayName("T2 a missing root is created, parents included")
  void createsRoot() {
    Path root = dir.resolve("a/b/c");
    try (FileStorage storage = new FileStorage(root)) {
      assertTrue(Files.isDirectory(root));
      storage.storeBytes("x", Disk.utf8("x"));
      assertTrue(Files.isRegularFile(root.resolve("x")));
    }
  }

  @Test
  @DisplayName("T2 a root that is a regular file fails clearly, naming the root")
  void rootIsAFile() throws IOException {
    Path file = Files.write(dir.resolve("plain.txt"), Disk.utf8("not a directory"));
    ExternalResourceException e =
        assertThrows(ExternalResourceException.class, () -> new FileStorage(file));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("not a directory"), e.getMessage());
    ExternalResourceException below =
        assertThrows(
            ExternalResourceException.class, () -> new FileStorage(file.resolve("sub")));
    assertTrue(below.getMessage().contains(file.resolve("sub").toString()), below.getMessage());
    assertEquals("not a directory", Files.readString(file));
  }

  @Test
  @DisplayName("T2 a relative root is made absolute; a root through a link works")
  void relativeAndLinkedRoot() throws IOException {
    Path real = Files.createDirectories(dir.resolve("real"));
    Path link = Files.createSymbolicLink(dir.resolve("link"), real);
    try (FileStorage storage = new FileStorage(link)) {
      storage.storeBytes("p/q", Disk.utf8("q"));
      assertTrue(Files.isRegularFile(real.resolve("p/q")));
      assertEquals(link.toAbsolutePath(), storage.root());
      assertEquals(link.resolve("p/q").toUri(), storage.uri("p/q"));
    }
    Path relative = Path.of("").toAbsolutePath().relativize(dir.resolve("rel"));
    try (FileStorage storage = new FileStorage(relative)) {
      assertTrue(storage.root().isAbsolute());
      assertEquals(dir.resolve("rel"), storage.root());
    }
  }
}
