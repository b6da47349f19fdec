package org.stowage.filesystem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.ChangedExternalResourceException;
import org.stowage.Metadata;

/**
 * Metadata records in the objects' user extended attribute ({@code user.stowage.record}), where
 * the filesystem keeps them (rule R3): what is written, what is trusted, and how the record-file
 * layout of earlier versions and of filesystems without attributes is read. Skipped where the
 * test's temporary directory keeps no user attributes.
 */
class FileStorageRecordAttributeTest {
  @TempDir Path dir;
  Path root;
  FileStorage storage;

  @BeforeEach
  void open() {
    root = dir.resolve("store");
    Assumptions.assumeTrue(
        MetadataRecords.attributesWork(dir.resolve("probe"), "test"),
        "the temporary directory keeps no user extended attributes");
    storage = new FileStorage(root);
  }

  @AfterEach
  void close() {
    if (storage != null) {
      storage.close();
    }
  }

  @Test
  @DisplayName("R3 a store records the object in its own attribute (format 2), with no record file")
  void storeSetsAttribute() throws IOException {
    Metadata stored = storage.storeBytes("a/b.bin", Disk.content(1, 10_000));
    Path file = root.resolve("a/b.bin");
    MetadataRecords.Entry entry = Disk.recordAttribute(file);
    assertNotNull(entry, "the object carries its record");
    assertEquals(stored, entry.metadata());
    assertEquals(FileVersion.of(Files.readAttributes(file, BasicFileAttributes.class)),
        entry.version(), "identity, size and time of the object file");
    assertEquals(54, Disk.recordAttributeBytes(file).length,
        "small enough for an ext4 inode (56 bytes under this name)");
    assertFalse(Files.exists(root.resolve(".stowage/meta")), "no record file or directory");
    assertEquals(stored, storage.getMetadata("a/b.bin"));
    assertEquals(stored, storage.verify("a/b.bin"));
    Metadata again = storage.storeBytes("a/b.bin", Disk.content(2, 3000));
    assertEquals(again, Disk.recordAttribute(root.resolve("a/b.bin")).metadata());
    assertEquals(again, storage.getMetadata("a/b.bin"));
    storage.delete("a/b.bin");
    assertFalse(Files.exists(root.resolve(".stowage/meta")));
    assertEquals(List.of(), Disk.tempFiles(root));
  }

  @Test
  @DisplayName("R3 getMetadata answers from the attribute without reading the object")
  void answersFromAttribute() throws IOException {
    Metadata stored = storage.storeBytes("r.bin", Disk.content(3, 5000));
    String fake = "0123456789abcdef0123456789abcdef";
    Path file = root.resolve("r.bin");
    Disk.fakeRecordMd5(root, "r.bin", fake);
    assertEquals(new Metadata(fake, 5000), storage.getMetadata("r.bin"));
    // A verified load checks the bytes against what the caller expects, never against records.
    assertArrayEquals(Disk.content(3, 5000), storage.loadBytes("r.bin", stored));
  }

  @Test
  @DisplayName("R3 an object changed in place keeps its attribute and is reported as changed; storing again ends it")
  void changedInPlace() throws IOException {
    storage.storeBytes("e/doc.txt", Disk.utf8("hello"));
    Files.write(root.resolve("e/doc.txt"), Disk.utf8("!"), StandardOpenOption.APPEND);
    ChangedExternalResourceException e =
        assertThrows(ChangedExternalResourceException.class, () -> storage.getMetadata("e/doc.txt"));
    assertTrue(e.getMessage().contains("R3"), e.getMessage());
    assertThrows(ChangedExternalResourceException.class, () -> storage.verify("e/doc.txt"));
    Metadata again = storage.storeBytes("e/doc.txt", Disk.utf8("fixed"));
    assertEquals(again, storage.getMetadata("e/doc.txt"));
  }

  @Test
  @DisplayName("R2 R4 a flipped byte with the time set back is caught by verify and verified loads")
  void flippedByte() throws IOException {
    byte[] data = Disk.content(4, 20_000);
    Metadata stored = storage.storeBytes("f.bin", data);
    Disk.assertFlipCaught(storage, "f.bin", stored, 12_345);
  }

  @Test
  @DisplayName("R3 a file that carries another file's record (copied with cp -a or rsync -aX) is hashed again, never trusted")
  void copiedAttribute() throws IOException {
    storage.storeBytes("orig.bin", Disk.content(5, 4000));
    byte[] other = Disk.content(6, 4000);
    Files.write(root.resolve("copy.bin"), other);
    // The copy keeps the original's record: same size, and its time set to the original's.
    Disk.setRecordAttribute(root.resolve("copy.bin"), Disk.recordAttribute(root.resolve("orig.bin")));
    Files.setLastModifiedTime(root.resolve("copy.bin"),
        Files.getLastModifiedTime(root.resolve("orig.bin")));
    Metadata truth = Metadata.of(other);
    assertEquals(truth, storage.getMetadata("copy.bin"));
    assertEquals(truth, Disk.recordAttribute(root.resolve("copy.bin")).metadata(),
        "recorded for the copy itself");
    assertEquals(truth, storage.verify("copy.bin"));
  }

  @Test
  @DisplayName("R3 a damaged attribute is ignored and replaced from the file")
  void damagedAttribute() throws IOException {
    Metadata stored = storage.storeBytes("d.bin", Disk.content(7, 3000));
    Disk.setRecordAttribute(root.resolve("d.bin"), Disk.utf8("garbage\n"));
    assertEquals(stored, storage.getMetadata("d.bin"));
    assertEquals(stored, Disk.recordAttribute(root.resolve("d.bin")).metadata());
  }

  @Test
  @DisplayName("R2 R3 a store copied by a tool that drops attributes (cp, rsync without -X): every object loads, verified loads check the bytes, metadata is computed once and recorded again")
  void copiedWithoutAttributes() throws IOException {
    Metadata a = storage.storeBytes("x/a.bin", Disk.content(8, 6000));
    Metadata b = storage.storeBytes("x/y/b.bin", Disk.content(9, 7000));
    storage.close();
    storage = null;
    Path copy = dir.resolve("copy");
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path from : (Iterable<Path>) walk::iterator) {
        Path to = copy.resolve(root.relativize(from).toString());
        if (Files.isDirectory(from)) {
          Files.createDirectories(to);
        } else {
          Files.copy(from, to); // content only: no attributes, a new file
        }
      }
    }
    assertNull(Disk.recordAttribute(copy.resolve("x/a.bin")), "the copy has no record");
    Disk.flipByteKeepingTime(copy.resolve("x/y/b.bin"), 100); // and one copy went wrong
    try (FileStorage copied = new FileStorage(copy)) {
      assertArrayEquals(Disk.content(8, 6000), copied.loadBytes("x/a.bin", a));
      assertThrows(ChangedExternalResourceException.class, () -> copied.loadBytes("x/y/b.bin", b));
      assertEquals(a, copied.getMetadata("x/a.bin"), "computed from the file");
      assertNotNull(Disk.recordAttribute(copy.resolve("x/a.bin")), "and recorded");
      assertEquals(a, copied.verify("x/a.bin"));
      // The damaged copy's metadata is its own bytes' (the caller's expected MD5 tells it apart).
      assertFalse(copied.getMetadata("x/y/b.bin").equals(b));
    }
  }

  @Test
  @DisplayName("R3 a store in the record-file layout (earlier versions, or no attributes) reads alike; storing or deleting moves to the attribute and removes the record file")
  void oldLayout() throws IOException {
    storage.close();
    Metadata a;
    Metadata b;
    try (FileStorage old = FileStorage.builder(root).extendedAttributes(false).build()) {
      a = old.storeBytes("o/a.bin", Disk.content(10, 5000));
      b = old.storeBytes("o/b.bin", Disk.content(11, 5000));
      old.storeBytes("o/c.bin", Disk.content(12, 5000));
    }
    assertNull(Disk.recordAttribute(root.resolve("o/a.bin")));
    Path recordA = Disk.recordOf(root, "o/a.bin");
    String fake = "0123456789abcdef0123456789abcdef";
    Files.writeString(recordA, Files.readString(recordA).replace(a.md5(), fake));
    storage = new FileStorage(root);
    assertEquals(new Metadata(fake, 5000), storage.getMetadata("o/a.bin"),
        "answered from the old record file, not from the bytes");
    assertEquals(b, storage.verify("o/b.bin"));
    Metadata newer = storage.storeBytes("o/b.bin", Disk.content(13, 6000));
    assertFalse(Files.exists(Disk.recordOf(root, "o/b.bin")), "the old record file is gone");
    assertEquals(newer, Disk.recordAttribute(root.resolve("o/b.bin")).metadata());
    assertEquals(newer, storage.getMetadata("o/b.bin"));
    storage.delete("o/c.bin");
    assertFalse(Files.exists(Disk.recordOf(root, "o/c.bin")));
    assertEquals(new Metadata(fake, 5000), storage.move("o/a.bin", "p/a.bin"));
    assertFalse(Files.exists(recordA));
    assertEquals(new Metadata(fake, 5000), storage.getMetadata("p/a.bin"), "the record moved");
  }

  @Test
  @DisplayName("R3 where attributes cannot be set (simulated), records are files, and a storage with attributes on the same root reads them")
  void fallback() throws IOException {
    storage.close();
    try (FileStorage without = FileStorage.builder(root).extendedAttributes(false).build()) {
      Metadata stored = without.storeBytes("n/x.bin", Disk.content(14, 4000));
      assertNull(Disk.recordAttribute(root.resolve("n/x.bin")));
      assertTrue(Files.readString(Disk.recordOf(root, "n/x.bin")).startsWith("stowage-file-record 1\n"));
      assertEquals(stored, without.getMetadata("n/x.bin"));
      storage = new FileStorage(root);
      assertEquals(stored, storage.getMetadata("n/x.bin"));
      // Stored again with attributes: the record file goes, and the storage without attributes
      // reads the new attribute (it reads attributes, though it writes record files).
      Metadata again = storage.storeBytes("n/x.bin", Disk.content(15, 4100));
      assertEquals(again, without.getMetadata("n/x.bin"));
      assertEquals(again, storage.getMetadata("n/x.bin"));
    }
  }

  @Test
  @DisplayName("R3 a storage that writes record files (its probe failed) still reads the attributes others set: a flipped byte is caught, never re-hashed as good")
  void fallbackReadsAttributes() throws IOException {
    byte[] data = Disk.content(16, 6000);
    Metadata stored = storage.storeBytes("g.bin", data);
    try (FileStorage without = FileStorage.builder(root).extendedAttributes(false).build()) {
      Disk.flipByteKeepingTime(root.resolve("g.bin"), 4321);
      assertEquals(stored, without.getMetadata("g.bin"), "the attribute's record, not a new hash");
      assertThrows(ChangedExternalResourceException.class, () -> without.verify("g.bin"));
      assertThrows(ChangedExternalResourceException.class, () -> without.loadBytes("g.bin", stored));
      assertFalse(Files.exists(Disk.recordOf(root, "g.bin")), "no record file of the damaged bytes");
    }
  }

  @Test
  @DisplayName("R3 a file adopted with a stale attribute of its own inode that could not be replaced gets a record file, which every storage on the root trusts over the attribute")
  void adoptedWithStaleAttribute() throws IOException {
    storage.storeBytes("x.bin", Disk.content(17, 3000));
    Path out = dir.resolve("out.bin");
    Files.move(root.resolve("x.bin"), out); // same filesystem: the inode and its attribute go along
    Files.write(out, Disk.content(18, 500), StandardOpenOption.APPEND);
    byte[] now = Files.readAllBytes(out);
    Metadata expected = Metadata.of(now);
    try (FileStorage without = FileStorage.builder(root).extendedAttributes(false).build()) {
      assertEquals(expected, without.adoptPath("y.bin", out, org.stowage.WritePolicy.OVERWRITE));
      assertTrue(Files.exists(Disk.recordOf(root, "y.bin")), "a record file for the adopted file");
      assertEquals(expected, without.getMetadata("y.bin"));
    }
    assertNotNull(Disk.recordAttribute(root.resolve("y.bin")), "the stale attribute is still there");
    assertEquals(expected, storage.getMetadata("y.bin"), "the record file wins over a stale attribute");
    assertEquals(expected, storage.verify("y.bin"));
    assertArrayEquals(now, storage.loadBytes("y.bin", expected));
  }

  @Test
  @DisplayName("R3 the probe at open leaves nothing behind")
  void probeLeavesNothing() throws IOException {
    try (Stream<Path> entries = Files.list(root.resolve(".stowage"))) {
      assertEquals(List.of(), entries.filter(p -> p.getFileName().toString()
          .startsWith(FileStorage.TEMP_PREFIX)).toList());
    }
  }
}
