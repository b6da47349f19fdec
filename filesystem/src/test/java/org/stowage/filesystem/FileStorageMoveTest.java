package org.stowage.filesystem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExistingExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.WritePolicy;

/** {@code move} on a filesystem: a rename that carries the record (rule M2, with R3 and L4). */
class FileStorageMoveTest {
  @TempDir Path dir;
  Path root;
  FileStorage storage;

  @BeforeEach
  void open() {
    root = dir.resolve("store");
    storage = new FileStorage(root);
  }

  @AfterEach
  void close() {
    storage.close();
  }

  private Object fileKey(String location) throws IOException {
    return Files.readAttributes(root.resolve(location), BasicFileAttributes.class).fileKey();
  }

  @ParameterizedTest(name = "M2 {0} move renames the file and carries its record")
  @ValueSource(strings = {"OVERWRITE", "CREATE", "SKIP_IF_EXISTS", "FAIL_IF_DIFFERENT"})
  @DisplayName("M2 move renames the file: same file at the target, record carried, nothing re-read")
  void rename(String policy) throws IOException {
    Metadata stored = storage.storeBytes("a/src", Disk.content(1, 100_000));
    Object key = fileKey("a/src");
    // Doctor the source's record: if the move re-hashed the file, the target would get the true
    // MD5; a rename carries the record as it is.
    String fake = "0123456789abcdef0123456789abcdef";
    Disk.fakeRecordMd5(root, "a/src", fake);
    Metadata carried = new Metadata(fake, stored.size());

    assertEquals(carried, storage.move("a/src", "b/c/dst", WritePolicy.valueOf(policy)));
    assertEquals(key, fileKey("b/c/dst"), "the target is the very file the source was");
    assertFalse(Files.exists(root.resolve("a")), "the source's directory, left empty, is gone");
    assertFalse(Files.exists(Disk.recordOf(root, "a/src")), "no record file of the source");
    assertTrue(Disk.recordText(root, "b/c/dst").contains(fake));
    assertEquals(carried, storage.getMetadata("b/c/dst"), "the record moved with the file");
    assertEquals(List.of(), Disk.tempFiles(root));
  }

  @Test
  @DisplayName("M2 OVERWRITE move replaces the target and its record")
  void overwrite() throws IOException {
    Metadata moved = storage.storeBytes("src", Disk.content(2, 5000));
    storage.storeBytes("dst", Disk.content(3, 7000));
    assertEquals(moved, storage.move("src", "dst"));
    assertEquals(moved, storage.getMetadata("dst"));
    assertEquals(moved, storage.verify("dst"));
    assertEquals(List.of("dst"), Disk.visibleEntries(root));
  }

  @ParameterizedTest(name = "M2 CREATE refused, hard links {0}")
  @ValueSource(booleans = {true, false})
  @DisplayName("M2 a refused CREATE move changes neither location nor record")
  void refused(boolean links) throws IOException {
    storage.close();
    storage = FileStorage.builder(root).hardLinks(links).build();
    Metadata mine = storage.storeBytes("src", Disk.content(2, 5000));
    Metadata theirs = storage.storeBytes("d/dst", Disk.content(3, 7000));
    String recordBefore = Disk.recordText(root, "d/dst");
    assertThrows(ExistingExternalResourceException.class,
        () -> storage.move("src", "d/dst", WritePolicy.CREATE));
    assertEquals(theirs, storage.move("src", "d/dst", WritePolicy.SKIP_IF_EXISTS));
    assertThrows(ExistingExternalResourceException.class,
        () -> storage.move("src", "d/dst", WritePolicy.FAIL_IF_DIFFERENT));
    assertEquals(mine, storage.verify("src"));
    assertEquals(theirs, storage.verify("d/dst"));
    assertEquals(recordBefore, Disk.recordText(root, "d/dst"));
    assertEquals(mine, storage.move("src", "e/new", WritePolicy.CREATE));
    assertEquals(mine, storage.verify("e/new"));
    assertFalse(storage.exists("src"));
    assertEquals(List.of(), Disk.tempFiles(root));
  }

  @Test
  @DisplayName("M2 R3 a file changed in place behind the store's back is not moved")
  void changedInPlace() throws IOException {
    storage.storeBytes("src", Disk.content(4, 5000));
    Files.write(root.resolve("src"), new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
    assertThrows(ChangedExternalResourceException.class, () -> storage.move("src", "dst"));
    assertTrue(Files.exists(root.resolve("src")), "the changed file stays where it is");
    assertFalse(storage.exists("dst"));
  }

  @Test
  @DisplayName("M2 R3 a file placed by another tool is hashed before it moves, so its record is right")
  void unrecorded() throws IOException {
    byte[] data = Disk.content(5, 70_000);
    Files.write(root.resolve("tool-output"), data);
    Metadata expected = Metadata.of(data);
    assertEquals(expected, storage.move("tool-output", "kept/output"));
    assertEquals(expected, storage.getMetadata("kept/output"));
    assertTrue(Disk.recordText(root, "kept/output").contains(expected.md5()));
    assertArrayEquals(data, storage.loadBytes("kept/output", expected));
  }

  @Test
  @DisplayName("M2 L4 a location that is a symbolic link moves by copy: the link goes, its target stays")
  void symbolicLinkSource() throws IOException {
    Metadata stored = storage.storeBytes("real", Disk.content(6, 3000));
    Files.createSymbolicLink(root.resolve("alias"), root.resolve("real"));
    assertEquals(stored, storage.move("alias", "copied"));
    assertFalse(Files.exists(root.resolve("alias"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.isRegularFile(root.resolve("copied"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    assertEquals(stored, storage.verify("copied"));
    assertEquals(stored, storage.verify("real"), "the link's target is untouched");
  }

  @Test
  @DisplayName("M2 moving onto a second name of the same file removes the source name")
  void sameFileUnderTwoNames() throws IOException {
    // What a CREATE move killed between its link and its unlink leaves: one file, two names.
    // rename(2) does nothing for two names of one file; the move must still end the source.
    Metadata stored = storage.storeBytes("src", Disk.content(7, 3000));
    Files.createLink(root.resolve("dst"), root.resolve("src"));
    assertEquals(stored, storage.move("src", "dst"));
    assertFalse(Files.exists(root.resolve("src")));
    assertEquals(stored, storage.verify("dst"));
    assertEquals(stored, storage.getMetadata("dst"));
  }

  @Test
  @DisplayName("M2 L1.2 a move into an object's \"directory\" fails and changes nothing")
  void blockedTarget() throws IOException {
    Metadata stored = storage.storeBytes("src", Disk.content(8, 3000));
    storage.storeBytes("file", new byte[] {1});
    ExternalResourceException e =
        assertThrows(ExternalResourceException.class, () -> storage.move("src", "file/inside"));
    assertTrue(e.getMessage().contains("L1.2"), e.getMessage());
    assertEquals(stored, storage.verify("src"));
    assertEquals(List.of("file", "src"), Disk.visibleEntries(root));
  }

  @Test
  @DisplayName("M2 a durable storage moves too, and leaves no temporary file")
  void durable() throws IOException {
    storage.close();
    storage = FileStorage.builder(root).durable(true).build();
    Metadata stored = storage.storeBytes("x/src", Disk.content(9, 3000));
    assertEquals(stored, storage.move("x/src", "y/z/dst"));
    assertEquals(stored, storage.verify("y/z/dst"));
    assertEquals(List.of("y"), Disk.visibleEntries(root));
    assertEquals(List.of(), Disk.tempFiles(root));
  }

  @Test
  @DisplayName("M2 T1 of many threads moving one object, exactly one succeeds")
  void exactlyOneMoverWins() throws Exception {
    int movers = 6;
    ExecutorService pool = Executors.newFixedThreadPool(movers);
    try {
      for (int round = 0; round < 30; round++) {
        String from = "race/" + round;
        Metadata stored = storage.storeBytes(from, Disk.content(round, 2000));
        CyclicBarrier start = new CyclicBarrier(movers);
        List<Future<Boolean>> results = new ArrayList<>();
        for (int t = 0; t < movers; t++) {
          String to = "won/" + round + "/" + t;
          results.add(pool.submit(() -> {
            start.await(60, TimeUnit.SECONDS);
            try {
              return stored.equals(storage.move(from, to, WritePolicy.CREATE));
            } catch (MissingExternalResourceException lost) {
              return false;
            }
          }));
        }
        int won = 0;
        for (Future<Boolean> result : results) {
          won += result.get(60, TimeUnit.SECONDS) ? 1 : 0;
        }
        assertEquals(1, won, "round " + round + ": exactly one move wins");
        assertFalse(storage.exists(from));
        try (var listed = storage.iterContents("won/" + round + "/")) {
          List<String> at = listed.toList();
          assertEquals(1, at.size(), "round " + round + ": one copy, at the winner's target");
          assertEquals(stored, storage.verify(at.get(0)));
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("M2 a move whose link fails (no hard links here) turns hard links off and renames, as a store does: the same file, not a copy")
  void failedLinkInMoveTurnsHardLinksOff() throws IOException {
    List<Path> linked = new ArrayList<>();
    try (FileStorage noLinks =
        FileStorage.builder(root).linker(failingLinker(linked, "Operation not permitted")).build()) {
      Metadata stored = noLinks.storeBytes("a/src", Disk.content(7, 50_000));
      Object key = fileKey("a/src");
      assertEquals(stored, noLinks.move("a/src", "b/dst", WritePolicy.CREATE));
      assertEquals(key, fileKey("b/dst"), "renamed, not copied");
      assertFalse(Files.exists(root.resolve("a/src")));
      assertEquals(1, linked.size(), "one link was tried: " + linked);

      // Off from now on, for stores too: create-if-absent renames under the lock.
      assertEquals(stored, noLinks.move("b/dst", "c/dst", WritePolicy.CREATE));
      noLinks.storeBytes("d/new", Disk.content(8, 10), WritePolicy.CREATE);
      assertEquals(1, linked.size(), "no link was tried again: " + linked);
      assertThrows(ExistingExternalResourceException.class,
          () -> noLinks.storeBytes("d/new", Disk.content(9, 10), WritePolicy.CREATE));
      assertEquals(stored, noLinks.verify("c/dst"));
      assertEquals(List.of(), Disk.tempFiles(root));
    }
  }

  @Test
  @DisplayName("M2 a store whose link fails turns hard links off, and the next move renames without trying a link")
  void failedLinkInStoreTurnsHardLinksOffForMoves() throws IOException {
    List<Path> linked = new ArrayList<>();
    try (FileStorage noLinks =
        FileStorage.builder(root).linker(failingLinker(linked, "Operation not supported")).build()) {
      Metadata stored = noLinks.storeBytes("a/src", Disk.content(10, 5_000), WritePolicy.CREATE);
      assertEquals(1, linked.size());
      Object key = fileKey("a/src");
      assertEquals(stored, noLinks.move("a/src", "b/dst", WritePolicy.CREATE));
      assertEquals(key, fileKey("b/dst"), "renamed, not copied");
      assertEquals(1, linked.size(), "no link was tried by the move");
      assertEquals(stored, noLinks.getMetadata("b/dst"));
    }
  }

  /** A linker that fails as a filesystem without hard links does, and notes each link tried. */
  private static FileStorage.HardLinker failingLinker(List<Path> tried, String reason) {
    return (link, existing) -> {
      tried.add(link);
      throw new java.nio.file.FileSystemException(existing.toString(), link.toString(), reason);
    };
  }
}
