package org.stowage.filesystem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;

class FileStorageProviderTest {
  @TempDir Path dir;

  @Test
  @DisplayName("file:///root opens a FileStorage at that root")
  void opens() {
    Path root = dir.resolve("store");
    try (ExternalStorage s = ExternalStorage.open(root.toUri().toString())) {
      assertInstanceOf(FileStorage.class, s);
      s.storeBytes("a/b", new byte[] {1});
    }
    assertTrue(Files.isRegularFile(root.resolve("a/b")));
    try (ExternalStorage s = ExternalStorage.open("file://localhost" + root + "?durable=true")) {
      assertTrue(s.exists("a/b"));
    }
  }

  @Test
  @DisplayName("L4 file URIs that could climb out, and malformed ones, are refused with the URI named")
  void refuses() throws Exception {
    Path root = Files.createDirectory(dir.resolve("root")); // a parent of our own: "../x" would land in dir
    String base = root.toUri().toString();
    for (String bad : new String[] {base + "%2e%2e/x", base + "../x", base + "./x", base + "x/%2E%2E",
        "file:relative", "file://example.org/data", base + "#frag", base + "?durable=yes", base + "?other=1",
        base + "%00"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ExternalStorage.open(bad), bad);
      assertTrue(e.getMessage().contains("not a file storage URI"), e.getMessage());
    }
    assertFalse(Files.exists(dir.resolve("x")));
    assertFalse(Files.exists(root.resolve("x")));
  }

  @Test
  @DisplayName("an unknown scheme lists the schemes on the classpath")
  void unknownScheme() {
    ExternalResourceException e = assertThrows(ExternalResourceException.class, () -> ExternalStorage.open("ftp://x/y"));
    assertTrue(e.getMessage().contains("file"), e.getMessage());
    assertEquals(true, e.getMessage().contains("\"ftp\""));
  }
}
