package org.stowage;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A validated object location: 1 to 1024 UTF-8 bytes of non-empty segments joined by {@code /}
 * (contract rules L1 to L3).
 *
 * <p>A {@code Location} can only hold a valid value: the canonical constructor rejects anything
 * else with an {@link InvalidLocationException} that names the string, the reason and the rule.
 * Rejected are:
 *
 * <ul>
 *   <li>the empty string, and anything over {@value #MAX_BYTES} bytes in UTF-8 (L1);
 *   <li>a leading or trailing {@code /}, or an empty segment as in {@code a//b};
 *   <li>a {@code .} or {@code ..} segment;
 *   <li>a backslash, NUL or any other control character (U+0000 to U+001F, U+007F);
 *   <li>a segment that starts with {@value #RESERVED_PREFIX}, which backends keep for their own
 *       temporary and metadata files;
 *   <li>a string that is not well-formed Unicode (an unpaired surrogate), which has no UTF-8 form.
 * </ul>
 *
 * <p>Locations are case-sensitive and never rewritten: no Unicode normalisation, no case folding,
 * no trimming (L3). {@code "café"} in NFC and in NFD are two different locations.
 *
 * <p>Locations sort in {@linkplain #UTF8_ORDER ascending order of their UTF-8 bytes}, which is the
 * order every listing uses (I2) and the order S3 uses.
 *
 * @param value the location as a string, for example {@code "dag/unit/result.json"}
 */
public record Location(String value) implements Comparable<Location> {

  /** The maximum length of a location, in UTF-8 bytes (rule L1). */
  public static final int MAX_BYTES = 1024;

  /** The reserved segment prefix: no location segment may start with it (rule L2). */
  public static final String RESERVED_PREFIX = ".stowage";

  /**
   * Orders strings by their UTF-8 bytes, unsigned, which is the same as ordering them by Unicode
   * code point. {@link String#compareTo} orders by UTF-16 units instead and disagrees for
   * characters above U+FFFF against those in U+E000 to U+FFFF; listings must use this comparator.
   */
  public static final Comparator<String> UTF8_ORDER = new Utf8Order();

  /** {@link #UTF8_ORDER}: a class rather than a method reference, so no lambda is bootstrapped. */
  private static final class Utf8Order implements Comparator<String> {
    @Override
    public int compare(String a, String b) {
      return compareUtf8(a, b);
    }
  }

  /**
   * Validates {@code value}; see the class description for the rules.
   *
   * @param value the location, a string that keeps rules L1 and L2
   * @throws NullPointerException if {@code value} is null
   * @throws InvalidLocationException if {@code value} breaks rule L2
   */
  public Location {
    Objects.requireNonNull(value, "location");
    String reason = problem(value, false);
    if (reason != null) {
      throw new InvalidLocationException(value, reason, "L2");
    }
  }

  /**
   * Returns the location for {@code value}.
   *
   * @param value the location as a string, per rule L2
   * @return a new location holding {@code value}
   * @throws InvalidLocationException if {@code value} breaks rule L1 or L2
   */
  public static Location of(String value) {
    return new Location(value);
  }

  /**
   * Whether {@code value} is a valid location; never throws.
   *
   * @param value any string, or {@code null}
   * @return true if {@code value} keeps rules L1 and L2; false for {@code null}
   */
  public static boolean isValid(String value) {
    return problem(value, false) == null;
  }

  /**
   * Checks a listing prefix (rule L5): the location rules apply, except that the prefix may be
   * empty and may end with one {@code /}.
   *
   * @param prefix the listing prefix to check
   * @return {@code prefix} itself
   * @throws InvalidLocationException if it breaks rule L5
   */
  public static String checkPrefix(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    String reason = problem(prefix, true);
    if (reason != null) {
      throw new InvalidLocationException(prefix, "as a listing prefix, " + reason, "L5");
    }
    return prefix;
  }

  /**
   * The segments, in order; never empty.
   *
   * @return the {@code /}-separated segments of the location, in order; a new, fixed-size list,
   *     never empty
   */
  public List<String> segments() {
    return Arrays.asList(value.split("/", -1));
  }

  /**
   * The last segment: the object's name.
   *
   * @return the last segment, never empty
   */
  public String name() {
    int slash = value.lastIndexOf('/');
    return slash < 0 ? value : value.substring(slash + 1);
  }

  /**
   * The location of the enclosing "directory", or empty for a single-segment location.
   *
   * @return the location made of all segments but the last, or empty if there is only one segment
   */
  public Optional<Location> parent() {
    int slash = value.lastIndexOf('/');
    return slash < 0 ? Optional.empty() : Optional.of(new Location(value.substring(0, slash)));
  }

  /**
   * Returns {@code this + "/" + relative}, validated.
   *
   * @param relative a valid location, one segment or several, to append
   * @return a new location: this one, {@code /}, then {@code relative}
   * @throws InvalidLocationException if {@code relative} is not itself a valid location, or the
   *     result is too long
   */
  public Location resolve(String relative) {
    Location rel = new Location(relative);
    return new Location(value + "/" + rel.value);
  }

  /**
   * Whether this location starts with {@code prefix} as a plain string (rule I1).
   *
   * @param prefix any string; the empty string matches every location
   * @return true if this location's string begins with {@code prefix}, character for character
   */
  public boolean startsWith(String prefix) {
    return value.startsWith(prefix);
  }

  /** Compares by {@link #UTF8_ORDER}. */
  @Override
  public int compareTo(Location other) {
    return compareUtf8(value, other.value);
  }

  /** The location string itself. */
  @Override
  public String toString() {
    return value;
  }

  /**
   * Quotes a string for an error message: double quotes around it, with backslashes and quotes
   * escaped, every character that would not show as itself escaped as {@code \\uXXXX} (controls,
   * format characters such as U+200B, private-use and unassigned characters such as U+E000,
   * unpaired surrogates, and separators other than the ASCII space), and anything over 200
   * characters shortened. For backends' messages, so that every message shows locations the same
   * way, and a location that ends in an invisible character does not seem to end early.
   *
   * @param s the string to quote, or {@code null}
   * @return the first 200 characters of {@code s}, escaped, in double quotes, followed by the full
   *     length when {@code s} was shortened; {@code null} gives {@code "null"}, without quotes
   */
  public static String quote(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder(Math.min(s.length(), 200) + 8).append('"');
    int shown = Math.min(s.length(), 200);
    for (int i = 0; i < shown; ) {
      int cp = s.codePointAt(i);
      int n = Character.charCount(cp);
      if (cp == '"' || cp == '\\') {
        out.append('\\').appendCodePoint(cp);
      } else if (invisible(cp)) {
        for (int j = i; j < i + n && j < s.length(); j++) {
          out.append(String.format("\\u%04x", (int) s.charAt(j)));
        }
      } else {
        out.appendCodePoint(cp);
      }
      i += n;
    }
    out.append('"');
    if (s.length() > shown) {
      out.append("... (").append(s.length()).append(" chars)");
    }
    return out.toString();
  }

  /** Whether a code point would not show as itself in a message. */
  private static boolean invisible(int cp) {
    if (cp == ' ') {
      return false;
    }
    switch (Character.getType(cp)) {
      case Character.CONTROL:
      case Character.FORMAT:
      case Character.PRIVATE_USE:
      case Character.SURROGATE:
      case Character.UNASSIGNED:
      case Character.LINE_SEPARATOR:
      case Character.PARAGRAPH_SEPARATOR:
      case Character.SPACE_SEPARATOR:
        return true;
      default:
        return false;
    }
  }

  /** Returns why {@code s} is not a valid location (or prefix), or {@code null} if it is. */
  private static String problem(String s, boolean asPrefix) {
    if (s == null) {
      return "it is null";
    }
    if (s.isEmpty()) {
      return asPrefix ? null : "it is empty";
    }
    long bytes = 0;
    int segmentStart = 0;
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        return c == 0 ? "it contains a NUL character" : String.format("it contains the control character U+%04X", (int) c);
      }
      if (c == '\\') {
        return "it contains a backslash";
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= n || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return "it contains an unpaired surrogate, which has no UTF-8 form";
        }
        bytes += 4;
        i++;
        continue;
      }
      if (Character.isLowSurrogate(c)) {
        return "it contains an unpaired surrogate, which has no UTF-8 form";
      }
      bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
      if (c == '/') {
        String segmentProblem = segmentProblem(s, segmentStart, i);
        if (segmentProblem != null) {
          return segmentProblem;
        }
        segmentStart = i + 1;
      }
    }
    if (bytes > MAX_BYTES) {
      return "longer than " + MAX_BYTES + " UTF-8 bytes (" + bytes + ")";
    }
    if (segmentStart == n) {
      // Trailing slash (or, for a single "/", a leading one).
      if (!asPrefix || n == 1) {
        return n == 1 ? "it starts with \"/\"" : "it ends with \"/\"";
      }
      return null;
    }
    return segmentProblem(s, segmentStart, n);
  }

  private static String segmentProblem(String s, int start, int end) {
    if (start == end) {
      return start == 0 ? "it starts with \"/\"" : "it has an empty segment (\"//\")";
    }
    int len = end - start;
    if (len == 1 && s.charAt(start) == '.') {
      return "a segment is \".\"";
    }
    if (len == 2 && s.charAt(start) == '.' && s.charAt(start + 1) == '.') {
      return "a segment is \"..\", which could leave the root";
    }
    if (s.startsWith(RESERVED_PREFIX, start)) {
      return "a segment starts with the reserved \"" + RESERVED_PREFIX + "\"";
    }
    return null;
  }

  private static int compareUtf8(String a, String b) {
    int n = Math.min(a.length(), b.length());
    for (int i = 0; i < n; i++) {
      char ca = a.charAt(i);
      char cb = b.charAt(i);
      if (ca != cb) {
        // Surrogates (D800-DFFF) encode code points above FFFF, which sort after E000-FFFF in
        // code point (and UTF-8) order, though their UTF-16 units sort before.
        if (ca >= 0xD800 && cb >= 0xD800) {
          ca = ca >= 0xE000 ? (char) (ca - 0x800) : (char) (ca + 0x2000);
          cb = cb >= 0xE000 ? (char) (cb - 0x800) : (char) (cb + 0x2000);
        }
        return ca - cb;
      }
    }
    return a.length() - b.length();
  }
}
