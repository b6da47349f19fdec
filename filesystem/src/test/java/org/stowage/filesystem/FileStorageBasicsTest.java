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
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.stowage.ExistingExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.InvalidLocationException;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.WritePolicy;

/** The everyday operations, including the cases gufe's own storage tests cover. */
class FileStorageBasicsTest {
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

  private void storeGufeTree() {
    storage.storeBytes("foo.txt", Disk.utf8("foo"));
    storage.storeBytes("foo_dir/a.txt", Disk.utf8("a"));
    storage.storeBytes("foo_dir/b.txt", Disk.utf8("b"));
  }

  @Test
  @DisplayName("R5 exists is true for present objects, nested or not, false for missing ones")
  void exists() {
    storeGufeTree();
    assertTrue(storage.exists("foo.txt"));
    assertTrue(storage.exists("foo_dir/a.txt"));
    assertFalse(storage.exists("bar.txt"));
    assertFalse(storage.exists("foo_dir/c.txt"));
    assertFalse(storage.exists("nope/c.txt"));
  }

  @Test
  @DisplayName("S1 storeBytes writes the file at root/location and returns its MD5 and size")
  void storeBytes() throws IOException {
    byte[] data = Disk.utf8("some bytes");
    Metadata stored = storage.storeBytes("dir/sub/file.bin", data);
    assertEquals(new Metadata(Disk.md5(data), data.length), stored);
    assertArrayEquals(data, Files.readAllBytes(root.resolve("dir/sub/file.bin")));
    assertEquals(stored, storage.getMetadata("dir/sub/file.bin"));
  }

  @ParameterizedTest(name = "S3 storePath copies a file to {0}")
  @ValueSource(strings = {"copied.txt", "nested/dir/copied.txt"})
  @DisplayName("S3 storePath copies the file, nested or not, and leaves the source untouched")
  void storePath(String location) throws IOException {
    Path source = dir.resolve("source.txt");
    byte[] data = Disk.content(7, 300_000);
    Files.write(source, data);
    Metadata stored = storage.storePath(location, source);
    assertEquals(new Metadata(Disk.md5(data), data.length), stored);
    assertArrayEquals(data, Files.readAllBytes(root.resolve(location)));
    assertArrayEquals(data, Files.readAllBytes(source));
    assertArrayEquals(data, storage.loadBytes(location, stored));
  }

  @Test
  @DisplayName("S3 storePath of a missing source or a directory fails and stores nothing")
  void storePathMissing() throws IOException {
    assertThrows(
        ExternalResourceException.class,
        () -> storage.storePath("x", dir.resolve("missing")));
    assertThrows(ExternalResourceException.class, () -> storage.storePath("y", dir));
    assertFalse(storage.exists("x"));
    assertFalse(storage.exists("y"));
    assertEquals(List.of(), Disk.visibleEntries(root));
  }

  @Test
  @DisplayName("S4 storeStream stores a stream of unknown length")
  void storeStream() throws IOException {
    byte[] data = Disk.content(3, 3_000_000);
    Metadata stored;
    try (InputStream in = new java.io.ByteArrayInputStream(data)) {
      stored = storage.storeStream("big.bin", in);
    }
    assertEquals(data.length, stored.size());
    assertEquals(Disk.md5(data), stored.md5());
    assertArrayEquals(data, Files.readAllBytes(root.resolve("big.bin")));
  }

  @Test
  @DisplayName("S2 OVERWRITE replaces the object; the empty object is an object")
  void overwrite() throws IOException {
    storage.storeBytes("a/b", Disk.utf8("first"));
    storage.storeBytes("a/b", new byte[0]);
    assertArrayEquals(new byte[0], storage.loadBytes("a/b"));
    assertEquals(new Metadata(Disk.md5(new byte[0]), 0), storage.getMetadata("a/b"));
    assertEquals(List.of(), Disk.tempFiles(root));
  }

  @Test
  @DisplayName("S5 the write policies CREATE, SKIP_IF_EXISTS and FAIL_IF_DIFFERENT")
  void policies() {
    Metadata first = storage.storeBytes("p", Disk.utf8("one"), WritePolicy.CREATE);
    assertThrows(
        ExistingExternalResourceException.class,
        () -> storage.storeBytes("p", Disk.utf8("two"), WritePolicy.CREATE));
    assertEquals(first, storage.storeBytes("p", Disk.utf8("two"), WritePolicy.SKIP_IF_EXISTS));
    assertEquals(first, storage.storeBytes("p", Disk.utf8("one"), WritePolicy.FAIL_IF_DIFFERENT));
    assertThrows(
        ExistingExternalResourceException.class,
        () -> storage.storeBytes("p", Disk.utf8("two"), WritePolicy.FAIL_IF_DIFFERENT));
    assertArrayEquals(Disk.utf8("one"), storage.loadBytes("p"));
    Metadata created = storage.storeBytes("q/r", Disk.utf8("new"), WritePolicy.SKIP_IF_EXISTS);
    assertEquals(Metadata.of(Disk.utf8("new")), created);
  }

  @Test
  @DisplayName("D1 delete removes the object and its record; delete of a missing one fails")
  void delete() {
    storeGufeTree();
    storage.delete("foo.txt");
    assertFalse(storage.exists("foo.txt"));
    assertFalse(Disk.exists(root.resolve("foo.txt")));
    assertFalse(Disk.exists(Disk.recordOf(root, "foo.txt")), "no record file is left");
    assertThrows(MissingExternalResourceException.class, () -> storage.delete("foo.txt"));
    assertThrows(MissingExternalResourceException.class, () -> storage.delete("bar/baz"));
    assertFalse(storage.deleteIfExists("foo.txt"));
    assertTrue(storage.deleteIfExists("foo_dir/a.txt"));
    assertTrue(storage.exists("foo_dir/b.txt"));
  }

  @Test
  @DisplayName("D1 delete prunes parent directories left empty, never the root")
  void deletePrunes() throws IOException {
    storage.storeBytes("a/b/c/d.txt", Disk.utf8("d"));
    storage.storeBytes("a/x.txt", Disk.utf8("x"));
    storage.delete("a/b/c/d.txt");
    assertFalse(Disk.exists(root.resolve("a/b")));
    assertTrue(Files.isDirectory(root.resolve("a")));
    storage.delete("a/x.txt");
    assertFalse(Disk.exists(root.resolve("a")));
    assertTrue(Files.isDirectory(root));
    storage.storeBytes("top", Disk.utf8("t"));
    storage.delete("top");
    assertTrue(Files.isDirectory(root));
    assertEquals(List.of(), Disk.visibleEntries(root));
  }

  @ParameterizedTest(name = "I1 prefix \"{0}\" lists {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "''|foo.txt,foo_dir/a.txt,foo_dir/b.txt",
        "foo|foo.txt,foo_dir/a.txt,foo_dir/b.txt",
        "foo_dir/|foo_dir/a.txt,foo_dir/b.txt",
        "foo_dir/a|foo_dir/a.txt",
        "foo_dir/a.txt|foo_dir/a.txt",
        "baz|''",
      })
  @DisplayName("I1 iterContents lists exactly the objects that start with the prefix")
  void iterate(String prefix, String expected) {
    storeGufeTree();
    List<String> want = expected.isEmpty() ? List.of() : List.of(expected.split(","));
    try (Stream<String> listed = storage.iterContents(prefix)) {
      assertEquals(want, listed.collect(Collectors.toList()));
    }
  }

  @Test
  @DisplayName("R1 load returns the bytes; load of a missing object fails at call time")
  void load() throws IOException {
    storeGufeTree();
    assertArrayEquals(Disk.utf8("a"), storage.loadBytes("foo_dir/a.txt"));
    try (InputStream in = storage.loadStream("foo.txt")) {
      assertArrayEquals(Disk.utf8("foo"), in.readAllBytes());
    }
    assertThrows(MissingExternalResourceException.class, () -> storage.loadStream("missing"));
    assertThrows(MissingExternalResourceException.class, () -> storage.loadBytes("foo_dir/c"));
    assertThrows(MissingExternalResourceException.class, () -> storage.getMetadata("foo_dir/c"));
    assertThrows(MissingExternalResourceException.class, () -> storage.verify("foo_dir/c"));
  }

  @ParameterizedTest(name = "L2 rejects {0}")
  @ValueSource(strings = {"../x", "/abs", "a/../../x", "a/./b", ".stowage/meta/x", "a\\b"})
  @DisplayName("L2 locations that could escape or reach reserved files are rejected")
  void rejected(String location) throws IOException {
    assertThrows(
        InvalidLocationException.class, () -> storage.storeBytes(location, Disk.utf8("x")));
    assertThrows(InvalidLocationException.class, () -> storage.exists(location));
    assertThrows(InvalidLocationException.class, () -> storage.loadBytes(location));
    assertEquals(List.of(), Disk.visibleEntries(root));
    assertFalse(Disk.exists(dir.resolve("x")));
  }

  @Test
  @DisplayName("R5 a directory is not an object: exists is false, load and delete find nothing")
  void directoryIsNotAnObject() {
    storage.storeBytes("d/inner.txt", Disk.utf8("i"));
    assertFalse(storage.exists("d"));
    assertThrows(MissingExternalResourceException.class, () -> storage.loadBytes("d"));
    assertThrows(MissingExternalResourceException.class, () -> storage.getMetadata("d"));
    assertThrows(MissingExternalResourceException.class, () -> storage.delete("d"));
    assertTrue(storage.exists("d/inner.txt"));
  }

  @Test
  @DisplayName("S2 a location cannot be both an object and a directory: clear errors, nothing stored")
  void objectVersusDirectory() throws IOException {
    storage.storeBytes("d/inner.txt", Disk.utf8("i"));
    storage.storeBytes("f", Disk.utf8("f"));
    ExternalResourceException overDirectory =
        assertThrows(ExternalResourceException.class, () -> storage.storeBytes("d", Disk.utf8("x")));
    assertTrue(overDirectory.getMessage().contains("directory"), overDirectory.getMessage());
    ExternalResourceException underFile =
        assertThrows(
            ExternalResourceException.class, () -> storage.storeBytes("f/g/h", Disk.utf8("x")));
    assertTrue(underFile.getMessage().contains("\"f\" is an object"), underFile.getMessage());
    assertFalse(storage.exists("f/g/h"));
    assertArrayEquals(Disk.utf8("f"), storage.loadBytes("f"));
    assertFalse(storage.exists("f/g"));
    assertThrows(MissingExternalResourceException.class, () -> storage.loadBytes("f/g/h"));
    assertEquals(List.of(), Disk.tempFiles(root));
  }

  @Test
  @DisplayName("T2 uri is the file: URI of root/location, readable with java.nio.file")
  void uri() throws IOException {
    storage.storeBytes("u/v.txt", Disk.utf8("v"));
    assertEquals(root.resolve("u/v.txt").toUri(), storage.uri("u/v.txt"));
    assertArrayEquals(Disk.utf8("v"), Files.readAllBytes(Path.of(storage.uri("u/v.txt"))));
    assertEquals("file", storage.uri("not/there").getScheme());
  }

  @Test
  @DisplayName("T2 toString names the backend and its root; messages name them too")
  void names() {
    assertEquals("FileStorage[" + root.toAbsolutePath() + "]", storage.toString());
    assertEquals(root.toAbsolutePath(), storage.root());
    MissingExternalResourceException e =
        assertThrows(MissingExternalResourceException.class, () -> storage.loadBytes("gone"));
    assertTrue(e.getMessage().startsWith(storage.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("\"gone\""), e.getMessage());
  }

  @Test
  @DisplayName("L3 locations are case-sensitive and kept as given, including non-BMP characters")
  void unicode() {
    String emoji = "data/\ud83d\ude00/caf\u00e9.txt";
    storage.storeBytes(emoji, Disk.utf8("smile"));
    assertTrue(Files.exists(root.resolve("data").resolve("\ud83d\ude00").resolve("caf\u00e9.txt")));
    assertTrue(storage.exists(emoji));
    assertFalse(storage.exists("data/\ud83d\ude00/cafe\u0301.txt"));
    try (Stream<String> listed = storage.iterContents("data/")) {
      assertEquals(List.of(emoji), listed.collect(Collectors.toList()));
    }
  }
}
