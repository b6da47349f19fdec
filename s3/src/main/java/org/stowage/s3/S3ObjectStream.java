package org.stowage.s3;

import java.io.FilterInputStream;
import java.io.IOException;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * The body of a GET, as handed to a caller. Closing it before the end aborts the HTTP connection
 * rather than reading the rest of the object to reuse the connection: a caller who stops after a
 * few bytes of a large object does not pay for downloading it. Errors of the SDK while reading come
 * out as {@link IOException}s.
 */
final class S3ObjectStream extends FilterInputStream {
  private final ResponseInputStream<GetObjectResponse> response;
  private final long length;
  private long count;
  private boolean ended;
  private boolean closed;

  S3ObjectStream(ResponseInputStream<GetObjectResponse> response) {
    super(response);
    this.response = response;
    Long contentLength = response.response().contentLength();
    this.length = contentLength == null ? -1 : contentLength;
  }

  @Override
  public int read() throws IOException {
    try {
      int b = in.read();
      if (b < 0) {
        ended = true;
      } else {
        count++;
      }
      return b;
    } catch (SdkException e) {
      throw new IOException("reading the object from S3 failed: " + e.getMessage(), e);
    }
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    try {
      int n = in.read(b, off, len);
      if (n < 0) {
        ended = true;
      } else {
        count += n;
      }
      return n;
    } catch (SdkException e) {
      throw new IOException("reading the object from S3 failed: " + e.getMessage(), e);
    }
  }

  @Override
  public long skip(long n) throws IOException {
    byte[] buffer = new byte[(int) Math.min(8192, Math.max(n, 1))];
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
    throw new IOException("mark/reset not supported");
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (!ended && (length < 0 || count < length)) {
        response.abort();
      }
      response.close();
    } catch (SdkException e) {
      throw new IOException("closing the S3 response failed: " + e.getMessage(), e);
    }
  }
}
