package org.stowage;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Checks a stream against expected metadata while it is read, in the same pass (rule R2). The read
 * that would report the end of the data throws {@link ChangedExternalResourceException} instead if
 * the size or the MD5 differs; a read past the expected size throws at once. {@code skip} reads and
 * hashes what it skips. Mark and reset are not supported.
 */
final class VerifyingInputStream extends FilterInputStream {
  private final Metadata expected;
  private final String location;
  private final String operation;
  private final String rule;
  private final MessageDigest md5 = Metadata.newMd5();
  private long count;
  private boolean verified;

  /**
   * @param operation names the storage and the operation for messages, e.g. {@code "FileStorage[/d]:
   *     verified load"}
   * @param rule the rule a mismatch breaks, {@code "R2"} or {@code "R4"}
   */
  VerifyingInputStream(
      InputStream in, Metadata expected, String location, String operation, String rule) {
    super(in);
    this.expected = expected;
    this.location = location;
    this.operation = operation;
    this.rule = rule;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
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
    md5.update(b, off, n);
    count += n;
    if (count > expected.size()) {
      throw changed("it is longer than the expected " + expected.size() + " bytes");
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    byte[] buffer = new byte[(int) Math.min(ObjectSource.BUFFER_SIZE, Math.max(n, 1))];
    long skipped = 0;
    while (skipped < n) {
      int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
      if (r < 0) {
        break;
      }
      skipped += r;
    }
    return skipped;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  @Override
  public synchronized void mark(int readlimit) {
    // not supported
  }

  @Override
  public synchronized void reset() throws IOException {
    throw new IOException("mark/reset not supported by a verifying stream");
  }

  private void checkAtEnd() {
    if (count != expected.size()) {
      throw changed(
          "it ended after " + count + " bytes, but " + expected.size() + " were expected");
    }
    Metadata actual = Metadata.finish(md5, count);
    if (!actual.md5().equals(expected.md5())) {
      throw changed("its MD5 is " + actual.md5() + ", but " + expected.md5() + " was expected");
    }
  }

  private ChangedExternalResourceException changed(String what) {
    return new ChangedExternalResourceException(
        operation + " of " + Location.quote(location) + " failed: " + what + " (rule " + rule + ")",
        location);
  }
}
