package org.stowage.filesystem;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.Location;

/** FileStorage's listing from a key (rule I7) against the unbounded one, exhaustively on a small tree. */
class FileStorageBoundedListingTest {
  @TempDir Path dir;

  @Test
  @DisplayName("I7 every prefix and bound over a tree with a-c/a/b, U+E000 and U+1F600 names and a directory link")
  void boundedIsTheTailOfUnbounded() throws Exception {
    try (FileStorage storage = FileStorage.builder(dir.resolve("store")).build()) {
      String smile = new String(Character.toChars(0x1F600));
      String[] locations = {"a-c", "a/b-c", "a/b/c", "a/b0", "a\uE000", "a" + smile + "y", "a" + smile + "/x",
          "ab/c", "b", "cas/sha256/00/00/x", "cas/sha256\uE000/y", "cas/sha256" + smile + "/z", "cas/sha256-/w",
          "cas/sha256/" + smile, "cas/t", "z/\uFFFF", "z/" + smile};
      for (String location : locations) {
        storage.storeBytes(location, location.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      Files.createSymbolicLink(storage.root().resolve("l"), storage.root().resolve("a"));
      Files.createSymbolicLink(storage.root().resolve("a0"), storage.root().resolve("ab"));
      List<String> all;
      try (Stream<String> s = storage.iterContents("")) {
        all = s.toList();
      }
      TreeSet<String> bounds = new TreeSet<>();
      bounds.add("");
      bounds.add("cas/sha256/" + new String(Character.toChars(Character.MAX_CODE_POINT)));
      for (String location : all) {
        for (int i = 0; i <= location.length(); i++) {
          if (i > 0 && Character.isHighSurrogate(location.charAt(i - 1))) {
            continue;
          }
          String head = location.substring(0, i);
          for (String tail : new String[] {"", "/", "-", "0", "\uE000", smile, "\uFFFF"}) {
            bounds.add(head + tail);
          }
        }
      }
      List<String> prefixes = new ArrayList<>(List.of("", "a", "a/", "cas/", "cas/sha256", "z/", "l/", "a0/"));
      int checked = 0;
      for (String prefix : prefixes) {
        List<String> listed;
        try (Stream<String> s = storage.iterContents(prefix)) {
          listed = s.toList();
        }
        for (String bound : bounds) {
          List<String> expected = listed.stream().filter(l -> Location.UTF8_ORDER.compare(l, bound) > 0).toList();
          List<String> actual;
          try (Stream<String> s = storage.iterContents(prefix, bound)) {
            actual = s.toList();
          }
          assertEquals(expected, actual, "prefix " + prefix + " after " + bound);
          checked++;
        }
      }
      System.out.println("checked " + checked + " (prefix, bound) pairs over " + all);
    }
  }
}
