package org.stowage.filesystem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.Location;

/** Listing: order, prefixes, laziness, tolerance and bounds (rules I1 to I4, I7). */
class FileStorageListingTest {
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

  private List<String> list(String prefix) {
    try (Stream<String> listed = storage.iterContents(prefix)) {
      return listed.collect(Collectors.toList());
    }
  }

  private void storeAll(List<String> locations) {
    for (String location : locations) {
      storage.storeBytes(location, Disk.utf8(location));
    }
  }

  @Test
  @DisplayName("I2 a directory sorts as name + \"/\": a-c, a.d, a/b, a0, ab")
  void directoryOrder() {
    List<String> expected = List.of("a-c", "a.d", "a/b", "a/b-x/y", "a/b.z", "a/b/c", "a0", "ab");
    List<String> shuffled = new ArrayList<>(expected);
    java.util.Collections.shuffle(shuffled, new java.util.Random(7));
    // "a/b" and "a/b/c" cannot both be objects on a filesystem: keep the file, drop the other.
    shuffled.remove("a/b/c");
    storeAll(shuffled);
    List<String> want = new ArrayList<>(expected);
    want.remove("a/b/c");
    assertEquals(want, list(""));
    assertEquals(List.of("a/b", "a/b-x/y", "a/b.z"), list("a/"));
    assertEquals(List.of("a/b", "a/b-x/y", "a/b.z"), list("a/b"));
    assertEquals(List.of("a-c", "a.d", "a/b", "a/b-x/y", "a/b.z", "a0", "ab"), list("a"));
  }

  @Test
  @DisplayName("I2 the order is by UTF-8 bytes (code points), not UTF-16 units, for non-BMP names")
  void nonBmpOrder() {
    String bmpHigh = "n/\ue000";          // U+E000
    String replacement = "n/\ufffd";      // U+FFFD
    String emoji = "n/\ud83d\ude00";      // U+1F600, a surrogate pair in UTF-16
    String emojiDir = "n/\ud83d\ude00x/y";
    String ascii = "n/z";
    storeAll(List.of(emoji, ascii, replacement, emojiDir, bmpHigh));
    List<String> expected = List.of(ascii, bmpHigh, replacement, emoji, emojiDir);
    assertEquals(expected, list(""));
    assertEquals(expected, list("n/"));
    TreeSet<String> byUtf8 = new TreeSet<>(Location.UTF8_ORDER);
    byUtf8.addAll(expected);
    assertEquals(new ArrayList<>(byUtf8), list("n"));
    assertEquals(List.of(emoji, emojiDir), list("n/\ud83d\ude00"));
  }

  @Test
  @DisplayName("I1 only objects are listed: no directories, temp files, records or special entries")
  void onlyObjects() throws IOException {
    storeAll(List.of("x/1", "x/y/2"));
    Files.createDirectories(root.resolve("empty/deeper"));
    Files.write(root.resolve("x/.stowage-tmp-123"), Disk.utf8("t"));
    Files.createDirectories(root.resolve("x/.stowage-other"));
    Files.write(root.resolve("x/.stowage-other/file"), Disk.utf8("t"));
    assertEquals(List.of("x/1", "x/y/2"), list(""));
    assertEquals(List.of(), list("empty"));
    assertEquals(List.of(), list("empty/"));
    assertEquals(List.of(), list("x/1/"));
    assertEquals(List.of(), list("nothing/here/"));
    assertTrue(Files.isDirectory(root.resolve(".stowage")));
  }

  @Test
  @DisplayName("I3 the listing is lazy: a directory is read only when the walk reaches it")
  void lazy() {
    storeAll(List.of("a/1", "z/1"));
    try (Stream<String> listed = storage.iterContents("")) {
      Iterator<String> it = listed.iterator();
      assertEquals("a/1", it.next());
      storage.storeBytes("z/0", Disk.utf8("late"));
      storage.storeBytes("m/1", Disk.utf8("too late: the root was read already"));
      List<String> rest = new ArrayList<>();
      it.forEachRemaining(rest::add);
      assertEquals(List.of("z/0", "z/1"), rest);
    }
  }

  @Test
  @DisplayName("I4 objects deleted during a listing are skipped; the listing never fails")
  void vanishing() {
    List<String> all = new ArrayList<>();
    for (int d = 0; d < 10; d++) {
      for (int f = 0; f < 10; f++) {
        all.add("d" + d + "/sub/f" + f);
      }
    }
    storeAll(all);
    List<String> seen = new ArrayList<>();
    try (Stream<String> listed = storage.iterContents("")) {
      Iterator<String> it = listed.iterator();
      seen.add(it.next());
      seen.add(it.next());
      for (int d = 0; d < 10; d += 2) {
        for (int f = 0; f < 10; f++) {
          storage.delete("d" + d + "/sub/f" + f); // also prunes whole directories
        }
      }
      it.forEachRemaining(seen::add);
    }
    Set<String> allSet = Set.copyOf(all);
    assertTrue(allSet.containsAll(seen), seen.toString());
    TreeSet<String> sorted = new TreeSet<>(Location.UTF8_ORDER);
    sorted.addAll(seen);
    assertEquals(new ArrayList<>(sorted), seen);
    for (String location : seen.subList(Math.min(seen.size(), 12), seen.size())) {
      assertFalse(location.startsWith("d2/") || location.startsWith("d4/"), location);
    }
    assertTrue(seen.containsAll(all.subList(10, 20)), "d1 was never deleted");
  }

  @Test
  @DisplayName("I3 closing a listing early releases it; later listings are unaffected")
  void closeEarly() {
    storeAll(List.of("c/1", "c/2", "c/3"));
    Stream<String> listed = storage.iterContents("c/");
    Iterator<String> it = listed.iterator();
    assertEquals("c/1", it.next());
    listed.close();
    assertEquals(List.of("c/1", "c/2", "c/3"), list("c"));
  }

  @Test
  @DisplayName("I7 a listing after a bound leaves unexamined what sorts before it: links there are not warned about")
  void boundSkipsUnexamined() throws IOException {
    storeAll(List.of("a/1", "m/1", "z/1"));
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.createSymbolicLink(root.resolve("a").resolve("dangling"), root.resolve("nowhere"));
    Files.createSymbolicLink(root.resolve("b-out"), outside);
    Files.createSymbolicLink(root.resolve("m").resolve("0-out"), outside);

    String bounded = warningsDuring(() -> assertEquals(List.of("z/1"), listAfter("", "m/1")));
    assertFalse(bounded.contains("listing skips"),
        "I7: a/ and b-out sort before the bound m/1 and m/0-out before it too, so the walk neither"
            + " reads a/ nor follows the links, and warns about none of them: " + bounded);

    String whole = warningsDuring(() -> assertEquals(List.of("a/1", "m/1", "z/1"), list("")));
    for (String link : List.of("a/dangling", "b-out", "m/0-out")) {
      assertTrue(whole.contains("listing skips " + FileStorage.quote(link)),
          "L4: without a bound the walk examines " + link + " and warns that it skips it: " + whole);
    }

    String inside = warningsDuring(() -> assertEquals(List.of("m/1", "z/1"), listAfter("", "m/")));
    assertTrue(inside.contains("listing skips " + FileStorage.quote("m/0-out")),
        "I7: m/0-out sorts after the bound m/, so it is examined (and warned about): " + inside);
    assertFalse(inside.contains(FileStorage.quote("a/dangling")) || inside.contains(FileStorage.quote("b-out")),
        "I7: a/ and b-out sort before the bound m/ and stay unexamined: " + inside);
  }

  @Test
  @DisplayName("I4 a directory whose path is longer than the system allows (made by hand) is skipped, and the listing goes on")
  void pathTooLong() throws IOException {
    storeAll(List.of("a/1", "z/1"));
    String name = "d".repeat(200);
    Path upper = root.resolve("deep");
    Path lower = dir.resolve("lower");
    for (int i = 0; i < 12; i++) {
      upper = upper.resolve(name);
      lower = lower.resolve(name);
    }
    Files.createDirectories(upper);
    Files.createDirectories(lower);
    Files.write(lower.resolve("f"), Disk.utf8("too deep to be named"));
    // Each half is under PATH_MAX (4096 bytes); together they are over it, so no path names the
    // lower half's directories, and the walk cannot open them by path.
    Path joined = upper.resolve("lower");
    Files.move(dir.resolve("lower"), joined);
    try {
      assertTrue(joined.toString().length() + 12 * 201 > 4096, joined.toString().length() + " bytes");
      String warnings = warningsDuring(() -> assertEquals(List.of("a/1", "z/1"), list("")));
      assertTrue(warnings.contains("its path is longer than the system allows"), warnings);
      try (Stream<org.stowage.ListedObject> listed = storage.iterObjects("", "", 8192)) {
        assertEquals(List.of("a/1", "z/1"), listed.map(org.stowage.ListedObject::location).toList());
      }
    } finally {
      Files.move(joined, dir.resolve("lower")); // paths the temporary directory's cleanup can name
    }
  }

  private List<String> listAfter(String prefix, String startAfter) {
    try (Stream<String> listed = storage.iterContents(prefix, startAfter)) {
      return listed.collect(Collectors.toList());
    }
  }

  /**
   * What was written to standard error, where slf4j-simple logs (it looks up {@code System.err}
   * at every message), while {@code action} ran.
   */
  private static String warningsDuring(Runnable action) {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      action.run();
    } finally {
      System.setErr(original);
    }
    return captured.toString(StandardCharsets.UTF_8);
  }
}
