package org.stowage;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Objects;
import org.stowage.spi.BulkInputStream;

/**
 * A stream that checks the bytes it passes on against an expected digest and size, in the same
 * pass (rules R2, R4 and C3). The read that would report the end of the data throws {@link
 * ChangedExternalResourceException} instead if the size or the digest differs; a read past the
 * expected size throws at once. So a reader that reads to the end never takes damaged or truncated
 * data for good; a reader that stops early gets no verdict.
 *
 * <p>A stream made by {@link #ofMatchingBytes} has no digest: its bytes were hashed when it was
 * made, and its reads only count them (every use of the digest here checks for that).
 *
 * <p>{@link #skip} reads and hashes what it skips (it is {@link InputStream}'s, which reads). Mark
 * and reset are not supported. Closing it
 * closes the wrapped stream. Not thread-safe, like most streams.
 */
public final class VerifyingInputStream extends BulkInputStream {
  private final InputStream in;
  /** Hashes the bytes as they are read; null for bytes hashed when the stream was made. */
  private final PipelinedDigest digest;
  private final String expectedHex;
  private final long expectedSize;
  private String location;
  private String operation;
  private String rule;
  private long count;
  private boolean verified;

  private VerifyingInputStream(InputStream in, MessageDigest digest, String expectedHex, long expectedSize) {
    this.in = Objects.requireNonNull(in, "in");
    this.digest = digest == null ? null : new PipelinedDigest(digest);
    this.expectedHex = expectedHex;
    this.expectedSize = expectedSize;
  }

  /**
   * Wraps {@code in} to check it against {@code expected}'s MD5 and size.
   *
   * @param location the location read, for messages
   * @param operation names the storage and the operation, for messages: {@code "FileStorage[/d]:
   *     verified load"}
   * @param rule the rule a mismatch breaks, for messages: {@code "R2"}
   * @param in the stream to check; the returned stream owns it and closes it when closed
   * @param expected the MD5 and size {@code in} must yield
   * @return a stream that yields the bytes of {@code in} and throws at their end on a mismatch
   */
  public static VerifyingInputStream ofMetadata(
      InputStream in, Metadata expected, String location, String operation, String rule) {
    return new VerifyingInputStream(in, Metadata.newMd5(), expected.md5(), expected.size())
        .relabel(location, operation, rule);
  }

  /**
   * A verifying stream over {@code data}, hashed now rather than while it is read, if {@code data}
   * matches {@code expected}; empty if its MD5 or length differs. For a backend that reads a small
   * object whole and must know, before it answers, that the bytes match the metadata it read
   * beside them (one that reads without a lock checks the pairing this way, and falls back to a
   * locked read when they differ). Returned from {@code openWithMetadata}, the stream is taken
   * over by the core as the load's verifying stream, so the bytes are hashed once; it still checks
   * that every byte is read before it reports the end.
   *
   * <p>Ownership: the stream keeps {@code data}, not a copy; the caller must not change it after
   * this call.
   *
   * @param data the bytes, read whole; kept by the returned stream
   * @param expected the MD5 and size they must have
   * @param location the location read, for messages
   * @param operation names the storage and the operation, for messages
   * @param rule the rule a mismatch breaks, for messages
   * @return a stream over {@code data} that checks {@code expected}, or empty if {@code data} does
   *     not match it
   */
  public static java.util.Optional<VerifyingInputStream> ofMatchingBytes(
      byte[] data, Metadata expected, String location, String operation, String rule) {
    if (!expected.describes(data)) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(
        new VerifyingInputStream(new java.io.ByteArrayInputStream(data), null, expected.md5(), expected.size())
            .relabel(location, operation, rule));
  }

  /**
   * Wraps {@code in} to check it against a digest of any algorithm.
   *
   * @param digest a fresh digest of the expected algorithm; this stream owns it
   * @param expectedHex the expected digest, lowercase hexadecimal
   * @param expectedSize the expected number of bytes
   * @param in the stream to check; the returned stream owns it and closes it when closed
   * @param location the location read, for messages
   * @param operation names the storage and the operation, for messages
   * @param rule the rule a mismatch breaks, for messages
   * @return a stream that yields the bytes of {@code in} and throws at their end on a mismatch
   */
  public static VerifyingInputStream ofDigest(
      InputStream in,
      MessageDigest digest,
      String expectedHex,
      long expectedSize,
      String location,
      String operation,
      String rule) {
    return new VerifyingInputStream(in, digest, expectedHex, expectedSize).relabel(location, operation, rule);
  }

  /**
   * Whether this stream checks the MD5 and size of {@code expected} and nothing has been read
   * from it yet: then it can stand for a new verifying stream over the same bytes, so that they
   * are hashed once.
   */
  boolean checksUnread(Metadata expected) {
    return expected.equals(unreadMd5Check());
  }

  /** The MD5 and size this stream checks, if it checks an MD5 and nothing was read yet; else null. */
  Metadata unreadMd5Check() {
    if (count != 0 || verified || digest != null && !"MD5".equals(digest.algorithm())) {
      return null;
    }
    try {
      return new Metadata(expectedHex, expectedSize);
    } catch (IllegalArgumentException notLowercaseHex) {
      return null;
    }
  }

  /** Renames what a mismatch reports: the location, the storage and operation, and the rule. */
  VerifyingInputStream relabel(String location, String operation, String rule) {
    this.location = location;
    this.operation = operation;
    this.rule = rule;
    return this;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (verified) {
      return -1;
    }
    if (len == 0) {
      return 0;
    }
    int n = in.read(b, off, len);
    if (n < 0) {
      checkAtEnd();
      verified = true;
      return -1;
    }
    if (digest != null) {
      digest.update(b, off, n);
    }
    count += n;
    if (count > expectedSize) {
      throw changed("it is longer than the expected " + expectedSize + " bytes");
    }
    return n;
  }

  /**
   * The largest array {@link #readAllBytes} allocates before reading: the expected size is the
   * caller's word (a wrong {@code expected} must not cost a huge array before a byte is read), so
   * a larger object's array starts here and doubles, up to the expected size, as bytes arrive.
   */
  private static final int FIRST_ARRAY_BYTES = 1 << 20;

  /**
   * Reads the rest into one array of the expected size when nothing was read yet (not the 8 KiB
   * chunks, copied together at the end, of {@link InputStream#readAllBytes}): allocated whole up to
   * 1 MiB, and above that grown by doubling as bytes arrive, so a wrong expected size costs at
   * most twice the bytes there are. Then reads the end, which checks size and digest as every read
   * of the end does.
   */
  @Override
  public byte[] readAllBytes() throws IOException {
    if (count != 0 || verified || expectedSize > Integer.MAX_VALUE - 8) {
      return super.readAllBytes();
    }
    byte[] data = new byte[(int) Math.min(expectedSize, FIRST_ARRAY_BYTES)];
    int filled = 0;
    while (true) {
      filled += readNBytes(data, filled, data.length - filled);
      if (filled < data.length || data.length == expectedSize) {
        break; // the stream ended, or the array holds the expected size
      }
      data = java.util.Arrays.copyOf(data, (int) Math.min(expectedSize, 2L * data.length));
    }
    read(); // the end: throws if the bytes were fewer or more, or the digest differs
    return data; // all expectedSize bytes, or the read of the end threw
  }

  /** Closes the wrapped stream; an unfinished verification is abandoned, with no verdict. */
  @Override
  public void close() throws IOException {
    if (digest != null) {
      digest.close();
    }
    in.close();
  }

  @Override
  public int available() throws IOException {
    return verified ? 0 : in.available();
  }

  private void checkAtEnd() {
    if (count != expectedSize) {
      throw changed("it ended after " + count + " bytes, but " + expectedSize + " were expected");
    }
    if (digest == null) {
      return; // hashed when the stream was made, and every byte has been read
    }
    String actual;
    try {
      actual = HexFormat.of().formatHex(digest.digest());
    } catch (java.io.InterruptedIOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    if (!actual.equals(expectedHex)) {
      throw changed(
          "its " + digest.algorithm() + " is " + actual + ", but " + expectedHex
              + " was expected");
    }
  }

  private ChangedExternalResourceException changed(String what) {
    return new ChangedExternalResourceException(
        operation + " of " + Location.quote(location) + " failed: " + what + " (rule " + rule + ")",
        location);
  }
}
