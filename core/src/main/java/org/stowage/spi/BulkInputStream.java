package org.stowage.spi;

import java.io.IOException;
import java.io.InputStream;

/**
 * An {@link InputStream} defined by its bulk {@link #read(byte[], int, int)} alone, for backends
 * and decorators whose streams must see every byte they pass on (to hash, verify, count or record
 * failures): the single-byte {@link #read()} goes through the bulk read, and so does {@link
 * InputStream#skip}, which reads what it skips unless a subclass overrides it. So there is no way
 * around the bulk read.
 *
 * <p>Subclasses implement the bulk read, and override {@code available()} and {@code close()} as
 * they need. Not thread-safe unless a subclass says so.
 */
public abstract class BulkInputStream extends InputStream {
  /** For subclasses. */
  protected BulkInputStream() {}

  /** Reads one byte through {@link #read(byte[], int, int)}. */
  @Override
  public final int read() throws IOException {
    byte[] one = new byte[1];
    int n;
    do {
      n = read(one, 0, 1);
    } while (n == 0);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  /**
   * Reads up to {@code len} bytes into {@code b} from {@code off}, as {@link InputStream#read(byte[],
   * int, int)} specifies.
   */
  @Override
  public abstract int read(byte[] b, int off, int len) throws IOException;
}
