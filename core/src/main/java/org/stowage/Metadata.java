package org.stowage;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;
import org.apache.commons.codec.binary.Hex;

/**
 * What a store records about an object: the MD5 of its bytes as 32 lowercase hexadecimal digits,
 * and its size in bytes (contract rule S1).
 *
 * <p>Two objects with equal metadata are taken to hold the same bytes. MD5 is the per-object
 * integrity check, as in gufe and in S3's {@code Content-MD5}; content addressing uses {@code
 * Digest} with SHA-256 instead (rule C1).
 *
 * @param md5 the MD5 of the bytes, 32 lowercase hexadecimal digits
 * @param size the number of bytes, zero or more
 */
public record Metadata(String md5, long size) {
  /**
   * Validates the fields.
   *
   * @param md5 the MD5 of the content, 32 lowercase hexadecimal digits
   * @param size the content's length in bytes, zero or more
   * @throws NullPointerException if {@code md5} is null
   * @throws IllegalArgumentException if {@code md5} is not 32 lowercase hexadecimal digits, or
   *     {@code size} is negative
   */
  public Metadata {
    Objects.requireNonNull(md5, "md5");
    if (!isMd5Hex(md5)) {
      throw new IllegalArgumentException(
          "md5 must be 32 lowercase hexadecimal digits, got " + Location.quote(md5));
    }
    if (size < 0) {
      throw new IllegalArgumentException("size must not be negative, got " + size);
    }
  }

  /**
   * The metadata of {@code data}: its MD5 and its length. The array is only read.
   *
   * @param data the content; only read
   * @return the MD5 and length of {@code data}
   */
  public static Metadata of(byte[] data) {
    MessageDigest md5 = newMd5();
    md5.update(data);
    return new Metadata(Hex.encodeHexString(md5.digest()), data.length);
  }

  /**
   * The metadata of the bytes {@code in} yields, read to its end: their MD5 and their count. The
   * stream stays the caller's: it is read but not closed. Large inputs are hashed on a second
   * core while they are read.
   *
   * @param in the content, read to its end; the caller closes it
   * @return the MD5 and count of the bytes read
   * @throws IOException if reading fails
   */
  public static Metadata of(InputStream in) throws IOException {
    PipelinedDigest md5 = new PipelinedDigest(newMd5());
    try {
      byte[] buffer = new byte[ObjectSource.BUFFER_SIZE];
      long size = 0;
      int n;
      while ((n = in.read(buffer)) >= 0) {
        md5.update(buffer, 0, n);
        size += n;
      }
      return new Metadata(Hex.encodeHexString(md5.digest()), size);
    } finally {
      md5.close();
    }
  }

  /**
   * A new MD5 {@link MessageDigest} (every Java platform provides one), for code that must hash
   * alongside something else: a content-addressed store computing an object's MD5 with its
   * content digest, a backend computing a part's {@code Content-MD5}. Not thread-safe, as every
   * {@code MessageDigest}.
   *
   * <p>Looked up among the installed security providers on every call, never cached: a provider
   * installed later (a FIPS provider, a test's counting one) serves every store from then on. The
   * look-up costs well under a microsecond, against about 6 µs for hashing 4 KiB.
   *
   * @return a new MD5 digest, in its initial state, owned by the caller
   */
  public static MessageDigest newMd5() {
    try {
      return MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every Java platform provides MD5", e);
    }
  }

  /** Whether {@code s} is 32 lowercase hexadecimal digits (a loop: this runs on every store). */
  private static boolean isMd5Hex(String s) {
    if (s.length() != 32) {
      return false;
    }
    for (int i = 0; i < 32; i++) {
      // The JDK's table, and bit 0x20 for lowercase (set in '0'-'9' and 'a'-'f', clear in 'A'-'F'),
      // joined without a branch: two ranges would branch unpredictably on random digits, and a
      // collection makes a Metadata for every object it reads.
      char c = s.charAt(i);
      if (!(java.util.HexFormat.isHexDigit(c) & (c & 0x20) != 0)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether {@code data} has exactly this metadata: its length is {@link #size()} and its MD5 is
   * {@link #md5()}. The same answer as {@code Metadata.of(data).equals(this)}, without building the
   * other record.
   *
   * @param data the bytes to check; only read
   * @return true if {@code data} is what this metadata describes
   */
  public boolean describes(byte[] data) {
    return data.length == size
        && MessageDigest.isEqual(newMd5().digest(data), java.util.HexFormat.of().parseHex(md5));
  }
}
