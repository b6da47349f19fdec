package org.stowage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LocationTest {

  @Test
  @DisplayName("L1 accepts exactly 1024 UTF-8 bytes and rejects 1025, counting multi-byte characters")
  void lengthLimitCountsUtf8Bytes() {
    assertTrue(Location.isValid("a".repeat(1024)));
    assertFalse(Location.isValid("a".repeat(1025)));
    String euro = "\u20ac"; // 3 bytes in UTF-8
    assertTrue(Location.isValid(euro.repeat(341) + "a"), "1023 + 1 bytes");
    assertFalse(Location.isValid(euro.repeat(342)), "1026 bytes");
    String clef = "\ud834\udd1e"; // U+1D11E, 4 bytes in UTF-8
    assertTrue(Location.isValid(clef.repeat(256)), "1024 bytes");
    assertFalse(Location.isValid(clef.repeat(256) + "a"), "1025 bytes");
    InvalidLocationException e =
        assertThrows(InvalidLocationException.class, () -> Location.of("x".repeat(2000)));
    assertTrue(e.getMessage().contains("1024"), e.getMessage());
    assertTrue(e.getMessage().length() < 400, "long locations are shortened in messages");
  }

  @ParameterizedTest(name = "L2 rejects \"{0}\"")
  @ValueSource(
      strings = {
        "", "/", "/abs", "a/", "a//b", ".", "..", "../x", "a/../b", "a/..", "./a", "a/./b",
        "a\\b", "\\", "a\u0000b", "a\u0001", "\u001f", "a\u007fb", "a\nb", "a\tb", ".stowage",
        ".stowage-tmp-1", "a/.stowage/b", "a/.stowagefoo"
      })
  void rejectsEveryInvalidClass(String bad) {
    InvalidLocationException e = assertThrows(InvalidLocationException.class, () -> Location.of(bad));
    assertEquals("L2", e.rule());
    assertEquals(Optional.of(bad), e.location());
    assertTrue(e.getMessage().contains("rule L2"), e.getMessage());
    assertFalse(e.getMessage().contains("\u0000"), "control characters are escaped in messages");
    assertFalse(Location.isValid(bad));
  }

  @Test
  @DisplayName("messages show characters beyond U+FFFF as themselves and escape unpaired surrogates")
  void quoting() {
    assertEquals("\"a\ud83d\ude00b\"", Location.quote("a\ud83d\ude00b"));
    assertEquals("\"a\\ud83db\"", Location.quote("a\ud83db"));
    assertEquals("\"a\\u0000\"", Location.quote("a\u0000"));
    assertFalse(Location.isValid(null));
  }

  @Test
  @DisplayName("messages escape characters that do not show: a key ending in U+E000 does not seem to end early")
  void quotingInvisible() {
    assertEquals("\"a\\ue000\"", Location.quote("a\uE000"));
    assertEquals("\"a\\u200bb\"", Location.quote("a\u200Bb"));
    assertEquals("\"a\\u00a0b\"", Location.quote("a\u00A0b"));
    assertEquals("\"\\udb80\\udc00\"", Location.quote("\uDB80\uDC00"), "U+F0000, private use");
    assertEquals("\"a b\uFFFD\u00e9\"", Location.quote("a b\uFFFD\u00e9"));
    assertThrows(NullPointerException.class, () -> Location.of(null));
  }

  @Test
  @DisplayName("L2 rejects unpaired surrogates, which have no UTF-8 form")
  void rejectsUnpairedSurrogates() {
    assertFalse(Location.isValid("a\ud800"));
    assertFalse(Location.isValid("\udc00a"));
    assertFalse(Location.isValid("a\ud800b"));
    assertTrue(Location.isValid("a\ud800\udc00b"));
  }

  @ParameterizedTest(name = "L2 accepts \"{0}\"")
  @ValueSource(
      strings = {
        "a", "a/b/c", "foo.txt", "..a", "a..", "a/..b/c", ".hidden", "a/.b", ".stowag",
        "stowage", "a b", "caf\u00e9", "\ud83d\ude00/x", "a-b_c~d=e+f,g;h'i\"j", "%2e%2e"
      })
  void acceptsValidLocations(String good) {
    assertEquals(good, Location.of(good).value());
  }

  @Test
  @DisplayName("L3 never rewrites a location: case and Unicode normalisation are kept")
  void neverNormalises() {
    String nfc = Normalizer.normalize("caf\u00e9", Normalizer.Form.NFC);
    String nfd = Normalizer.normalize("caf\u00e9", Normalizer.Form.NFD);
    assertNotEquals(nfc, nfd);
    assertEquals(nfd, Location.of(nfd).value());
    assertNotEquals(Location.of(nfc), Location.of(nfd));
    assertNotEquals(Location.of("A"), Location.of("a"));
  }

  @ParameterizedTest(name = "L5 accepts the prefix \"{0}\"")
  @ValueSource(strings = {"", "a", "a/", "foo_dir/", "foo_dir/a", "foo_dir/a.txt", "a/b/"})
  void acceptsPrefixes(String prefix) {
    assertEquals(prefix, Location.checkPrefix(prefix));
  }

  @ParameterizedTest(name = "L5 rejects the prefix \"{0}\"")
  @ValueSource(strings = {"/", "//", "a//", "/a", "../", "a/../", "a/..", "a\\", "a\u0000", ".stowage", "a/./"})
  void rejectsPrefixes(String prefix) {
    InvalidLocationException e =
        assertThrows(InvalidLocationException.class, () -> Location.checkPrefix(prefix));
    assertEquals("L5", e.rule());
  }

  @Test
  @DisplayName("segments, name, parent and resolve agree with the string")
  void parts() {
    Location l = Location.of("dag/unit/out.txt");
    assertEquals(List.of("dag", "unit", "out.txt"), l.segments());
    assertEquals("out.txt", l.name());
    assertEquals(Optional.of(Location.of("dag/unit")), l.parent());
    assertEquals(Optional.empty(), Location.of("top").parent());
    assertEquals(Location.of("dag/unit/sub/x"), Location.of("dag/unit").resolve("sub/x"));
    assertThrows(InvalidLocationException.class, () -> l.resolve("../x"));
  }

  @Test
  @DisplayName("I2 UTF8_ORDER agrees with comparing UTF-8 bytes, unsigned")
  void utf8OrderAgreesWithBytes() {
    char[] alphabet = {'a', 'b', '/', '-', '\u00e9', '\u4e00', '\uff61', '\ud83d', '\ude00', '\ud800', '\udc00', '\ufffd'};
    qt().withExamples(2000)
        .forAll(
            lists().of(integers().between(0, alphabet.length - 1)).ofSizeBetween(0, 6),
            lists().of(integers().between(0, alphabet.length - 1)).ofSizeBetween(0, 6))
        .check(
            (x, y) -> {
              String a = wellFormed(x, alphabet);
              String b = wellFormed(y, alphabet);
              int expected = Integer.signum(Arrays.compareUnsigned(
                  a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8)));
              return Integer.signum(Location.UTF8_ORDER.compare(a, b)) == expected;
            });
    // The case String.compareTo gets wrong: U+1F600 (surrogates) sorts after U+FF61 in UTF-8.
    assertTrue(Location.UTF8_ORDER.compare("\ud83d\ude00", "\uff61") > 0);
    assertTrue("\ud83d\ude00".compareTo("\uff61") < 0);
  }

  /** Builds a string from the alphabet, pairing surrogates so the result is well-formed. */
  private static String wellFormed(List<Integer> picks, char[] alphabet) {
    StringBuilder sb = new StringBuilder();
    for (int i : picks) {
      char c = alphabet[i];
      if (Character.isHighSurrogate(c)) {
        sb.append(c).append('\ude00');
      } else if (Character.isLowSurrogate(c)) {
        sb.append('\ud83d').append(c);
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
