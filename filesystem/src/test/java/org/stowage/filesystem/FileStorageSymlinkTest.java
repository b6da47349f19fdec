package org.stowage.filesystem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.ExternalResourceException;
import org.stowage.InvalidLocationException;
import org.stowage.WritePolicy;

/** Symbolic links never lead a store outside its root (rule L4). */
class FileStorageSymlinkTest {
  @TempDir Path dir;
  Path root;
  Path outside;
  FileStorage storage;

  @BeforeEach
  void open() throws IOException {
    root = dir.resolve("store");
    outside = Files.createDirectories(dir.resolve("outside"));
    Files.write(outside.resolve("secret.txt"), Disk.utf8("secret"));
    storage = new FileStorage(root);
    Files.createSymbolicLink(root.resolve("out-dir"), outside);
    Files.createSymbolicLink(root.resolve("out-file"), outside.resolve("secret.txt"));
    Files.createSymbolicLink(root.resolve("dangling"), dir.resolve("nowhere"));
    Files.createSymbolicLink(root.resolve("to-meta"), root.resolve(".stowage"));
    Files.createDirectories(root.resolve(".stowage"));
  }

  @AfterEach
  void close() {
    storage.close();
  }

  private void assertRefused(Executable operation) {
    ExternalResourceException e = assertThrows(ExternalResourceException.class, operation);
    assertFalse(e instanceof InvalidLocationException, "the location itself is valid");
    assertTrue(e.getMessage().contains("(rule L4)"), e.getMessage());
    assertTrue(e.getMessage().startsWith(storage.toString()), e.getMessage());
  }

  @Test
  @DisplayName("L4 a linked directory leading out of the root is refused for every operation")
  void linkedDirectory() throws IOException {
    assertRefused(() -> storage.storeBytes("out-dir/new.txt", Disk.utf8("x")));
    assertRefused(() -> storage.storeBytes("out-dir/secret.txt", Disk.utf8("x")));
    assertRefused(() -> storage.storeBytes("out-dir/deep/new.txt", Disk.utf8("x")));
    assertRefused(
        () -> storage.storeBytes("out-dir/c.txt", Disk.utf8("x"), WritePolicy.CREATE));
    assertRefused(() -> storage.loadBytes("out-dir/secret.txt"));
    assertRefused(() -> storage.loadStream("out-dir/secret.txt"));
    assertRefused(() -> storage.exists("out-dir/secret.txt"));
    assertRefused(() -> storage.getMetadata("out-dir/secret.txt"));
    assertRefused(() -> storage.verify("out-dir/secret.txt"));
    assertRefused(() -> storage.delete("out-dir/secret.txt"));
    assertRefused(() -> storage.deleteIfExists("out-dir/secret.txt"));
    assertEquals(List.of("secret.txt"), Disk.visibleEntries(outside));
    assertArrayEquals(Disk.utf8("secret"), Files.readAllBytes(outside.resolve("secret.txt")));
  }

  @Test
  @DisplayName("L4 a linked file leading out of the root is refused for every operation")
  void linkedFile() throws IOException {
    assertRefused(() -> storage.storeBytes("out-file", Disk.utf8("overwritten")));
    assertRefused(() -> storage.storeBytes("out-file", Disk.utf8("x"), WritePolicy.CREATE));
    assertRefused(() -> storage.loadBytes("out-file"));
    assertRefused(() -> storage.exists("out-file"));
    assertRefused(() -> storage.getMetadata("out-file"));
    assertRefused(() -> storage.verify("out-file"));
    assertRefused(() -> storage.delete("out-file"));
    assertArrayEquals(Disk.utf8("secret"), Files.readAllBytes(outside.resolve("secret.txt")));
    assertTrue(Files.isSymbolicLink(root.resolve("out-file")));
  }

  @Test
  @DisplayName("L4 dangling links and links into the reserved .stowage entries are refused")
  void danglingAndReserved() {
    assertRefused(() -> storage.storeBytes("dangling/x", Disk.utf8("x")));
    assertRefused(() -> storage.exists("dangling"));
    assertRefused(() -> storage.storeBytes("to-meta/x", Disk.utf8("x")));
    assertRefused(() -> storage.loadBytes("to-meta/meta"));
    assertFalse(Files.exists(dir.resolve("nowhere")));
  }

  @Test
  @DisplayName("L4 listings skip links that lead out of the root, nowhere, or into .stowage")
  void listingSkips() {
    storage.storeBytes("inside/ok.txt", Disk.utf8("ok"));
    for (String prefix : List.of("", "out", "out-dir/", "out-dir/s", "dangling/", "to-meta/")) {
      try (Stream<String> listed = storage.iterContents(prefix)) {
        List<String> all = listed.collect(Collectors.toList());
        assertEquals(prefix.isEmpty() ? List.of("inside/ok.txt") : List.of(), all, prefix);
      }
    }
  }

  @Test
  @DisplayName("L4 links that stay inside the root are followed; storing at a link replaces the link")
  void linksInside() throws IOException {
    storage.storeBytes("real/dir/a.txt", Disk.utf8("a"));
    Files.createSymbolicLink(root.resolve("alias"), root.resolve("real/dir"));
    Files.createSymbolicLink(root.resolve("file-alias"), root.resolve("real/dir/a.txt"));
    Files.createSymbolicLink(root.resolve("real/dir/loop"), root.resolve("real"));
    assertTrue(storage.exists("alias/a.txt"));
    assertArrayEquals(Disk.utf8("a"), storage.loadBytes("file-alias"));
    assertEquals(storage.getMetadata("real/dir/a.txt"), storage.getMetadata("file-alias"));
    try (Stream<String> listed = storage.iterContents("")) {
      // The loop back to "real" is skipped; the aliases are listed under their own names.
      assertEquals(
          List.of("alias/a.txt", "file-alias", "real/dir/a.txt"),
          listed.collect(Collectors.toList()));
    }
    storage.storeBytes("alias/b.txt", Disk.utf8("b"));
    assertTrue(Files.isRegularFile(root.resolve("real/dir/b.txt")));
    storage.storeBytes("file-alias", Disk.utf8("replaced"));
    assertFalse(Files.isSymbolicLink(root.resolve("file-alias")));
    assertArrayEquals(Disk.utf8("a"), storage.loadBytes("real/dir/a.txt"));
    storage.delete("alias/b.txt");
    storage.delete("alias/a.txt");
    // Pruning stops at the link's target: the link and its target directory stay.
    assertTrue(Files.isSymbolicLink(root.resolve("alias")));
    assertTrue(Files.isDirectory(root.resolve("real/dir")));
  }
}
