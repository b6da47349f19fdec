package org.stowage.testkit;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.stowage.Location;

/**
 * QuickTheories generators for the contract checks: valid and invalid locations and prefixes, and
 * contents. Every generator draws all its randomness from QuickTheories, so that seeds replay and
 * counterexamples shrink (towards short ASCII names and small contents).
 */
final class Generators {
  private Generators() {}

  /** The longest segment the kit generates: NAME_MAX of common filesystems, in UTF-8 bytes. */
  static final int PORTABLE_SEGMENT_BYTES = 255;

  /** Room left in generated locations for a namespace segment and its slash, in bytes. */
  static final int NAMESPACE_BYTES = 32;

  /** Plain characters, first, so that shrinking ends on them. */
  private static final String ASCII =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";

  /** Characters that URL encoders, shells and filesystems treat specially. */
  private static final String PUNCTUATION = " %+#?&=:@~!$'()*,;[]{}^`|<>\"";

  /**
   * Code points beyond ASCII: Latin-1 and other BMP letters, right-to-left scripts, CJK, a private
   * use character (U+E000) and U+FFFD (which sort after surrogates in UTF-16 but before non-BMP
   * characters in UTF-8), invisible ones (no-break space, zero-width space, BOM), combining marks,
   * the Angstrom sign (which NFC rewrites), Hangul jamo, and characters above U+FFFF (emoji,
   * Linear B, a CJK extension ideograph, U+10FFFF).
   */
  private static final int[] UNICODE = {
    0xE9, 0xDF, 0xC5, 0x3A9, 0x416, 0x5D0, 0x627, 0x6F22, 0x3042, 0xAC00, 0xE000, 0xFFFD, 0xA0,
    0x200B, 0xFEFF, 0x2028, 0x301, 0x30A, 0x308, 0x212B, 0x1100, 0x1161, 0x1F600, 0x10000, 0x20000,
    0x1F468, 0x10FFFF
  };

  /** Pieces that make colliding, shared prefixes: sibling names and canonically equal spellings. */
  private static final List<String> SHARED = List.of(
      "a", "b", "ab", "a.b", "a-b", "a b", "A", "\u00e9", "e\u0301", "\ud83d\ude00", "\ue000");

  /** Valid but unusual segments. */
  private static final List<String> EDGY = List.of(
      "...", ".a", "..a", "a.", "a..", " ", "a ", " a", ".stowag", ".Stowage", "stowage", "-",
      "%2F", "%2e%2e", "a+b", "~", "CON", "nul", "x.tmp", "\u00c5", "A\u030a", "\u212b");

  // ---------------------------------------------------------------------------------------------
  // Valid locations

  /**
   * Valid locations of every kind: ordinary names, names from a small alphabet that share prefixes,
   * Unicode-heavy names (non-BMP, combining marks, NFC and NFD spellings), deep nesting, long
   * names up to exactly the 1024-byte limit, and unusual but valid segments. Segments stay within
   * {@value #PORTABLE_SEGMENT_BYTES} UTF-8 bytes.
   */
  static Gen<String> validLocations() {
    return validLocations(Location.MAX_BYTES);
  }

  /**
   * {@link #validLocations()} of at most {@code maxBytes} UTF-8 bytes (a backend's declared
   * {@link Capabilities#maxLocationBytes()}): the long names reach exactly {@code maxBytes}, and
   * other locations over it lose trailing segments.
   */
  static Gen<String> validLocations(int maxBytes) {
    return weighted(List.of(
        Pair.of(30, joined(segments(anyCodePoint(), 1, 12), 1, 4)),
        Pair.of(15, joined(Generate.pick(SHARED), 1, 4)),
        Pair.of(15, joined(segments(unicodeCodePoint(), 1, 6), 1, 3)),
        Pair.of(10, joined(segments(asciiCodePoint(), 1, 3), 20, 300)),
        Pair.of(15, exactBytes(Generate.range(Math.max(1, maxBytes - 24), maxBytes))),
        Pair.of(15, joined(Generate.pick(EDGY).mix(segments(anyCodePoint(), 1, 5), 30), 1, 4))))
        .map(location -> within(location, maxBytes));
  }

  /** {@code location} without the trailing segments that take it over {@code maxBytes}. */
  static String within(String location, int maxBytes) {
    String out = location;
    while (utf8Length(out) > maxBytes && out.indexOf('/') > 0) {
      out = out.substring(0, out.lastIndexOf('/'));
    }
    return out;
  }

  /**
   * Sets of valid locations that share prefixes, with no location inside another's "directory"
   * ({@code a} and {@code a/b} are never both present: not every backend can hold both, see rule
   * L1 in the docs). At most {@code max} locations, each short enough to be stored below a
   * namespace segment of up to {@value #NAMESPACE_BYTES} bytes.
   */
  static Gen<List<String>> locationSets(int max) {
    return locationSets(max, Location.MAX_BYTES);
  }

  /** {@link #locationSets(int)} within a backend's {@link Capabilities#maxLocationBytes()}. */
  static Gen<List<String>> locationSets(int max, int maxBytes) {
    Gen<String> one = weighted(List.of(
        Pair.of(3, joined(Generate.pick(SHARED), 1, 3)),
        Pair.of(1, validLocations(maxBytes))));
    return sets(one, 0, max, maxBytes, false);
  }

  /**
   * Sorted sets of {@code min} to {@code max} draws of {@code one} (fewer when draws repeat or are
   * dropped), each leaving room for a namespace segment within {@code maxBytes}; with {@code
   * nestedToo} false, a draw that lies in another's "directory", or it in the draw's, is dropped.
   */
  private static Gen<List<String>> sets(
      Gen<String> one, int min, int max, int maxBytes, boolean nestedToo) {
    return in -> {
      int n = Generate.range(min, max).generate(in);
      TreeSet<String> chosen = new TreeSet<>(Location.UTF8_ORDER);
      for (int i = 0; i < n; i++) {
        String candidate = one.generate(in);
        if (utf8Length(candidate) <= maxBytes - NAMESPACE_BYTES
            && (nestedToo || chosen.stream().noneMatch(c -> nested(c, candidate)))) {
          chosen.add(candidate);
        }
      }
      return new ArrayList<>(chosen);
    };
  }

  /** Whether one location lies in the other's "directory", or they are equal. */
  static boolean nested(String a, String b) {
    return a.equals(b) || a.startsWith(b + "/") || b.startsWith(a + "/");
  }

  /**
   * Valid listing prefixes related to {@code locations}: the empty prefix, whole locations, and
   * locations cut anywhere (between code points), which gives partial segments and trailing
   * slashes; a cut that would end in a {@code .} or {@code ..} segment is cut before it.
   */
  static Gen<String> prefixesOf(List<String> locations) {
    if (locations.isEmpty()) {
      return Generate.pick(List.of("", "a", "a/", "\u00e9"));
    }
    return in -> {
      String location = Generate.pick(locations).generate(in);
      int[] cps = location.codePoints().toArray();
      int cut = Generate.range(0, cps.length).generate(in);
      String prefix = new String(cps, 0, cut);
      while (prefix.equals(".") || prefix.equals("..") || prefix.endsWith("/.")
          || prefix.endsWith("/..")) {
        prefix = prefix.substring(0, prefix.lastIndexOf('.'));
      }
      return prefix;
    };
  }

  /**
   * Names for listing trees that sort next to each other in UTF-8 order: {@code -} (0x2D) and
   * {@code .} (0x2E) just before {@code /} (0x2F), digits just after it, a two-byte letter, U+E000
   * and U+FFFD (three bytes, after surrogate pairs in UTF-16 but before them in UTF-8) and U+1F600
   * (four bytes).
   */
  private static final List<String> TREE_NAMES = List.of(
      "a", "a-b", "a.b", "a0", "a1", "b", "-", "0", "10", "9", "\u00e9", "\ue000", "\ufffd",
      "\ud83d\ude00", "a\ud83d\ude00");

  /**
   * Sets of up to {@code max} valid locations shaped as trees: nested directories, siblings whose
   * names differ in the byte before or after {@code /} ({@code a-b}, {@code a.b}, {@code a/x},
   * {@code a0}), and objects inside other objects' "directories" ({@code a} with {@code a/b}),
   * which a backend may refuse (rule L1.2); a few of {@link #validLocations(int)} besides. Each
   * leaves room for a namespace segment of up to {@value #NAMESPACE_BYTES} bytes within {@code
   * maxBytes}.
   */
  static Gen<List<String>> locationTrees(int max, int maxBytes) {
    Gen<String> one = weighted(List.of(
        Pair.of(5, joined(Generate.pick(TREE_NAMES), 1, 3)),
        Pair.of(1, validLocations(maxBytes))));
    return sets(one, 1, max, maxBytes, true);
  }

  /**
   * Listing prefixes for {@code locations}: those of {@link #prefixesOf(List)}, the empty prefix,
   * and a location's directories, with and without their trailing {@code /}.
   */
  static Gen<String> listingPrefixesOf(List<String> locations) {
    if (locations.isEmpty()) {
      return prefixesOf(locations);
    }
    Gen<String> directories = in -> {
      String location = Generate.pick(locations).generate(in);
      List<Integer> slashes = new ArrayList<>();
      for (int i = location.indexOf('/'); i >= 0; i = location.indexOf('/', i + 1)) {
        slashes.add(i);
      }
      if (slashes.isEmpty()) {
        return location;
      }
      int slash = Generate.pick(slashes).generate(in);
      return location.substring(0, Generate.booleans().generate(in) ? slash + 1 : slash);
    };
    return weighted(List.of(
        Pair.of(1, Generate.constant("")),
        Pair.of(2, prefixesOf(locations)),
        Pair.of(2, directories)));
  }

  /** U+10FFFF, the last code point: its four UTF-8 bytes sort after every other character's. */
  static final String LAST_CODE_POINT = "\udbff\udfff";

  /**
   * Bounds for {@code iterContents(prefix, startAfter)} (rule I7) around {@code locations} and
   * {@code prefix}: a location exactly; a location cut short (a proper prefix); a location with a
   * character appended (U+0001, {@code -}, {@code .}, {@code /}, {@code 0}, é, U+1F600),
   * which sorts between it and the next; a location with its last character raised by one, which
   * sorts between siblings; {@code prefix} itself and {@code prefix} followed by U+10FFFF, which
   * sorts after everything under it; U+10FFFF alone; the empty string; and strings that are not
   * valid locations (a trailing {@code /}, {@code //}, a {@code .} segment, a backslash).
   */
  static Gen<String> boundsAround(List<String> locations, String prefix) {
    List<Gen<String>> kinds = new ArrayList<>();
    kinds.add(Generate.constant(""));
    kinds.add(Generate.constant(LAST_CODE_POINT));
    kinds.add(Generate.constant(prefix));
    kinds.add(Generate.constant(prefix + LAST_CODE_POINT));
    if (!locations.isEmpty()) {
      Gen<String> location = Generate.pick(locations);
      kinds.add(location);
      kinds.add(prefixesOf(locations));
      kinds.add(location.zip(Generate.pick(List.of(
          "\u0001", "-", ".", "/", "0", "\u00e9", "\ud83d\ude00")), String::concat));
      kinds.add(location.map(Generators::lastCodePointRaised));
      kinds.add(location.zip(Generate.pick(List.of("/", "//x", "/./", "\\", "/\\")),
          String::concat));
    }
    return oneOf(kinds);
  }

  /**
   * Sizes of objects listed with their content (rule I8): empty (a quarter of them), up to 64
   * bytes, and up to 4 KiB, around the 1 KiB that a backend reading with its listing must read.
   */
  static Gen<Integer> listedSizes() {
    return weighted(List.of(
        Pair.of(2, Generate.constant(0)),
        Pair.of(3, Generate.range(1, 64)),
        Pair.of(1, Generate.pick(List.of(1023, 1024, 1025))),
        Pair.of(2, Generate.range(65, 4096))));
  }

  /**
   * Limits for {@code iterObjects(prefix, startAfter, maxBytes)} (rule I8) around objects of
   * {@code sizes}: 0, small, one of the sizes exactly and one byte under it, larger than every
   * object, and {@link Integer#MAX_VALUE} (which a backend must not overflow).
   */
  static Gen<Integer> maxBytesAround(List<Integer> sizes) {
    List<Gen<Integer>> kinds = new ArrayList<>(List.of(
        Generate.constant(0),
        Generate.range(1, 64),
        Generate.range(65, 2048),
        Generate.constant(8192),
        Generate.constant(Integer.MAX_VALUE)));
    if (!sizes.isEmpty()) {
      kinds.add(Generate.pick(sizes));
      kinds.add(Generate.pick(sizes).map(size -> Math.max(0, size - 1)));
    }
    return oneOf(kinds);
  }

  /** {@code s} with its last code point raised by one, skipping the surrogates; U+10FFFF stays. */
  static String lastCodePointRaised(String s) {
    int last = s.codePointBefore(s.length());
    int raised = last == Character.MAX_CODE_POINT ? last
        : last + 1 == Character.MIN_SURROGATE ? Character.MAX_SURROGATE + 1 : last + 1;
    return s.substring(0, s.length() - Character.charCount(last)) + Character.toString(raised);
  }

  // ---------------------------------------------------------------------------------------------
  // Invalid locations

  /** A string that breaks rule L2, with the class of breach it belongs to. */
  record Invalid(String kind, String value) {
    /** Whether it is also an invalid listing prefix (rule L5): all but empty and trailing-slash. */
    boolean invalidAsPrefix() {
      return !kind.equals(EMPTY) && !kind.equals(TRAILING_SLASH);
    }

    @Override
    public String toString() {
      return kind + ": " + quote(value);
    }
  }

  static final String EMPTY = "empty string";
  static final String TRAILING_SLASH = "trailing /";

  /**
   * Invalid locations, covering every class rule L2 lists: the empty string, a leading or trailing
   * {@code /}, an empty segment, {@code .} and {@code ..} segments, a backslash, NUL and every
   * other control character (U+0001 to U+001F, U+007F), more than 1024 UTF-8 bytes, a segment
   * starting with {@code .stowage}, and unpaired surrogates. Each is built from a valid location,
   * so the breach is the only thing wrong with it.
   */
  static Gen<Invalid> invalidLocations() {
    Gen<String> base = weighted(List.of(
        Pair.of(3, joined(segments(anyCodePoint(), 1, 8), 1, 4)),
        Pair.of(1, validLocations())));
    List<Gen<Invalid>> kinds = new ArrayList<>();
    kinds.add(Generate.constant(new Invalid(EMPTY, "")));
    kinds.add(Generate.constant(new Invalid("only /", "/")));
    kinds.add(base.map(v -> new Invalid("leading /", "/" + v)));
    kinds.add(base.map(v -> new Invalid(TRAILING_SLASH, v + "/")));
    kinds.add(in -> {
      String v = base.generate(in);
      int slash = v.indexOf('/');
      // Between two segments: at either end it would be a leading or trailing slash instead.
      return new Invalid("empty segment", slash < 0
          ? v + "//" + v
          : v.substring(0, slash) + "//" + v.substring(slash + 1));
    });
    kinds.add(in -> new Invalid(". segment", insertSegment(base.generate(in), ".", in)));
    kinds.add(in -> new Invalid(".. segment", insertSegment(base.generate(in), "..", in)));
    kinds.add(in -> new Invalid("backslash", insertChar(base.generate(in), "\\", in)));
    kinds.add(in -> {
      int c = Generate.range(0, 0x20).generate(in);
      char control = (char) (c == 0x20 ? 0x7f : c);
      return new Invalid(
          String.format("control character U+%04X", (int) control),
          insertChar(base.generate(in), String.valueOf(control), in));
    });
    kinds.add(in -> new Invalid(
        "more than 1024 bytes",
        exactBytes(Generate.range(Location.MAX_BYTES + 1, 1400)).generate(in)));
    kinds.add(Generate.constant(new Invalid(
        "more than 1024 bytes, last character crossing the limit",
        "a".repeat(Location.MAX_BYTES - 1) + "\u00e9")));
    kinds.add(in -> {
      String suffix = Generate.pick(List.of("", "-tmp", "x", "-meta", ".json")).generate(in);
      return new Invalid(
          "segment starting with .stowage",
          insertSegment(base.generate(in), Location.RESERVED_PREFIX + suffix, in));
    });
    kinds.add(in -> {
      String lone = Generate.pick(List.of("\ud800", "\udbff", "\udc00", "\udfff", "\ude00\ud83d"))
          .generate(in);
      return new Invalid("unpaired surrogate", insertChar(base.generate(in), lone, in));
    });
    return oneOf(kinds);
  }

  /**
   * Invalid listing prefixes (rule L5): every invalid location that is not valid as a prefix,
   * plus prefixes whose last, partial segment is {@code .} or {@code ..}.
   */
  static Gen<Invalid> invalidPrefixes() {
    Gen<Invalid> fromLocations = invalidLocations().map(
        i -> i.invalidAsPrefix() ? i : new Invalid("only /", "/"));
    Gen<Invalid> partial = in -> {
      String dots = Generate.pick(List.of(".", "..")).generate(in);
      boolean bare = Generate.booleans().generate(in);
      String base = joined(segments(asciiCodePoint(), 1, 6), 1, 3).generate(in);
      return new Invalid(
          "last segment " + dots, bare ? dots : base + "/" + dots);
    };
    return weighted(List.of(Pair.of(4, fromLocations), Pair.of(1, partial)));
  }

  // ---------------------------------------------------------------------------------------------
  // Contents

  /**
   * Contents of sizes that matter: empty, one byte, small, around the 64 KiB and 1 MiB buffer
   * boundaries (one byte under, at, over), a few hundred KiB and a few MiB; every size is cut to
   * {@code maxSize}.
   */
  static Gen<Content> contents(long maxSize) {
    int max = (int) Math.min(maxSize, Integer.MAX_VALUE - 8);
    Gen<Integer> size = weighted(List.of(
        Pair.of(25, Generate.range(0, 16)),
        Pair.of(25, Generate.range(17, 4096)),
        Pair.of(20, Generate.pick(List.of(
            65535, 65536, 65537, 1048575, 1048576, 1048577))),
        Pair.of(15, Generate.range(4097, 300_000)),
        Pair.of(3, Generate.range(1 << 20, 4 << 20))));
    return size.zip(Generate.range(0, 1000), (s, seed) -> new Content(Math.min(s, max), seed));
  }

  // ---------------------------------------------------------------------------------------------
  // Building blocks

  static Gen<Integer> asciiCodePoint() {
    return Generate.pick(ASCII.codePoints().boxed().toList());
  }

  static Gen<Integer> unicodeCodePoint() {
    List<Integer> all = new ArrayList<>();
    ASCII.codePoints().limit(3).forEach(all::add);
    for (int cp : UNICODE) {
      all.add(cp);
    }
    return Generate.pick(all);
  }

  static Gen<Integer> anyCodePoint() {
    List<Integer> punctuation = PUNCTUATION.codePoints().boxed().toList();
    return weighted(List.of(
        Pair.of(6, asciiCodePoint()),
        Pair.of(2, Generate.pick(punctuation)),
        Pair.of(2, unicodeCodePoint())));
  }

  /** Segments of {@code min} to {@code max} code points, made valid (see {@link #valid}). */
  static Gen<String> segments(Gen<Integer> codePoints, int min, int max) {
    return in -> {
      int n = Generate.range(min, max).generate(in);
      StringBuilder segment = new StringBuilder();
      for (int i = 0; i < n; i++) {
        segment.appendCodePoint(codePoints.generate(in));
      }
      return valid(segment.toString());
    };
  }

  /**
   * Joins {@code min} to {@code max} segments with {@code /}, dropping trailing segments while
   * the result is over 1024 bytes.
   */
  static Gen<String> joined(Gen<String> segment, int min, int max) {
    return in -> {
      int n = Generate.range(min, max).generate(in);
      StringBuilder location = new StringBuilder();
      for (int i = 0; i < n; i++) {
        String next = segment.generate(in);
        int bytes = utf8Length(location) + (i == 0 ? 0 : 1) + utf8Length(next);
        if (i > 0 && bytes > Location.MAX_BYTES) {
          break;
        }
        if (i > 0) {
          location.append('/');
        }
        location.append(next);
      }
      return location.toString();
    };
  }

  /**
   * Locations of exactly the generated number of UTF-8 bytes, in segments of 1 to {@value
   * #PORTABLE_SEGMENT_BYTES} bytes mixing one- to four-byte characters. Over 1024 bytes they are
   * invalid, which {@link #invalidLocations()} uses.
   */
  static Gen<String> exactBytes(Gen<Integer> totalBytes) {
    Gen<Integer> segmentBytes = Generate.range(1, PORTABLE_SEGMENT_BYTES);
    Gen<Integer> codePoints = unicodeCodePoint().mix(asciiCodePoint());
    return in -> {
      int remaining = totalBytes.generate(in);
      StringBuilder location = new StringBuilder();
      while (remaining > 0) {
        if (location.length() > 0) {
          location.append('/');
          remaining--;
        }
        int budget = Math.min(segmentBytes.generate(in), remaining);
        if (remaining - budget == 1) {
          // Leave room for "/" plus at least one byte, or take the last byte too.
          budget = budget < PORTABLE_SEGMENT_BYTES ? budget + 1 : budget - 1;
        }
        remaining -= budget;
        StringBuilder segment = new StringBuilder();
        while (budget > 0) {
          int cp = codePoints.generate(in);
          int length = utf8Length(new String(Character.toChars(cp)));
          if (length > budget) {
            cp = 'a';
            length = 1;
          }
          segment.appendCodePoint(cp);
          budget -= length;
        }
        location.append(validKeepingLength(segment.toString()));
      }
      return location.toString();
    };
  }

  /** Makes a segment valid: {@code .} and {@code ..} get an {@code x}, reserved names a prefix. */
  static String valid(String segment) {
    if (segment.equals(".") || segment.equals("..")) {
      return segment + "x";
    }
    if (segment.startsWith(Location.RESERVED_PREFIX)) {
      return "x" + segment;
    }
    return segment;
  }

  /** Like {@link #valid}, without changing the UTF-8 length. */
  private static String validKeepingLength(String segment) {
    if (segment.equals(".") || segment.equals("..")) {
      return "x".repeat(segment.length());
    }
    if (segment.startsWith(Location.RESERVED_PREFIX)) {
      return "_" + segment.substring(1);
    }
    return segment;
  }

  /** Inserts {@code segment} as a segment at a generated position among the segments of {@code location}. */
  private static String insertSegment(String location, String segment, org.quicktheories.core.RandomnessSource in) {
    List<String> segments = new ArrayList<>(List.of(location.split("/", -1)));
    int at = Generate.range(0, segments.size()).generate(in);
    segments.add(at, segment);
    return String.join("/", segments);
  }

  /** Inserts {@code text} at a generated position between two code points of {@code location}. */
  private static String insertChar(String location, String text, org.quicktheories.core.RandomnessSource in) {
    int[] cps = location.codePoints().toArray();
    int at = Generate.range(0, cps.length).generate(in);
    return new String(cps, 0, at) + text + new String(cps, at, cps.length - at);
  }

  static int utf8Length(CharSequence s) {
    return s.toString().getBytes(StandardCharsets.UTF_8).length;
  }

  /** Picks one of {@code gens}; shrinks towards the first. */
  static <T> Gen<T> oneOf(List<Gen<T>> gens) {
    Gen<Integer> index = Generate.range(0, gens.size() - 1);
    return in -> gens.get(index.generate(in)).generate(in);
  }

  /** Picks one of {@code gens} with the given weights. */
  static <T> Gen<T> weighted(List<Pair<Integer, Gen<T>>> gens) {
    return Generate.frequency(gens);
  }

  /**
   * Quotes a string for a message: in double quotes, with control characters, surrogates,
   * backslashes, quotes and invisible or combining characters escaped as {@code \\uXXXX}, so that
   * NFC and NFD spellings look different.
   */
  static String quote(String s) {
    StringBuilder out = new StringBuilder("\"");
    int n = Math.min(s.length(), 300);
    if (n < s.length() && Character.isHighSurrogate(s.charAt(n - 1))) {
      n--; // never cut a pair
    }
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (needsEscape(s, i)) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    out.append('"');
    if (n < s.length()) {
      out.append("...(").append(s.length()).append(" chars)");
    }
    return out.toString();
  }

  private static boolean needsEscape(String s, int i) {
    char c = s.charAt(i);
    if (c < 0x20 || c == 0x7f) {
      return true;
    }
    if (Character.isHighSurrogate(c)) {
      return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
    }
    if (Character.isLowSurrogate(c)) {
      return i == 0 || !Character.isHighSurrogate(s.charAt(i - 1));
    }
    if (c < 0x80) {
      return false;
    }
    switch (Character.getType(c)) {
      case Character.NON_SPACING_MARK:
      case Character.ENCLOSING_MARK:
      case Character.COMBINING_SPACING_MARK:
      case Character.FORMAT:
      case Character.SPACE_SEPARATOR:
      case Character.LINE_SEPARATOR:
      case Character.PARAGRAPH_SEPARATOR:
      case Character.PRIVATE_USE:
      case Character.UNASSIGNED:
        return true;
      default:
        return c == 0xFFFD || c == 0x212B;
    }
  }

}
