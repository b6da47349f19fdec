package org.stowage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** What the core enforces for every backend, shown on a plain one. */
class ExternalStorageTest {
  private final TreeMapStorage storage = new TreeMapStorage();

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  private static String md5Hex(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
  }

  @Test
  @DisplayName("S1 store returns the MD5 and size of the bytes stored, for every source kind")
  void storeReturnsMetadata(@TempDir Path dir) throws Exception {
    byte[] data = new byte[200_000];
    new java.util.Random(7).nextBytes(data);
    Metadata expected = new Metadata(md5Hex(data), data.length);
    assertEquals(expected, storage.storeBytes("a", data));
    assertEquals(expected, storage.storeStream("b", new ByteArrayInputStream(data)));
    Path file = Files.write(dir.resolve("f"), data);
    assertEquals(expected, storage.storePath("c", file));
    assertEquals(new Metadata("d41d8cd98f00b204e9800998ecf8427e", 0), storage.storeBytes("e", new byte[0]));
    for (String l : List.of("a", "b", "c")) {
      assertArrayEquals(data, storage.loadBytes(l));
    }
  }

  @Test
  @DisplayName("L2 every operation rejects an invalid location before any backend code runs")
  void invalidLocationsNeverReachTheBackend() {
    List<Executable> calls =
        List.of(
            () -> storage.storeBytes("../x", new byte[1]),
            () -> storage.storeStream("/abs", new ByteArrayInputStream(new byte[1])),
            () -> storage.storePath("a//b", Path.of("whatever")),
            () -> storage.loadStream("a/./b"),
            () -> storage.loadStream("a\\b", Metadata.of(new byte[0])),
            () -> storage.loadBytes(""),
            () -> storage.loadBytes("x/", Metadata.of(new byte[0])),
            () -> storage.exists(".stowage-meta"),
            () -> storage.delete("a\u0000"),
            () -> storage.deleteIfExists(".."),
            () -> storage.getMetadata("a/../b"),
            () -> storage.verify("/"),
            () -> storage.uri("a\n"),
            () -> storage.iterContents("../"));
    for (Executable call : calls) {
      InvalidLocationException e = assertThrows(InvalidLocationException.class, call);
      assertTrue(e.getMessage().contains("rule L"), e.getMessage());
    }
    assertEquals(List.of(), storage.hookCalls, "no hook may run for an invalid location");
  }

  @Test
  @DisplayName("S5 OVERWRITE replaces, CREATE refuses a present object and changes nothing")
  void overwriteAndCreate() {
    storage.storeBytes("k", bytes("one"));
    assertEquals(Metadata.of(bytes("two")), storage.storeBytes("k", bytes("two"), WritePolicy.OVERWRITE));
    ExistingExternalResourceException e =
        assertThrows(
            ExistingExternalResourceException.class,
            () -> storage.storeBytes("k", bytes("three"), WritePolicy.CREATE));
    assertTrue(e.getMessage().contains("CREATE") && e.getMessage().contains("\"k\""), e.getMessage());
    assertArrayEquals(bytes("two"), storage.loadBytes("k"));
    assertEquals(Metadata.of(bytes("new")), storage.storeBytes("n", bytes("new"), WritePolicy.CREATE));
  }

  @Test
  @DisplayName("S5 SKIP_IF_EXISTS keeps the present object, returns its metadata and leaves the stream unread")
  void skipIfExists() throws IOException {
    storage.storeBytes("k", bytes("old"));
    InputStream in = new ByteArrayInputStream(bytes("new"));
    assertEquals(Metadata.of(bytes("old")), storage.storeStream("k", in, WritePolicy.SKIP_IF_EXISTS));
    assertEquals(3, in.available(), "the stream is not read when the object is kept");
    assertArrayEquals(bytes("old"), storage.loadBytes("k"));
    assertEquals(Metadata.of(bytes("new")), storage.storeStream("m", in, WritePolicy.SKIP_IF_EXISTS));
  }

  @Test
  @DisplayName("S5 FAIL_IF_DIFFERENT accepts identical content, refuses different content")
  void failIfDifferent() {
    assertEquals(Metadata.of(bytes("v")), storage.storeBytes("k", bytes("v"), WritePolicy.FAIL_IF_DIFFERENT));
    assertEquals(Metadata.of(bytes("v")), storage.storeStream("k", new ByteArrayInputStream(bytes("v")), WritePolicy.FAIL_IF_DIFFERENT));
    ExistingExternalResourceException e =
        assertThrows(
            ExistingExternalResourceException.class,
            () -> storage.storeBytes("k", bytes("w"), WritePolicy.FAIL_IF_DIFFERENT));
    assertTrue(e.getMessage().contains(Metadata.of(bytes("v")).md5()), e.getMessage());
    assertArrayEquals(bytes("v"), storage.loadBytes("k"));
  }

  @Test
  @DisplayName("S2 a source that fails midway stores nothing, and the error says the source failed")
  void failingSourceStoresNothing() {
    storage.storeBytes("k", bytes("previous"));
    InputStream failing =
        new InputStream() {
          int n;

          @Override
          public int read() throws IOException {
            if (n++ >= 1000) {
              throw new IOException("disk on fire");
            }
            return 'x';
          }
        };
    ExternalResourceException e =
        assertThrows(ExternalResourceException.class, () -> storage.storeStream("k", failing));
    assertTrue(e.getMessage().contains("reading the source failed"), e.getMessage());
    assertEquals("disk on fire", e.getCause().getMessage());
    assertArrayEquals(bytes("previous"), storage.loadBytes("k"));
  }

  @Test
  @DisplayName("S3 storePath of a missing file or a directory fails clearly and stores nothing")
  void storePathChecksTheSource(@TempDir Path dir) {
    ExternalResourceException missing =
        assertThrows(ExternalResourceException.class, () -> storage.storePath("k", dir.resolve("nope")));
    assertInstanceOf(NoSuchFileException.class, missing.getCause());
    assertTrue(missing.getMessage().contains("nope") && missing.getMessage().contains("S3"), missing.getMessage());
    ExternalResourceException directory =
        assertThrows(ExternalResourceException.class, () -> storage.storePath("k", dir));
    assertTrue(directory.getMessage().contains("directory"), directory.getMessage());
    assertFalse(storage.exists("k"));
  }

  @Test
  @DisplayName("R1 loadStream of a missing object fails at call time")
  void loadMissing() {
    MissingExternalResourceException e =
        assertThrows(MissingExternalResourceException.class, () -> storage.loadStream("gone"));
    assertEquals(Optional.of("gone"), e.location());
    assertTrue(e.getMessage().startsWith("TreeMapStorage[test]"), e.getMessage());
    assertThrows(MissingExternalResourceException.class, () -> storage.loadBytes("gone"));
    assertThrows(MissingExternalResourceException.class, () -> storage.getMetadata("gone"));
    assertThrows(MissingExternalResourceException.class, () -> storage.verify("gone"));
  }

  @Test
  @DisplayName("R2 a verified load passes good data and refuses a wrong MD5 at the end")
  void verifiedLoad() throws IOException {
    byte[] data = bytes("hello world");
    storage.storeBytes("k", data);
    try (InputStream in = storage.loadStream("k", Metadata.of(data))) {
      assertArrayEquals(data, in.readAllBytes());
    }
    Metadata wrongMd5 = new Metadata("0".repeat(32), data.length);
    InputStream in = storage.loadStream("k", wrongMd5);
    byte[] buffer = new byte[data.length];
    assertEquals(data.length, in.readNBytes(buffer, 0, data.length), "data flows before the end");
    ChangedExternalResourceException e = assertThrows(ChangedExternalResourceException.class, in::read);
    assertTrue(e.getMessage().contains("R2") && e.getMessage().contains("MD5"), e.getMessage());
    assertThrows(ChangedExternalResourceException.class, () -> storage.loadBytes("k", wrongMd5));
  }

  @Test
  @DisplayName("R2 a verified load refuses data longer than expected at once, and shorter at the end")
  void verifiedLoadChecksSize() throws IOException {
    byte[] data = bytes("0123456789");
    storage.storeBytes("k", data);
    Metadata shorter = Metadata.of(bytes("01234"));
    try (InputStream in = storage.loadStream("k", shorter)) {
      ChangedExternalResourceException e =
          assertThrows(ChangedExternalResourceException.class, () -> in.readNBytes(6));
      assertTrue(e.getMessage().contains("longer"), e.getMessage());
    }
    Metadata longer = Metadata.of(bytes("0123456789AB"));
    try (InputStream in = storage.loadStream("k", longer)) {
      ChangedExternalResourceException e =
          assertThrows(ChangedExternalResourceException.class, in::readAllBytes);
      assertTrue(e.getMessage().contains("ended after 10"), e.getMessage());
    }
    assertThrows(ChangedExternalResourceException.class, () -> storage.loadBytes("k", longer));
    assertThrows(ChangedExternalResourceException.class, () -> storage.loadBytes("k", shorter));
  }

  @Test
  @DisplayName("R2 skip on a verified stream still hashes what it skips")
  void skipIsHashed() throws IOException {
    byte[] data = bytes("0123456789");
    storage.storeBytes("k", data);
    try (InputStream in = storage.loadStream("k", Metadata.of(bytes("0123456780")))) {
      assertEquals(9, in.skip(9));
      assertEquals('9', in.read());
      assertThrows(ChangedExternalResourceException.class, in::read);
    }
    try (InputStream in = storage.loadStream("k", Metadata.of(data))) {
      assertEquals(10, in.skip(100));
      assertEquals(-1, in.read());
    }
  }

  @Test
  @DisplayName("R4 verify re-reads the object and reports damage as changed")
  void verifyReportsDamage() {
    storage.storeBytes("k", bytes("good"));
    assertEquals(Metadata.of(bytes("good")), storage.verify("k"));
  }

  @Test
  @DisplayName("D1 delete of a missing object fails; deleteIfExists says whether it deleted")
  void deletes() {
    storage.storeBytes("k", bytes("x"));
    assertTrue(storage.deleteIfExists("k"));
    assertFalse(storage.deleteIfExists("k"));
    assertThrows(MissingExternalResourceException.class, () -> storage.delete("k"));
    storage.storeBytes("k", bytes("x"));
    storage.delete("k");
    assertFalse(storage.exists("k"));
  }

  @Test
  @DisplayName("I1 iterContents matches plain string prefixes")
  void listing() {
    for (String l : List.of("foo.txt", "foo_dir/a.txt", "foo_dir/b.txt", "a/b.txt", "a/bc/d", "a/c")) {
      storage.storeBytes(l, new byte[0]);
    }
    try (Stream<String> s = storage.iterContents("a/b")) {
      assertEquals(List.of("a/b.txt", "a/bc/d"), s.collect(Collectors.toList()));
    }
    try (Stream<String> s = storage.iterContents()) {
      assertEquals(6, s.count());
    }
  }

  @Test
  @DisplayName("I2 the core refuses a backend listing out of order")
  void outOfOrderListingIsCaught() {
    storage.storeBytes("a", new byte[0]);
    storage.storeBytes("b", new byte[0]);
    storage.listingFault = keys -> {
      List<String> reversed = new ArrayList<>(keys);
      java.util.Collections.reverse(reversed);
      return reversed;
    };
    try (Stream<String> s = storage.iterContents()) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.collect(Collectors.toList()));
      assertTrue(e.getMessage().contains("I2"), e.getMessage());
    }
  }

  @Test
  @DisplayName("I1 the core skips listed keys that are not valid locations, and refuses keys outside the prefix")
  void foreignKeysAreSkipped() {
    storage.storeBytes("p/a", new byte[0]);
    storage.listingFault = keys -> List.of("p/.stowage-tmp-1", "p/a", "p/b//c");
    try (Stream<String> s = storage.iterContents("p/")) {
      assertEquals(List.of("p/a"), s.collect(Collectors.toList()));
    }
    storage.listingFault = keys -> List.of("q/a");
    try (Stream<String> s = storage.iterContents("p/")) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.collect(Collectors.toList()));
      assertTrue(e.getMessage().contains("I1"), e.getMessage());
    }
  }

  @Test
  @DisplayName("T2 backend I/O errors become typed errors naming storage and location, cause kept")
  void errorsAreMapped() {
    IOException cause = new IOException("connection reset");
    storage.hookFailure = cause;
    ExternalResourceException e = assertThrows(ExternalResourceException.class, () -> storage.exists("a/b"));
    assertSame(cause, e.getCause());
    assertTrue(e.getMessage().contains("TreeMapStorage[test]") && e.getMessage().contains("\"a/b\""), e.getMessage());
    storage.hookFailure = new NoSuchFileException("x");
    assertThrows(MissingExternalResourceException.class, () -> storage.getMetadata("a"));
    storage.hookFailure = new java.nio.file.FileAlreadyExistsException("x");
    assertThrows(ExistingExternalResourceException.class, () -> storage.storeBytes("a", new byte[0]));
  }

  @Test
  @DisplayName("S1 a backend that commits without reading its content to the end is caught as a bug")
  void commitWithoutReadingIsCaught() {
    storage.commitWithoutReading = true;
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> storage.storeBytes("k", bytes("abc")));
    assertTrue(e.getMessage().contains("backend bug"), e.getMessage());
  }

  @Test
  @DisplayName("close is idempotent, and every operation afterwards is refused")
  void closing() {
    storage.close();
    storage.close();
    assertEquals(1, storage.closeCalls);
    assertTrue(storage.isClosed());
    assertThrows(IllegalStateException.class, () -> storage.exists("a"));
    assertThrows(IllegalStateException.class, () -> storage.storeBytes("a", new byte[0]));
    assertThrows(IllegalStateException.class, () -> storage.iterContents());
  }

  @Test
  @DisplayName("null arguments are refused with NullPointerException")
  void nulls() {
    assertThrows(NullPointerException.class, () -> storage.storeBytes("a", null));
    assertThrows(NullPointerException.class, () -> storage.storeBytes("a", new byte[0], null));
    assertThrows(NullPointerException.class, () -> storage.storeStream("a", null));
    assertThrows(NullPointerException.class, () -> storage.loadStream("a", null));
    assertThrows(NullPointerException.class, () -> storage.exists(null));
    assertThrows(NullPointerException.class, () -> storage.iterContents(null));
    assertEquals(List.of(), storage.hookCalls, "no hook runs for a null argument");
  }

  @Test
  @DisplayName("uri is the backend's answer for a valid location")
  void uri() {
    assertEquals("tree:/a/b", storage.uri("a/b").toString());
  }
}
