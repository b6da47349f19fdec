package org.stowage.cas;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.ChangedExternalResourceException;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.TreeMapStorage;

class ContentAddressedStoreTest {
  private final TreeMapStorage storage = new TreeMapStorage();
  private final ContentAddressedStore cas = new ContentAddressedStore(storage);

  @AfterEach
  void close() {
    cas.close();
  }

  private static String sha256(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }

  @Test
  @DisplayName("C2 a file changed between its hashing and its store is not kept under the digest")
  void fileChangedWhileInserted(@TempDir Path dir) throws IOException {
    Path file = Files.write(dir.resolve("out.dat"), "the content hashed".getBytes(UTF_8));
    TreeMapStorage changing = new TreeMapStorage() {
      @Override
      protected boolean writeObject(
          org.stowage.Location location, org.stowage.ObjectSource source, boolean replaceExisting)
          throws IOException {
        // Another process rewrites the file after the store hashed it, before it is copied.
        Files.write(file, "other bytes, written meanwhile".getBytes(UTF_8));
        return super.writeObject(location, source, replaceExisting);
      }
    };
    ContentAddressedStore store = new ContentAddressedStore(changing);
    ChangedExternalResourceException e =
        assertThrows(ChangedExternalResourceException.class, () -> store.insert(file));
    assertTrue(e.getMessage().contains("C2"), e.getMessage());
    try (var listed = changing.iterContents()) {
      assertEquals(List.of(), listed.toList(), "nothing is kept under the digest");
    }
  }

  @Test
  @DisplayName("C1 the digest is SHA-256 by default, with the hex and the size")
  void digestIsSha256() throws Exception {
    byte[] data = "hello".getBytes(UTF_8);
    Digest d = cas.put(data);
    assertEquals(new Digest("sha256", sha256(data), 5), d);
    assertEquals(d, Digest.parse(d.toString()));
    assertThrows(IllegalArgumentException.class, () -> new Digest("sha256", "ABC", 1));
    assertThrows(IllegalArgumentException.class, () -> new Digest("md4", "0".repeat(64), 1));
    assertThrows(IllegalArgumentException.class, () -> Digest.parse("sha256:xyz"));
  }

  @Test
  @DisplayName("C1 Digest.parse accepts exactly algorithm:hex:size ([a-z0-9]+:[0-9a-f]+:[0-9]+, then the fields' rules)")
  void digestParseAgreesWithTheGrammar() {
    String[] tokens = {"sha256", "sha512", "md5", ":", "0", "9", "a", "f", "g", "A", " ", "-", "",
        "0".repeat(64), "ab".repeat(32), "c".repeat(128), "99999999999999999999", "\u00e9"};
    Pattern grammar = Pattern.compile("([a-z0-9]+):([0-9a-f]+):([0-9]+)");
    qt().withExamples(5000)
        .forAll(lists().of(integers().between(0, tokens.length - 1)).ofSizeBetween(0, 7))
        .check(picks -> {
          StringBuilder text = new StringBuilder();
          picks.forEach(i -> text.append(tokens[i]));
          Digest expected;
          try {
            Matcher m = grammar.matcher(text);
            expected = m.matches() ? new Digest(m.group(1), m.group(2), Long.parseLong(m.group(3))) : null;
          } catch (IllegalArgumentException e) {
            expected = null;
          }
          Digest parsed;
          try {
            parsed = Digest.parse(text.toString());
          } catch (IllegalArgumentException e) {
            parsed = null;
          }
          return java.util.Objects.equals(expected, parsed);
        });
    Digest d = new Digest("sha256", "ab".repeat(32), 12);
    assertEquals(d, Digest.parse("sha256:" + "ab".repeat(32) + ":12"));
    for (String bad : new String[] {"", ":", "sha256::12", "sha256:" + "ab".repeat(32) + ":", ":" + "ab".repeat(32) + ":1",
        "sha256:" + "ab".repeat(32) + ":1:2", "sha256:" + "ab".repeat(32) + ":-1", "sha256:" + "ab".repeat(32) + ":+1"}) {
      assertThrows(IllegalArgumentException.class, () -> Digest.parse(bad), bad);
    }
  }

  @Test
  @DisplayName("Digest.isLowerHex accepts exactly 0-9 and a-f in its range, and checks the range")
  void isLowerHex() {
    for (char c = 0; c < 0x3000; c++) {
      boolean hex = c >= '0' && c <= '9' || c >= 'a' && c <= 'f';
      String name = "U+" + Integer.toHexString(c);
      assertEquals(hex, Digest.isLowerHex("0" + c + "f", 0, 3), name);
      assertTrue(Digest.isLowerHex("x" + c + "x", 1, 1), "an empty range holds nothing to refuse");
    }
    assertTrue(Digest.isLowerHex("zz0123456789abcdefzz", 2, 18));
    assertFalse(Digest.isLowerHex("zz0123456789abcdefzz", 1, 18));
    assertFalse(Digest.isLowerHex("zz0123456789abcdefzz", 2, 19));
    assertThrows(IndexOutOfBoundsException.class, () -> Digest.isLowerHex("abc", 2, 4));
    assertThrows(IndexOutOfBoundsException.class, () -> Digest.isLowerHex("abc", -1, 2));
    assertThrows(IndexOutOfBoundsException.class, () -> Digest.isLowerHex("abc", 2, 1));
  }

  @Test
  @DisplayName("C2 the layout is <prefix>/sha256/ab/cd/<hex>, documented as a format")
  void layout() throws Exception {
    byte[] data = "layout".getBytes(UTF_8);
    String hex = sha256(data);
    Digest d = cas.put(data);
    String expected = "cas/sha256/" + hex.substring(0, 2) + "/" + hex.substring(2, 4) + "/" + hex;
    assertEquals(expected, cas.location(d));
    assertTrue(storage.exists(expected));
    try (ContentAddressedStore bare = ContentAddressedStore.builder(storage).prefix("").build()) {
      assertEquals(expected.substring(4), bare.location(d));
    }
  }

  @Test
  @DisplayName("C2 putting present content uploads nothing, from bytes, a stream or a file")
  void putTwiceUploadsOnce(@TempDir Path dir) throws IOException {
    byte[] data = new byte[300_000];
    new java.util.Random(3).nextBytes(data);
    Path spool = Files.createDirectories(dir.resolve("spool"));
    ContentAddressedStore spooling = ContentAddressedStore.builder(storage).spoolDirectory(spool).build();
    Digest first = cas.put(data);
    long writes = storage.writeCalls();
    assertEquals(first, cas.put(data));
    assertEquals(first, spooling.put(new ByteArrayInputStream(data)));
    try (java.util.stream.Stream<Path> left = Files.list(spool)) {
      assertEquals(0, left.count(), "the spool file is deleted");
    }
    Path file = Files.write(dir.resolve("f"), data);
    assertEquals(first, cas.put(file));
    ContentAddressedStore.Insertion again = cas.insert(file);
    assertFalse(again.stored());
    assertEquals(Metadata.of(data), again.metadata());
    assertEquals(writes, storage.writeCalls(), "no second write for present content");
  }

  @Test
  @DisplayName("C3 get returns the content and verifies it while streaming")
  void getVerifies() throws IOException {
    byte[] data = "precious".getBytes(UTF_8);
    Digest d = cas.put(data);
    try (InputStream in = cas.get(d)) {
      assertArrayEquals(data, in.readAllBytes());
    }
    storage.objects.get(cas.location(d))[0] ^= 1; // a flipped byte behind the store's back
    try (InputStream in = cas.get(d)) {
      ChangedExternalResourceException e = assertThrows(ChangedExternalResourceException.class, in::readAllBytes);
      assertTrue(e.getMessage().contains("C3") && e.getMessage().contains("SHA-256"), e.getMessage());
    }
    Digest absent = Digest.sha256("absent".getBytes(UTF_8));
    assertThrows(MissingExternalResourceException.class, () -> cas.get(absent));
  }

  @Test
  @DisplayName("C2 a damaged present object is replaced by a put of the right content")
  void damagedObjectIsRepaired() throws IOException {
    byte[] data = "fragile".getBytes(UTF_8);
    Digest d = cas.put(data);
    storage.storeBytes(cas.location(d), "fragilE".getBytes(UTF_8));
    assertTrue(cas.insert(Files.write(Files.createTempFile("cas", ".bin"), data)).stored());
    try (InputStream in = cas.get(d)) {
      assertArrayEquals(data, in.readAllBytes());
    }
  }

  @Test
  @DisplayName("C3 findMissing says which of many digests are absent, in order, once each")
  void findMissing() {
    List<Digest> all = new ArrayList<>();
    List<Digest> absent = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      byte[] data = ("object " + i).getBytes(UTF_8);
      if (i % 3 == 0) {
        absent.add(Digest.sha256(data));
        all.add(Digest.sha256(data));
      } else {
        all.add(cas.put(data));
      }
    }
    all.add(all.get(0)); // duplicates are reported once
    Set<Digest> missing = cas.findMissing(all);
    assertEquals(absent, new ArrayList<>(missing));
    assertEquals(Set.of(), cas.findMissing(List.of()));
  }

  @Test
  @DisplayName("contains and delete")
  void containsAndDelete() {
    Digest d = cas.put(new byte[] {1});
    assertTrue(cas.contains(d));
    assertTrue(cas.delete(d));
    assertFalse(cas.contains(d));
    assertFalse(cas.delete(d));
  }

  @Test
  @DisplayName("SHA-512 can be chosen instead")
  void sha512() {
    try (ContentAddressedStore c = ContentAddressedStore.builder(storage).algorithm(Digest.SHA512).build()) {
      Digest d = c.put(new byte[] {1, 2});
      assertEquals("sha512", d.algorithm());
      assertEquals(128, d.hex().length());
      assertTrue(c.location(d).startsWith("cas/sha512/"));
    }
  }
}
