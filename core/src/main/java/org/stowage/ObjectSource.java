package org.stowage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The content of one store call, as {@link ExternalStorage} hands it to a backend's {@link
 * ExternalStorage#writeObject writeObject} hook: the bytes to store, hashed by the core as the
 * backend reads them.
 *
 * <p>A backend reads the content exactly once, to its end, through {@link #stream()} or {@link
 * #transferTo(OutputStream)}, and only then asks for {@link #metadata()}, the MD5 and size of the
 * bytes it read (rule S1). So the digest is computed from the very bytes the backend wrote, in the
 * same pass, and the backend never hashes anything itself.
 *
 * <p>Ownership: the core opens and closes the underlying source (a caller's stream is never closed;
 * a file it opened itself is closed after the hook returns). The backend must not close {@link
 * #stream()}; closing it is harmless but does not end the read.
 *
 * <p>Not thread-safe: one backend thread reads it. A backend that uploads parts in parallel reads
 * the parts sequentially from here and hands the buffers to its workers.
 */
public final class ObjectSource {
  static final int BUFFER_SIZE = 64 * 1024;

  private final InputStream raw;
  private final long knownSize;
  private final PipelinedDigest md5 = new PipelinedDigest(Metadata.newMd5());
  private final HashingStream stream = new HashingStream();
  private long count;
  private boolean ended;
  private Metadata metadata;

  private ObjectSource(InputStream raw, long knownSize) {
    this.raw = raw;
    this.knownSize = knownSize;
  }

  static ObjectSource ofBytes(byte[] data) {
    return new ObjectSource(new java.io.ByteArrayInputStream(data), data.length);
  }

  static ObjectSource ofStream(InputStream in) {
    return new ObjectSource(in, -1);
  }

  /**
   * Opens a regular file for reading. The caller closes the returned source's file with {@link
   * #closeSource()}.
   *
   * @throws NoSuchFileException if {@code path} does not exist
   * @throws IOException if it is not a regular file, or cannot be opened
   */
  static ObjectSource ofPath(Path path) throws IOException {
    if (Files.isDirectory(path)) {
      throw new IOException(path + " is a directory, not a regular file");
    }
    InputStream in = Files.newInputStream(path);
    try {
      return new ObjectSource(in, Files.size(path));
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }

  /**
   * The number of bytes the content holds, if it was known before reading: for a byte array and
   * for a file (its size when it was opened). Empty for a stream of unknown length. A hint for
   * choosing how to upload; the true size is the one {@link #metadata()} reports.
   */
  public OptionalLong knownSize() {
    return knownSize < 0 ? OptionalLong.empty() : OptionalLong.of(knownSize);
  }

  /**
   * The content as a stream, hashed as it is read. Always the same instance. Read it to its end
   * ({@code read} returns -1) before calling {@link #metadata()}. Reading errors of the underlying
   * source come out of it as {@link IOException}s; a backend lets them propagate and leaves no
   * partial object behind (rule S2).
   */
  public InputStream stream() {
    return stream;
  }

  /**
   * Copies the rest of the content to {@code out}, hashing it on the way, and returns the number of
   * bytes copied. {@code out} is neither flushed nor closed. Afterwards the content has ended and
   * {@link #metadata()} is available.
   *
   * @throws IOException if reading the source or writing {@code out} fails
   */
  public long transferTo(OutputStream out) throws IOException {
    byte[] buffer = new byte[BUFFER_SIZE];
    long copied = 0;
    int n;
    while ((n = stream.read(buffer, 0, buffer.length)) >= 0) {
      out.write(buffer, 0, n);
      copied += n;
    }
    return copied;
  }

  /** Whether the content has been read to its end. */
  public boolean isEnded() {
    return ended;
  }

  /**
   * The MD5 and size of the bytes read, once the content has been read to its end.
   *
   * @throws IllegalStateException if the content has not been read to its end: a backend that
   *     commits before that would store a truncated object
   */
  public Metadata metadata() {
    if (!ended) {
      throw new IllegalStateException(
          "the content has not been read to its end (" + count + " bytes read so far)");
    }
    if (metadata == null) {
      try {
        metadata = new Metadata(java.util.HexFormat.of().formatHex(md5.digest()), count);
      } catch (java.io.InterruptedIOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return metadata;
  }

  /** Stops hashing for a source that will not be finished. Idempotent. */
  void release() {
    md5.close();
  }

  /** Reads and hashes whatever the backend left unread, then returns the metadata of it all. */
  Metadata drain() throws IOException {
    byte[] buffer = new byte[BUFFER_SIZE];
    while (stream.read(buffer, 0, buffer.length) >= 0) {
      // hashing happens in read
    }
    return metadata();
  }

  /** Closes the underlying source. Only for sources the core opened itself. */
  void closeSource() throws IOException {
    raw.close();
  }

  /** Marks a failure to read the caller's source, as opposed to a failure of the backend. */
  static final class SourceReadException extends IOException {
    private static final long serialVersionUID = 1L;

    SourceReadException(IOException cause) {
      super("reading the source failed: " + cause.getMessage(), cause);
    }
  }

  private final class HashingStream extends InputStream {
    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (ended) {
        return -1;
      }
      if (len == 0) {
        return 0;
      }
      int n;
      try {
        n = raw.read(b, off, len);
      } catch (IOException e) {
        throw new SourceReadException(e);
      }
      if (n < 0) {
        ended = true;
        return -1;
      }
      md5.update(b, off, n);
      count += n;
      return n;
    }

    @Override
    public int available() throws IOException {
      return ended ? 0 : raw.available();
    }
  }
}
