package org.stowage.s3;

import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicReference;
import org.stowage.ObjectSource;
import software.amazon.awssdk.http.ContentStreamProvider;

/**
 * The body of one request of a direct upload: a range of a re-readable source, opened afresh for
 * every attempt the SDK makes (a retry resends the same range, read again).
 *
 * <p>Failures to read the source (a file that shrank, a read error) reach the SDK as {@link
 * IOException}s inside the request, which the SDK wraps and may retry; they are also kept in a
 * shared {@link AtomicReference}, the first one only, so that the store can report the source's
 * failure rather than the request's.
 */
final class RangeBody implements ContentStreamProvider {
  private final ObjectSource source;
  private final long offset;
  private final long length;
  private final AtomicReference<IOException> sourceFailure;

  RangeBody(ObjectSource source, long offset, long length, AtomicReference<IOException> sourceFailure) {
    this.source = source;
    this.offset = offset;
    this.length = length;
    this.sourceFailure = sourceFailure;
  }

  @Override
  public InputStream newStream() {
    try {
      return new Recording(source.openRange(offset, length));
    } catch (IOException e) {
      sourceFailure.compareAndSet(null, e);
      throw new UncheckedIOException(e);
    }
  }

  /** Whether {@code e} says that the source is shorter than when it was hashed. */
  static boolean isShorter(IOException e) {
    return e instanceof EOFException;
  }

  /** Passes reads through, keeping the first failure. */
  private final class Recording extends FilterInputStream {
    Recording(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      try {
        return super.read();
      } catch (IOException e) {
        sourceFailure.compareAndSet(null, e);
        throw e;
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return in.read(b, off, len);
      } catch (IOException e) {
        sourceFailure.compareAndSet(null, e);
        throw e;
      }
    }

    @Override
    public long skip(long n) throws IOException {
      try {
        return in.skip(n);
      } catch (IOException e) {
        sourceFailure.compareAndSet(null, e);
        throw e;
      }
    }
  }
}
