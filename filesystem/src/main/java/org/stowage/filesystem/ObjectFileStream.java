package org.stowage.filesystem;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.Objects;
import org.stowage.spi.BulkInputStream;

/**
 * An object file opened for reading, as {@link FileStorage#openObject} returns it: a plain stream
 * over a {@link FileChannel} whose {@link #readAllBytes()} reads into one array of the size the
 * file had when the storage looked at it, as {@code Files.readAllBytes} does with the size it asks
 * for, instead of {@link java.io.InputStream}'s default of 8 KiB chunks copied together at the
 * end. A file that grew or shrank since is still read exactly to its end. Not thread-safe; closing
 * it closes the channel.
 */
final class ObjectFileStream extends BulkInputStream {
  private final FileChannel channel;
  private final long expectedSize;
  private byte[] lastArray;
  private ByteBuffer lastBuffer;
  /** Whether nothing was read or skipped yet: the channel is at the file's start. */
  private boolean atStart = true;

  /**
   * @param channel the open file, positioned at its start; owned by this stream from now on
   * @param expectedSize the file's size as last seen, a hint for {@link #readAllBytes()}
   */
  ObjectFileStream(FileChannel channel, long expectedSize) {
    this.channel = channel;
    this.expectedSize = expectedSize;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return 0;
    }
    atStart = false;
    ByteBuffer buffer = lastArray == b ? lastBuffer : ByteBuffer.wrap(b);
    lastArray = b;
    lastBuffer = buffer;
    buffer.limit(off + len).position(off);
    return channel.read(buffer);
  }

  @Override
  public byte[] readAllBytes() throws IOException {
    if (expectedSize <= 0 || expectedSize > Integer.MAX_VALUE - 8 || !atStart) {
      return super.readAllBytes();
    }
    byte[] data = new byte[(int) expectedSize];
    int filled = readNBytes(data, 0, data.length);
    if (filled < data.length) {
      return Arrays.copyOf(data, filled); // it shrank since it was looked at
    }
    byte[] next = new byte[1];
    if (read(next, 0, 1) < 0) {
      return data; // the usual case: one more read meets the end
    }
    byte[] rest = super.readAllBytes(); // it grew since it was looked at
    byte[] all = Arrays.copyOf(data, data.length + 1 + rest.length);
    all[data.length] = next[0];
    System.arraycopy(rest, 0, all, data.length + 1, rest.length);
    return all;
  }

  @Override
  public long skip(long n) throws IOException {
    if (n <= 0) {
      return 0;
    }
    atStart = false;
    long position = channel.position();
    long skipped = Math.max(0, Math.min(n, channel.size() - position));
    channel.position(position + skipped);
    return skipped;
  }

  @Override
  public int available() throws IOException {
    return (int) Math.max(0, Math.min(Integer.MAX_VALUE, channel.size() - channel.position()));
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
