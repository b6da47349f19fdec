package org.stowage.s3;

import java.io.IOException;
import org.stowage.spi.BulkInputStream;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * The body of a GET, as handed to a caller. Closing it before the end aborts the HTTP connection
 * rather than reading the rest of the object to reuse the connection: a caller who stops after a
 * few bytes of a large object does not pay for downloading it. Errors of the SDK while reading come
 * out as {@link IOException}s. {@code skip} reads (and counts) what it skips; mark and reset are not
 * supported.
 */
final class S3ObjectStream extends BulkInputStream {
  private final ResponseInputStream<GetObjectResponse> response;
  private final long length;
  private long count;
  private boolean ended;
  private boolean closed;

  S3ObjectStream(ResponseInputStream<GetObjectResponse> response) {
    this.response = response;
    Long contentLength = response.response().contentLength();
    this.length = contentLength == null ? -1 : contentLength;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    try {
      int n = response.read(b, off, len);
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
  public int available() throws IOException {
    return response.available();
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
