package org.stowage.cas;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

/**
 * The name of a piece of content: a hash algorithm, the content's hash under it, and its size
 * (contract rule C1). SHA-256 is the default; MD5 stays the per-object integrity check of {@link
 * org.stowage.Metadata}.
 *
 * <p>The text form, {@link #toString()}, is {@code sha256:<64 hex digits>:<size>}, for example
 * {@code sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855:0}; {@link
 * #parse} reads it back.
 *
 * @param algorithm the algorithm's name as used in locations and text: {@code "sha256"} or {@code
 *     "sha512"}
 * @param hex the hash, lowercase hexadecimal, of the length the algorithm gives
 * @param size the content's size in bytes
 */
public record Digest(String algorithm, String hex, long size) {
  /** The default algorithm's name. */
  public static final String SHA256 = "sha256";
  /** The other supported algorithm's name. */
  public static final String SHA512 = "sha512";

  /**
   * Validates the fields.
   *
   * @param algorithm {@code "sha256"} or {@code "sha512"}
   * @param hex the hash, lowercase hexadecimal
   * @param size the content's size in bytes, zero or more
   * @throws IllegalArgumentException if the algorithm is not supported, the hex is not lowercase
   *     hexadecimal of the algorithm's length, or the size is negative
   */
  public Digest {
    Objects.requireNonNull(algorithm, "algorithm");
    Objects.requireNonNull(hex, "hex");
    int hexLength = hexLength(algorithm);
    if (hex.length() != hexLength || !isLowerHex(hex, 0, hex.length())) {
      throw new IllegalArgumentException(
          "a " + algorithm + " digest is " + hexLength + " lowercase hexadecimal digits, got \""
              + hex + "\"");
    }
    if (size < 0) {
      throw new IllegalArgumentException("size must not be negative: " + size);
    }
  }

  /**
   * Reads the text form {@code algorithm:hex:size}.
   *
   * @param text a digest's text form, as {@link #toString()} writes it
   * @return the digest it names
   * @throws IllegalArgumentException if {@code text} is not a digest's text form
   */
  public static Digest parse(String text) {
    // algorithm:hex:size, each part non-empty: [a-z0-9]+ : [0-9a-f]+ : [0-9]+ (a collection
    // parses one per reference, so no regular expression)
    Objects.requireNonNull(text, "text");
    int first = text.indexOf(':');
    int second = first < 0 ? -1 : text.indexOf(':', first + 1);
    if (first <= 0 || second <= first + 1 || second == text.length() - 1
        || !isAlgorithmName(text, 0, first) || !isLowerHex(text, first + 1, second)
        || !isDecimal(text, second + 1, text.length())) {
      throw new IllegalArgumentException(
          "not a digest (expected algorithm:hex:size): \"" + text + "\"");
    }
    return new Digest(
        text.substring(0, first), text.substring(first + 1, second), Long.parseLong(text, second + 1, text.length(), 10));
  }

  private static boolean isAlgorithmName(String s, int from, int to) {
    return isDigitsAndLetters(s, from, to, 'z');
  }

  /**
   * Whether {@code s[from, to)} holds only lowercase hexadecimal digits ({@code 0-9a-f}): the text
   * of a digest's hash, for a layout that finds one in a key or a location.
   *
   * @param s the text
   * @param from the first index to check
   * @param to the index after the last one to check
   * @return true if every character in the range is a lowercase hexadecimal digit (also for an
   *     empty range)
   * @throws IndexOutOfBoundsException if the range is not within {@code s}
   */
  public static boolean isLowerHex(String s, int from, int to) {
    java.util.Objects.checkFromToIndex(from, to, s.length());
    for (int i = from; i < to; i++) {
      // The JDK's table, and bit 0x20 for lowercase, as Metadata checks an MD5: two ranges would
      // branch unpredictably on random digits, and a collection checks every content key.
      char c = s.charAt(i);
      if (!(java.util.HexFormat.isHexDigit(c) & (c & 0x20) != 0)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isDecimal(String s, int from, int to) {
    return isDigitsAndLetters(s, from, to, (char) ('a' - 1));
  }

  /** Whether {@code s[from, to)} holds only ASCII digits and lowercase letters up to {@code lastLetter}. */
  private static boolean isDigitsAndLetters(String s, int from, int to, char lastLetter) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= lastLetter))) {
        return false;
      }
    }
    return true;
  }

  /**
   * The SHA-256 digest of {@code data}.
   *
   * @param data the content; only read
   * @return the SHA-256 hash and the length of {@code data}
   */
  public static Digest sha256(byte[] data) {
    MessageDigest md = newMessageDigest(SHA256);
    md.update(data);
    return new Digest(SHA256, java.util.HexFormat.of().formatHex(md.digest()), data.length);
  }

  /**
   * A fresh {@link MessageDigest} for a supported algorithm name.
   *
   * @param algorithm {@code "sha256"} or {@code "sha512"}
   * @return a new digest of that algorithm, in its initial state, owned by the caller
   * @throws IllegalArgumentException if the algorithm is not one of those
   */
  public static MessageDigest newMessageDigest(String algorithm) {
    String javaName =
        switch (algorithm) {
          case SHA256 -> "SHA-256";
          case SHA512 -> "SHA-512";
          default -> throw new IllegalArgumentException(
              "unsupported digest algorithm \"" + algorithm + "\"; supported: sha256, sha512");
        };
    try {
      return MessageDigest.getInstance(javaName);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every Java platform provides " + javaName, e);
    }
  }

  private static int hexLength(String algorithm) {
    return switch (algorithm) {
      case SHA256 -> 64;
      case SHA512 -> 128;
      default -> throw new IllegalArgumentException(
          "unsupported digest algorithm \"" + algorithm + "\"; supported: sha256, sha512");
    };
  }

  /** The text form, {@code algorithm:hex:size}. */
  @Override
  public String toString() {
    return algorithm + ":" + hex + ":" + size;
  }
}
