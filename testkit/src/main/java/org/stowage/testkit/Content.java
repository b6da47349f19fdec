package org.stowage.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.stowage.Metadata;

/**
 * The content of a generated object: {@code size} pseudo-random bytes determined by {@code seed}.
 * A recipe rather than the bytes, so that generated values print readably, shrink by size, and can
 * be streamed lazily without holding a large object in memory.
 *
 * @param size the number of bytes
 * @param seed selects the bytes; two contents with the same size and seed are the same bytes
 */
record Content(int size, long seed) {
  private static final int CHUNK = 8192;

  Content {
    if (size < 0) {
      throw new IllegalArgumentException("size " + size);
    }
  }

  /** The bytes, in a new array. */
  byte[] bytes() {
    try (InputStream in = unknownLengthStream()) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new AssertionError("a generated stream does not fail", e);
    }
  }

  /**
   * The bytes as a stream of unknown length: generated lazily, {@code available()} always 0, and
   * reads that return odd-sized chunks (1, 7, 4093, 65537, 3, ... bytes) whatever was asked for.
   */
  InputStream unknownLengthStream() {
    return new GeneratedStream(this, -1);
  }

  /**
   * A stream that yields the first half of the bytes (at least none), then throws an {@link
   * IOException}, as a source whose disk or network fails halfway.
   */
  InputStream failingStream() {
    return new GeneratedStream(this, size / 2);
  }

  /** The MD5 and size of the bytes, computed with {@link MessageDigest}, as the contract states. */
  Metadata metadata() {
    MessageDigest md5 = newMd5();
    try (InputStream in = unknownLengthStream()) {
      byte[] buffer = new byte[CHUNK];
      int n;
      while ((n = in.read(buffer)) >= 0) {
        md5.update(buffer, 0, n);
      }
    } catch (IOException e) {
      throw new AssertionError("a generated stream does not fail", e);
    }
    return new Metadata(HexFormat.of().formatHex(md5.digest()), size);
  }

  /** The MD5 and size of {@code data}, computed with {@link MessageDigest}. */
  static Metadata metadataOf(byte[] data) {
    MessageDigest md5 = newMd5();
    md5.update(data);
    return new Metadata(HexFormat.of().formatHex(md5.digest()), data.length);
  }

  static MessageDigest newMd5() {
    try {
      return MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every Java platform provides MD5", e);
    }
  }

  @Override
  public String toString() {
    return "content(" + size + " B, #" + seed + ")";
  }

  /** Generates a content's bytes in order, in odd-sized chunks, optionally failing halfway. */
  private static final class GeneratedStream extends InputStream {
    private static final int[] CHUNKS = {1, 7, 4093, 65537, 3, 1021, 12289};

    private final SplittableRandom random;
    private final int size;
    private final int failAt;
    private final byte[] block = new byte[8];
    private int blockUsed = 8;
    private int position;
    private int chunkIndex;

    GeneratedStream(Content content, int failAt) {
      this.random = new SplittableRandom(content.seed());
      this.size = content.size();
      this.failAt = failAt;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (failAt >= 0 && position >= failAt) {
        throw new IOException("the source failed on purpose after " + position + " bytes");
      }
      if (len == 0) {
        return 0;
      }
      int end = failAt >= 0 ? failAt : size;
      if (position >= end) {
        return -1;
      }
      int chunk = CHUNKS[chunkIndex++ % CHUNKS.length];
      int n = Math.min(Math.min(len, chunk), end - position);
      for (int i = 0; i < n; i++) {
        b[off + i] = nextByte();
      }
      position += n;
      return n;
    }

    /** Eight bytes per long drawn, lowest first. */
    private byte nextByte() {
      if (blockUsed == 8) {
        long word = random.nextLong();
        for (int i = 0; i < 8; i++) {
          block[i] = (byte) (word >>> (8 * i));
        }
        blockUsed = 0;
      }
      return block[blockUsed++];
    }

    @Override
    public int available() {
      return 0;
    }
  }
}
