package org.stowage.filesystem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.ChangedExternalResourceException;
import org.stowage.Metadata;

/**
 * Metadata records kept as record files under {@code .stowage/meta}, as on a filesystem without
 * user extended attributes (the builder's seam turns attributes off): answering without reading
 * (R3), and catching changes (R2, R3, R4). {@link FileStorageRecordAttributeTest} covers records
 * in attributes, and reading this layout with them.
 */
class FileStorageRecordsTest {
  @TempDir Path dir;
  Path root;
  FileStorage storage;

  @BeforeEach
  void open() {
    root = dir.resolve("store");
    storage = FileStorage.builder(root).extendedAttributes(false).build();
  }

  @AfterEach
  void close() {
    storage.close();
  }

  @Test
  @DisplayName("R3 getMetadata answers from the record, without reading the object")
  void answersFromRecord() throws IOException {
    Metadata stored = storage.storeBytes("r/x.bin", Disk.content(1, 10_000));
    Path record = Disk.recordOf(root, "r/x.bin");
    String text = Files.readString(record);
    assertTrue(text.startsWith("stowage-file-record 1\n"), text);
    assertTrue(text.contains("location=r/x.bin\n"), text);
    assertTrue(text.contains("md5=" + stored.md5() + "\n"), text);
    // Doctor the record's MD5: getMetadata returns it, so it did not hash the file.
    String fake = "0123456789abcdef0123456789abcdef";
    Files.writeString(record, text.replace(stored.md5(), fake));
    assertEquals(new Metadata(fake, stored.size()), storage.getMetadata("r/x.bin"));
    // ... and verify catches the disagreement between record and bytes.
    assertThrows(ChangedExternalResourceException.class, () -> storage.verify("r/x.bin"));
  }

  @Test
  @DisplayName("R2 R4 a flipped byte with the time set back is caught by verified loads and verify")
  void flippedByte() throws IOException {
    byte[] data = Disk.content(2, 100_000);
    Metadata stored = storage.storeBytes("f/data.bin", data);
    // Documented limit: size and time are unchanged, so getMetadata cannot tell.
    ChangedExternalResourceException verified = Disk.assertFlipCaught(storage, "f/data.bin", stored, 54_321);
    assertTrue(verified.getMessage().contains("R4"), verified.getMessage());
    try (InputStream in = storage.loadStream("f/data.bin", stored)) {
      ChangedExternalResourceException streamed =
          assertThrows(ChangedExternalResourceException.class, in::readAllBytes);
      assertTrue(streamed.getMessage().contains("R2"), streamed.getMessage());
    }
  }

  @Test
  @DisplayName("R3 a file edited in place (size changes) is reported as changed, never re-recorded")
  void editedInPlaceSize() throws IOException {
    storage.storeBytes("e/doc.txt", Disk.utf8("original"));
    String recordBefore = Files.readString(Disk.recordOf(root, "e/doc.txt"));
    Files.write(root.resolve("e/doc.txt"), Disk.utf8("!"), StandardOpenOption.APPEND);
    ChangedExternalResourceException e =
        assertThrows(
            ChangedExternalResourceException.class, () -> storage.getMetadata("e/doc.txt"));
    assertTrue(e.getMessage().contains("R3"), e.getMessage());
    assertTrue(e.getMessage().contains("\"e/doc.txt\""), e.getMessage());
    assertTrue(e.getMessage().startsWith(storage.toString()), e.getMessage());
    assertEquals("e/doc.txt", e.location().orElseThrow());
    assertThrows(ChangedExternalResourceException.class, () -> storage.getMetadata("e/doc.txt"));
    assertThrows(ChangedExternalResourceException.class, () -> storage.verify("e/doc.txt"));
    assertEquals(recordBefore, Files.readString(Disk.recordOf(root, "e/doc.txt")));
    // Storing again ends the error.
    Metadata again = storage.storeBytes("e/doc.txt", Disk.utf8("fixed"));
    assertEquals(again, storage.getMetadata("e/doc.txt"));
  }

  @Test
  @DisplayName("R3 a file whose last-modified time changed in place is reported as changed")
  void editedInPlaceTime() throws IOException {
    storage.storeBytes("t.txt", Disk.utf8("same size"));
    Path file = root.resolve("t.txt");
    FileTime modified = Files.getLastModifiedTime(file);
    Files.setLastModifiedTime(
        file, FileTime.from(modified.toInstant().plus(Duration.ofSeconds(10))));
    assertThrows(ChangedExternalResourceException.class, () -> storage.getMetadata("t.txt"));
    // Setting the exact time back makes it acceptable again: nanoseconds are compared.
    Files.setLastModifiedTime(file, modified);
    assertEquals(Metadata.of(Disk.utf8("same size")), storage.getMetadata("t.txt"));
  }

  @Test
  @DisplayName("R3 a file placed by another tool gets its MD5 computed once and recorded")
  void placedByAnotherTool() throws IOException {
    byte[] data = Disk.content(3, 70_000);
    Files.createDirectories(root.resolve("tool/out"));
    Files.write(root.resolve("tool/out/file.bin"), data);
    assertTrue(storage.exists("tool/out/file.bin"));
    assertFalse(Files.exists(Disk.recordOf(root, "tool/out/file.bin")));
    Metadata expected = new Metadata(Disk.md5(data), data.length);
    assertEquals(expected, storage.getMetadata("tool/out/file.bin"));
    assertTrue(Files.isRegularFile(Disk.recordOf(root, "tool/out/file.bin")));
    assertEquals(expected, storage.verify("tool/out/file.bin"));
    assertArrayEquals(data, storage.loadBytes("tool/out/file.bin", expected));
  }

  @Test
  @DisplayName("R3 a file replaced as a whole by another tool is hashed again, not reported")
  void replacedAsAWhole() throws IOException {
    storage.storeBytes("w.bin", Disk.utf8("stored by the store"));
    byte[] other = Disk.utf8("written by another tool");
    Path elsewhere = root.resolve("incoming.tmp");
    Files.write(elsewhere, other);
    Files.move(elsewhere, root.resolve("w.bin"), StandardCopyOption.REPLACE_EXISTING);
    assertEquals(Metadata.of(other), storage.getMetadata("w.bin"));
    assertEquals(Metadata.of(other), storage.verify("w.bin"));
  }

  @Test
  @DisplayName("R3 a lost record (a crash after placing the file) is rebuilt from the file")
  void lostRecord() throws IOException {
    Metadata stored = storage.storeBytes("l/o/st.bin", Disk.content(4, 5000));
    Files.delete(Disk.recordOf(root, "l/o/st.bin"));
    assertEquals(stored, storage.getMetadata("l/o/st.bin"));
    assertTrue(Files.exists(Disk.recordOf(root, "l/o/st.bin")));
    assertEquals(stored, storage.verify("l/o/st.bin"));
  }

  @Test
  @DisplayName("R3 a damaged or foreign record is ignored and replaced from the file")
  void damagedRecord() throws IOException {
    Metadata stored = storage.storeBytes("d.bin", Disk.content(5, 5000));
    Path record = Disk.recordOf(root, "d.bin");
    Files.writeString(record, "garbage\n");
    assertEquals(stored, storage.getMetadata("d.bin"));
    String good = Files.readString(record);
    assertTrue(good.startsWith("stowage-file-record 1\n"), good);
    Files.writeString(record, good.replace("location=d.bin", "location=other"));
    assertEquals(stored, storage.getMetadata("d.bin"));
    assertTrue(Files.readString(record).contains("location=d.bin\n"));
  }

  @Test
  @DisplayName("R3 a stale record naming a reused file identity never taints a new store")
  void staleRecordOfSameIdentity() throws IOException {
    storage.storeBytes("s.bin", Disk.utf8("first"));
    Path record = Disk.recordOf(root, "s.bin");
    String stale = Files.readString(record);
    // Simulate a crash between deleting the file and deleting its record...
    Files.delete(root.resolve("s.bin"));
    Files.writeString(record, stale);
    // ... and a new store whose file may reuse the freed inode number.
    Metadata second = storage.storeBytes("s.bin", Disk.utf8("second, longer"));
    assertEquals(second, storage.getMetadata("s.bin"));
    assertEquals(second, storage.verify("s.bin"));
  }

  @Test
  @DisplayName("R3 a record emptied by a store interrupted before rewriting it counts as none")
  void emptiedRecord() throws IOException {
    Metadata stored = storage.storeBytes("e/m.bin", Disk.content(6, 5000));
    Path record = Disk.recordOf(root, "e/m.bin");
    // What a store leaves if it dies between emptying the old record and rewriting it.
    Files.write(record, new byte[0]);
    assertEquals(stored, storage.getMetadata("e/m.bin"));
    assertTrue(Files.readString(record).contains("md5=" + stored.md5() + "\n"));
    assertEquals(stored, storage.verify("e/m.bin"));
  }

  @Test
  @DisplayName("R3 replacing an object rewrites its record in place, describing the new file")
  void replacedObjectRewritesRecord() throws IOException {
    storage.storeBytes("w/r.bin", Disk.content(7, 5000));
    Path record = Disk.recordOf(root, "w/r.bin");
    Object recordKey = Files.readAttributes(record, BasicFileAttributes.class).fileKey();
    Metadata second = storage.storeBytes("w/r.bin", Disk.content(8, 7000));
    String text = Files.readString(record);
    assertTrue(text.contains("md5=" + second.md5() + "\n"), text);
    assertTrue(text.contains("size=7000\n"), text);
    if (recordKey != null) {
      assertEquals(
          recordKey,
          Files.readAttributes(record, BasicFileAttributes.class).fileKey(),
          "the record file is rewritten, not replaced");
    }
    assertEquals(second, storage.getMetadata("w/r.bin"));
    assertEquals(second, storage.verify("w/r.bin"));
  }

  @Test
  @DisplayName("R3 a new location's record is created in place (no temporary file in the record directory), also when its directory is new")
  void newRecordCreatedInPlace() throws IOException {
    Metadata stored = storage.storeBytes("n/first.bin", Disk.content(9, 3000));
    Path record = Disk.recordOf(root, "n/first.bin");
    assertTrue(Files.readString(record).contains("md5=" + stored.md5() + "\n"));
    try (var entries = Files.list(record.getParent())) {
      assertEquals(List.of(record.getFileName().toString()),
          entries.map(p -> p.getFileName().toString()).toList());
    }
    assertEquals(stored, storage.getMetadata("n/first.bin"));
  }

  @ParameterizedTest(name = "R3 a record name taken by a {0} is never followed")
  @ValueSource(strings = {"symbolic link", "directory"})
  @DisplayName("R3 a record name taken by something other than a file is never followed: a link is replaced by the record")
  void recordNameTaken(String what) throws IOException {
    Path record = Disk.recordOf(root, "t/x.bin");
    Files.createDirectories(record.getParent());
    Path outside = Files.writeString(dir.resolve("outside.txt"), "untouched");
    if (what.equals("directory")) {
      Files.createDirectory(record);
    } else {
      Files.createSymbolicLink(record, outside);
    }
    Metadata stored = storage.storeBytes("t/x.bin", Disk.content(10, 2000));
    assertEquals("untouched", Files.readString(outside));
    assertEquals(stored, storage.getMetadata("t/x.bin"));
    if (what.equals("directory")) {
      // rename(2) cannot replace a directory with a file: the object has no record (logged), and
      // its metadata is computed from its bytes.
      assertTrue(Files.isDirectory(record, java.nio.file.LinkOption.NOFOLLOW_LINKS));
    } else {
      assertTrue(Files.isRegularFile(record, java.nio.file.LinkOption.NOFOLLOW_LINKS), "replaced");
      assertTrue(Files.readString(record).contains("md5=" + stored.md5() + "\n"));
    }
    assertEquals(stored, storage.getMetadata("t/x.bin"));
    assertEquals(stored, storage.verify("t/x.bin"));
  }
}
