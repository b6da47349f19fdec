package org.stowage.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.InvalidLocationException;
import org.stowage.Location;

/** Rules L1 to L5: which locations and prefixes are valid, and that they are kept verbatim. */
abstract class LocationChecks extends ContractGroup {

  LocationChecks(ExternalStorageContract contract) {
    super(contract);
  }

  @Test
  @DisplayName("L1 stores a one-byte location and one of exactly 1024 UTF-8 bytes (or of the"
      + " shorter limit the backend declares, L1.3)")
  void limits() throws IOException {
    String longest = exactLocation(caps.maxLocationBytes());
    String widestSegment = "w/" + "\u00e9".repeat(127) + "x";
    assertEquals(caps.maxLocationBytes(), utf8(longest), "the test's own location");
    assertEquals(257, utf8(widestSegment), "the test's own location");
    for (String location : List.of("a", longest, widestSegment)) {
      Content content = new Content(10, location.length());
      storage.storeBytes(location, content.bytes());
      assertHolds(location, content, "L1: a valid location of " + utf8(location) + " bytes");
    }
    assertEquals(sorted("a", longest, widestSegment), list(""),
        "L1: every valid location must be listed as stored");
  }

  @Test
  @DisplayName("L1.3 a location over the backend's declared limit is refused with L1 and the limit")
  void rootLimit() throws IOException {
    int limit = caps.maxLocationBytes();
    assumeTrue(limit < Location.MAX_BYTES, () -> "the backend declares no limit below "
        + Location.MAX_BYTES + " bytes (capability maxLocationBytes); longer locations are L2's");
    storage.storeBytes("keep", new byte[] {7});
    for (int bytes : new int[] {limit + 1, Location.MAX_BYTES}) {
      String location = exactLocation(bytes);
      String what = "L1: a location of " + bytes + " bytes, over the declared limit of " + limit;
      InvalidLocationException e = assertThrows(InvalidLocationException.class,
          () -> storage.storeBytes(location, new byte[] {1, 2}), what + " must be refused");
      assertEquals("L1", e.rule(), what + ": the exception's rule");
      assertTrue(e.getMessage().contains("L1") && e.getMessage().contains(Integer.toString(limit)),
          () -> what + ": the message must name L1 and the limit: " + e.getMessage());
      assertEquals(Optional.of(location), e.location(), what + ": the exception's location");
    }
    assertEquals(List.of("keep"), list(""), "L1: a refused location must leave the store as it was");
  }

  @Test
  @DisplayName("L1 a segment over 255 bytes is stored, or refused cleanly (not portable)")
  void longSegment() throws IOException {
    String location = "long/" + "x".repeat(300);
    storedOrRefusedCleanly(location, List.of(), "a segment of 300 bytes");
  }

  @Test
  @DisplayName("L1 an object inside another object's \"directory\" is stored, or refused cleanly")
  void objectInsideObject() throws IOException {
    Content outer = new Content(4, 1);
    storage.storeBytes("p", outer.bytes());
    storedOrRefusedCleanly("p/q", List.of("p"), "\"p/q\" while \"p\" is an object");
    assertHolds("p", outer, "L1: the object \"p\"");

    storage.storeBytes("r/s", outer.bytes());
    List<String> before = list("");
    storedOrRefusedCleanly("r", before, "\"r\" while \"r/s\" is an object");
    assertHolds("r/s", outer, "L1: the object \"r/s\"");
  }

  /**
   * Stores a new object at {@code location}; it must then load back, or the store must fail
   * with ExternalResourceException and leave the listing as {@code before}.
   */
  private void storedOrRefusedCleanly(String location, List<String> before, String what)
      throws IOException {
    Content content = new Content(6, 2);
    try {
      storage.storeBytes(location, content.bytes());
    } catch (ExternalResourceException refused) {
      assertFalse(storage.exists(location),
          "L1: a refused store of " + what + " must store nothing (S2)");
      assertEquals(before, list(""),
          "L1: a refused store of " + what + " must leave the store as it was (S2)");
      return;
    }
    assertHolds(location, content, "L1: a stored object at " + what);
  }

  @Test
  @DisplayName("L2 rejects the empty string")
  void empty() {
    assertRejectedEverywhere("", "the empty string");
  }

  @Test
  @DisplayName("L2 rejects a leading or trailing /")
  void slashes() {
    for (String s : List.of("/", "/a", "a/", "/a/b", "a/b/", "//")) {
      assertRejectedEverywhere(s, "a leading or trailing /");
    }
  }

  @Test
  @DisplayName("L2 rejects an empty segment (a//b)")
  void emptySegment() {
    for (String s : List.of("a//b", "a///b", "a/b//c")) {
      assertRejectedEverywhere(s, "an empty segment");
    }
  }

  @Test
  @DisplayName("L2 rejects a . segment")
  void dot() {
    for (String s : List.of(".", "./a", "a/.", "a/./b")) {
      assertRejectedEverywhere(s, "a . segment");
    }
  }

  @Test
  @DisplayName("L2 rejects a .. segment")
  void dotDot() {
    for (String s : List.of("..", "../a", "a/..", "a/../b", "a/b/../../..", "../../etc/passwd")) {
      assertRejectedEverywhere(s, "a .. segment");
    }
  }

  @Test
  @DisplayName("L2 rejects a backslash")
  void backslash() {
    for (String s : List.of("\\", "a\\b", "..\\a", "a\\..\\b", "C:\\x")) {
      assertRejectedEverywhere(s, "a backslash");
    }
  }

  @Test
  @DisplayName("L2 rejects NUL and every control character, U+0001 to U+001F and U+007F")
  void controls() {
    for (int c = 0; c <= 0x20; c++) {
      char control = (char) (c == 0x20 ? 0x7f : c);
      assertRejectedEverywhere(
          "a" + control + "b", String.format("the control character U+%04X", (int) control));
    }
  }

  @Test
  @DisplayName("L2 rejects more than 1024 UTF-8 bytes, counting bytes, not characters")
  void tooLong() {
    assertRejectedEverywhere(exactLocation(Location.MAX_BYTES + 1), "1025 bytes");
    assertRejectedEverywhere("a".repeat(1023) + "\u00e9", "1025 bytes, the last character crossing the limit");
    assertRejectedEverywhere("\u00e9".repeat(513), "513 two-byte characters");
    assertRejectedEverywhere("\ud83d\ude00".repeat(257), "257 four-byte characters");
  }

  @Test
  @DisplayName("L2 rejects a segment that starts with .stowage")
  void reserved() {
    for (String s : List.of(".stowage", ".stowage-tmp-1", "a/.stowage/b", "a/.stowagex", "a/.stowage")) {
      assertRejectedEverywhere(s, "a segment starting with .stowage");
    }
  }

  @Test
  @DisplayName("L2 rejects an unpaired surrogate")
  void surrogates() {
    for (String s : List.of("\ud800", "a\udc00b", "\ude00\ud83d", "a/\udbff")) {
      assertRejectedEverywhere(s, "an unpaired surrogate");
    }
  }

  @Test
  @DisplayName("L2 property: every invalid location is rejected by every operation, the backend untouched")
  void invalidProperty() {
    Theories.check(tuning, "L2", "every invalid location is rejected by every operation",
        tuning.examples(), 200, Generators.invalidLocations(),
        invalid -> assertRejectedEverywhere(invalid.value(), invalid.kind()));
  }

  @Test
  @DisplayName("L3 keeps NFC and NFD spellings apart")
  void normalisation() throws IOException {
    List<String> spellings = List.of(
        "caf\u00e9", "cafe\u0301", "\u00c5", "A\u030a", "\u212b", "\uac00", "\u1100\u1161");
    assertKeptApart(spellings, "L3: canonically equivalent spellings are different locations");
  }

  @Test
  @DisplayName("L3 is case-sensitive and keeps spaces, percent signs and plus signs as they are")
  void verbatim() throws IOException {
    List<String> names = List.of(
        "Readme", "README", "readme", "a b", "a+b", "a%20b", "x/a%2Fb", "x/a/b", " lead", "lead",
        "trail ", "trail", "q?x=1", "frag#1", "col:on", "t\u00e9st~1");
    assertKeptApart(names, "L3: locations are case-sensitive and never rewritten");
  }

  private void assertKeptApart(List<String> locations, String rule) throws IOException {
    for (int i = 0; i < locations.size(); i++) {
      storage.storeBytes(locations.get(i), new Content(8, i).bytes());
    }
    for (int i = 0; i < locations.size(); i++) {
      assertHolds(locations.get(i), new Content(8, i), rule);
    }
    assertEquals(sorted(locations.toArray(String[]::new)), list(""),
        rule + "; the listing must give each location exactly as stored");
  }

  @Test
  @DisplayName("L3 property: every valid location is stored, listed and loaded verbatim")
  void verbatimProperty() {
    Theories.check(tuning, "L3", "a valid location is stored, listed and loaded verbatim",
        tuning.examples(), 200, Generators.validLocations(caps.maxLocationBytes()).describedAs(Generators::quote),
        location -> {
          Content content = new Content(location.length() % 7, location.hashCode());
          storage.storeBytes(location, content.bytes());
          List<String> listed = list(location);
          assertTrue(listed.contains(location),
              () -> "L3: iterContents(location) must list the location exactly as stored, but"
                  + " gives " + quoted(listed));
          assertTrue(storage.exists(location), "L3: exists must find the location as stored");
          assertArrayEquals(content.bytes(), storage.loadBytes(location),
              "L3: the location must load the bytes stored there");
          assertTrue(storage.deleteIfExists(location), "D1: deleteIfExists of a stored object");
        });
  }

  @Test
  @DisplayName("L4 does not follow a symbolic link to a directory outside the root")
  void symlinkedDirectory() throws Exception {
    assumeCapability(caps.localFileUris(), "localFileUris", "the test plants a link among the files");
    Content original = new Content(16, 1);
    storage.storeBytes("esc/inner", original.bytes());
    Path file = Path.of(storage.uri("esc/inner"));
    Path dir = file.getParent();
    assumeTrue(file.getFileName().toString().equals("inner")
            && dir.getFileName().toString().equals("esc"),
        "needs a layout where a location's segments are the object's directories and file name");
    storage.delete("esc/inner");
    deleteTree(dir);

    Path outside = scratch.newDirectory();
    byte[] secret = "a file outside the root".getBytes(StandardCharsets.UTF_8);
    Files.write(outside.resolve("inner"), secret);
    assumeTrue(createLink(dir, outside), "needs symbolic links on this filesystem");

    assertNotSecret(() -> storage.loadBytes("esc/inner"), secret,
        "L4: loadBytes must not follow a symbolic link out of the root");
    assertNotSecret(() -> readAllOf(storage.loadStream("esc/inner")), secret,
        "L4: loadStream must not follow a symbolic link out of the root");
    assertFalse(listQuietly("").contains("esc/inner"),
        "L4: iterContents must not list a file outside the root through a symbolic link");
    attempt(() -> storage.storeBytes("esc/new", new byte[] {1, 2, 3}));
    assertFalse(Files.exists(outside.resolve("new")),
        "L4: a store must not write through a symbolic link out of the root");
    attempt(() -> storage.storeBytes("esc/inner", new byte[] {4}));
    attempt(() -> storage.deleteIfExists("esc/inner"));
    assertArrayEquals(secret, Files.readAllBytes(outside.resolve("inner")),
        "L4: stores and deletes must not change a file outside the root");
    Files.deleteIfExists(dir);
  }

  @Test
  @DisplayName("L4 does not follow a symbolic link to a file outside the root")
  void symlinkedFile() throws Exception {
    assumeCapability(caps.localFileUris(), "localFileUris", "the test plants a link among the files");
    storage.storeBytes("lnk", new Content(16, 1).bytes());
    Path file = Path.of(storage.uri("lnk"));
    Path outside = scratch.newDirectory().resolve("secret");
    byte[] secret = "a file outside the root".getBytes(StandardCharsets.UTF_8);
    Files.write(outside, secret);
    Files.delete(file);
    assumeTrue(createLink(file, outside), "needs symbolic links on this filesystem");

    assertNotSecret(() -> storage.loadBytes("lnk"), secret,
        "L4: loadBytes must not follow a symbolic link out of the root");
    attempt(() -> storage.storeBytes("lnk", new byte[] {4}));
    attempt(() -> storage.deleteIfExists("lnk"));
    assertArrayEquals(secret, Files.readAllBytes(outside),
        "L4: stores and deletes must not change a file outside the root");
    assertTrue(Files.exists(outside), "L4: a delete must not remove a file outside the root");
    Files.deleteIfExists(file);
  }

  @Test
  @DisplayName("L5 accepts the empty prefix and a trailing /")
  void prefixes() {
    for (String location : List.of("a/b", "a/c", "ab")) {
      storage.storeBytes(location, new byte[] {1});
    }
    assertEquals(List.of("a/b", "a/c", "ab"), list(""), "L5: the empty prefix lists everything");
    assertEquals(List.of("a/b", "a/c"), list("a/"), "L5: a prefix may end with /");
    assertEquals(List.of("a/b", "a/c", "ab"), list("a"), "L5/I1: a plain string prefix");
    for (String partial : List.of("a/.x", "a/..x", ".sto", "a/.stowag", "\u00e9/")) {
      assertEquals(List.of(), list(partial),
          "L5: " + Generators.quote(partial) + " is a valid prefix that matches nothing here");
    }
  }

  @Test
  @DisplayName("L5 rejects invalid prefixes, a last segment of . or .. among them")
  void invalidPrefixes() {
    for (String prefix : List.of(
        "/", "/a", "a//", "a//b", ".", "..", "a/.", "a/..", "./a", "a/../b", "a\\", "a\u0000",
        "a\u001f", ".stowage", "a/.stowage", "a/.stowage-tmp", "\ud800", "a".repeat(1025))) {
      assertPrefixRejected(prefix);
    }
  }

  @Test
  @DisplayName("L5 property: every invalid prefix is rejected, the backend untouched")
  void invalidPrefixProperty() {
    storage.storeBytes("keep/me", new byte[] {7});
    Theories.check(tuning, "L5", "every invalid prefix is rejected", tuning.examples(), 200,
        Generators.invalidPrefixes(), invalid -> assertPrefixRejected(invalid.value()));
    assertEquals(List.of("keep/me"), list(""), "L5: rejected listings must change nothing");
  }

  @Test
  @DisplayName("L6 uri() is distinct for distinct locations and stable for one")
  void uris() throws Exception {
    List<String> locations = new ArrayList<>(List.of("a", "A", "a/b", "a/b/", "a%2Fb", "a b",
        "a+b", "a%20b", "caf\u00e9", "cafe\u0301", ".a", "a.", "a/.b", "ab", "a/b/c", "a//b",
        "\ud83d\ude00", "x?y", "x#y", "x;y", "x\\y"));
    locations.removeIf(l -> !Location.isValid(l));
    locations.add(exactLocation(caps.maxLocationBytes()));
    locations.add(exactLocation(caps.maxLocationBytes() - 1));
    Map<URI, String> seen = new HashMap<>();
    for (String location : locations) {
      URI uri = storage.uri(location);
      assertNotNull(uri, "L6: uri(" + Generators.quote(location) + ") must not be null");
      String other = seen.put(uri, location);
      assertNull(other, () -> "L6: " + Generators.quote(location) + " and "
          + Generators.quote(other) + " must not share the URI " + uri);
    }
    for (int i = 0; i < 4; i++) {
      String location = locations.get(i);
      URI before = storage.uri(location);
      storage.storeBytes("u/" + i, new byte[] {1});
      assertEquals(before, storage.uri(location),
          "L6: uri(" + Generators.quote(location) + ") must not change when objects are stored");
    }
    storage.storeBytes("stored", new byte[] {1, 2});
    URI stored = storage.uri("stored");
    storage.delete("stored");
    assertEquals(stored, storage.uri("stored"), "L6: uri must not change when the object goes");
    if (caps.crossProcessSafety()) {
      try (ExternalStorage second = Objects.requireNonNull(newStorage(), "newStorage()")) {
        for (String location : locations) {
          assertEquals(storage.uri(location), second.uri(location),
              "L6: two instances over one root must give one URI for "
                  + Generators.quote(location));
        }
      }
    }
  }

  @Test
  @DisplayName("L6 property: generated locations get distinct URIs, the same on every call")
  void uriProperty() {
    Theories.check(tuning, "L6", "uri() is distinct per location and stable",
        tuning.examples(2), 0, Generators.locationSets(12, caps.maxLocationBytes()),
        locations -> {
          Map<URI, String> seen = new HashMap<>();
          for (String location : locations) {
            URI uri = storage.uri(location);
            assertEquals(uri, storage.uri(location),
                "L6: uri(" + Generators.quote(location) + ") must be the same on every call");
            String other = seen.put(uri, location);
            assertNull(other, () -> "L6: " + Generators.quote(location) + " and "
                + Generators.quote(other) + " must not share the URI " + uri);
          }
        });
  }
}
