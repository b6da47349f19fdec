package org.stowage.testkit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.stowage.InvalidLocationException;
import org.stowage.Location;

/** The generators make what they promise: every class of invalid location, valid ones, sizes. */
class GeneratorsTest {

  /** {@code n} values of {@code gen}, the same every run. */
  private static <T> List<T> sample(Gen<T> gen, int n) {
    List<T> out = new ArrayList<>();
    qt().withExamples(n).withFixedSeed(42).withShrinkCycles(0).forAll(gen).checkAssert(out::add);
    return out;
  }

  @Test
  @DisplayName("L2 every generated invalid location is invalid, and every class of L2 is generated")
  void invalidLocations() {
    List<Generators.Invalid> all = sample(Generators.invalidLocations(), 3000);
    Set<String> kinds = new TreeSet<>();
    Set<Character> controls = new TreeSet<>();
    for (Generators.Invalid invalid : all) {
      assertFalse(Location.isValid(invalid.value()), "generated as invalid: " + invalid);
      kinds.add(invalid.kind().startsWith("control") ? "control" : invalid.kind());
      invalid.value().chars().filter(c -> c < 0x20 || c == 0x7f).forEach(c -> controls.add((char) c));
    }
    assertEquals(new TreeSet<>(List.of(
        "empty string", "only /", "leading /", "trailing /", "empty segment", ". segment",
        ".. segment", "backslash", "control", "more than 1024 bytes",
        "more than 1024 bytes, last character crossing the limit",
        "segment starting with .stowage", "unpaired surrogate")), kinds);
    assertEquals(33, controls.size(), "NUL, U+0001 to U+001F and U+007F all appear: " + controls);
  }

  @Test
  @DisplayName("L5 every generated invalid prefix is invalid as a prefix")
  void invalidPrefixes() {
    for (Generators.Invalid invalid : sample(Generators.invalidPrefixes(), 2000)) {
      InvalidLocationException e = assertThrows(InvalidLocationException.class,
          () -> Location.checkPrefix(invalid.value()), invalid::toString);
      assertEquals("L5", e.rule());
    }
  }

  @Test
  @DisplayName("L1 generated valid locations are valid, with segments of at most 255 bytes")
  void validLocations() {
    int nonBmp = 0;
    int combining = 0;
    int atLimit = 0;
    for (String location : sample(Generators.validLocations(), 3000)) {
      assertTrue(Location.isValid(location), Generators.quote(location));
      for (String segment : location.split("/")) {
        assertTrue(Generators.utf8Length(segment) <= Generators.PORTABLE_SEGMENT_BYTES,
            Generators.quote(location));
      }
      nonBmp += location.codePoints().anyMatch(cp -> cp > 0xFFFF) ? 1 : 0;
      combining += location.contains("\u0301") ? 1 : 0;
      atLimit += Generators.utf8Length(location) == Location.MAX_BYTES ? 1 : 0;
    }
    assertTrue(nonBmp > 100 && combining > 50 && atLimit > 5,
        "non-BMP " + nonBmp + ", combining " + combining + ", 1024 bytes " + atLimit);
  }

  @Test
  @DisplayName("L1 exact-size locations have exactly the size asked for")
  void exactBytes() {
    for (int size : List.of(1, 2, 255, 256, 257, 511, 1000, 1024)) {
      for (String location : sample(Generators.exactBytes(org.quicktheories.generators.Generate.constant(size)), 50)) {
        assertEquals(size, Generators.utf8Length(location), Generators.quote(location));
        assertTrue(Location.isValid(location), Generators.quote(location));
      }
    }
  }

  @Test
  @DisplayName("I1 location sets never nest, and their prefixes are valid")
  void locationSets() {
    for (List<String> set : sample(Generators.locationSets(12), 500)) {
      for (String a : set) {
        assertTrue(Generators.utf8Length(a) <= Location.MAX_BYTES - Generators.NAMESPACE_BYTES);
        for (String b : set) {
          assertTrue(a.equals(b) || !Generators.nested(a, b), a + " and " + b + " nest");
        }
      }
      for (String prefix : sample(Generators.prefixesOf(set), 20)) {
        assertDoesNotThrow(() -> Location.checkPrefix(prefix), Generators.quote(prefix));
      }
    }
  }

  /** A tree, a prefix for it and a bound around both, drawn together as the I7 property does. */
  private record Bounded(List<String> tree, String prefix, String bound) {}

  @Test
  @DisplayName("I7 location trees nest and stress UTF-8 order, their prefixes are valid, their bounds cover every kind")
  void locationTreesAndBounds() {
    Gen<Bounded> gen = Generators.locationTrees(10, 900).flatMap(tree ->
        Generators.listingPrefixesOf(tree).flatMap(prefix ->
            Generators.boundsAround(tree, prefix).map(bound -> new Bounded(tree, prefix, bound))));
    boolean nested = false;
    boolean besideDirectory = false;
    boolean fourBytes = false;
    int invalidBounds = 0;
    int storedBounds = 0;
    int pastAll = 0;
    List<Bounded> all = sample(gen, 3000);
    for (Bounded c : all) {
      for (String a : c.tree()) {
        assertTrue(Location.isValid(a), Generators.quote(a));
        assertTrue(Generators.utf8Length(a) <= 900 - Generators.NAMESPACE_BYTES, Generators.quote(a));
        fourBytes |= a.codePoints().anyMatch(cp -> cp > 0xFFFF);
        for (String b : c.tree()) {
          nested |= b.startsWith(a + "/");
          int slash = a.indexOf('/');
          besideDirectory |= slash > 0 && (b.startsWith(a.substring(0, slash) + "-")
              || b.startsWith(a.substring(0, slash) + "."));
        }
      }
      assertDoesNotThrow(() -> Location.checkPrefix(c.prefix()), Generators.quote(c.prefix()));
      String bound = c.bound();
      assertFalse(bound.codePoints().anyMatch(cp -> cp >= 0xD800 && cp <= 0xDFFF),
          () -> "a bound has no unpaired surrogate: " + Generators.quote(bound));
      invalidBounds += Location.isValid(bound) ? 0 : 1;
      storedBounds += c.tree().contains(bound) ? 1 : 0;
      pastAll += bound.endsWith(Generators.LAST_CODE_POINT) ? 1 : 0;
    }
    assertTrue(nested, "some trees hold a and a/...");
    assertTrue(besideDirectory, "some trees hold a-... or a.... next to a directory a/");
    assertTrue(fourBytes, "some trees hold characters above U+FFFF");
    int total = all.size();
    assertTrue(invalidBounds > total / 20 && storedBounds > total / 20 && pastAll > total / 20,
        "bounds: " + invalidBounds + " invalid, " + storedBounds + " stored, " + pastAll
            + " ending in U+10FFFF of " + total);
    assertEquals("a/c", Generators.lastCodePointRaised("a/b"));
    assertEquals("a\ue000", Generators.lastCodePointRaised("a\ud7ff"));
    assertEquals("\ud83d\ude01", Generators.lastCodePointRaised("\ud83d\ude00"));
    assertEquals(Generators.LAST_CODE_POINT, Generators.lastCodePointRaised(Generators.LAST_CODE_POINT));
  }

  @Test
  @DisplayName("S4 contents stay within maxObjectSize and hit the buffer boundaries")
  void contents() {
    Set<Integer> sizes = new TreeSet<>();
    for (Content c : sample(Generators.contents(2L << 20), 2000)) {
      assertTrue(c.size() <= 2 << 20);
      sizes.add(c.size());
    }
    assertTrue(sizes.containsAll(List.of(0, 1, 65535, 65536, 65537, 1048575, 1048576, 1048577)),
        "boundaries: " + sizes.stream().filter(s -> s == 0 || s == 1 || s > 65000).limit(40).toList());
    for (Content c : sample(Generators.contents(100), 200)) {
      assertTrue(c.size() <= 100);
    }
  }

  @Test
  @DisplayName("quote shows NFC and NFD, controls and lone surrogates apart")
  void quote() {
    assertEquals("\"caf\u00e9\"", Generators.quote("caf\u00e9"));
    assertEquals("\"cafe\\u0301\"", Generators.quote("cafe\u0301"));
    assertEquals("\"a\\u0000\\\\\\\"\"", Generators.quote("a\u0000\\\""));
    assertEquals("\"\\ud800x\"", Generators.quote("\ud800x"));
    assertEquals("\"\ud83d\ude00\"", Generators.quote("\ud83d\ude00"));
  }
}
