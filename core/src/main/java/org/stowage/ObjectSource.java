package org.stowage;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import org.stowage.spi.BulkInputStream;

/**
 * The content of one store call, as {@link ExternalStorage} hands it to a backend's {@link
 * ExternalStorage#writeObject writeObject} hook: the bytes to store, hashed by the core as the
 * backend reads them.
 *
 * <p>A backend reads the content exactly once, to its end, through {@link #stream()} or {@link
 * #transferTo(OutputStream)}, and only then asks for {@link #metadata()}, the MD5 and size of the
 * bytes it read (rule S1). So the digest is computed from the very bytes the backend wrote, in the
 * same pass, and the backend never hashes anything itself. (A re-readable source may instead be
 * hashed first and sent afterwards, under the rule given below.)
 *
 * <p>Ownership: the core opens and closes the underlying source (a caller's stream is never closed;
 * a file it opened itself is closed after the hook returns). The backend must not close {@link
 * #stream()}; closing it is harmless but does not end the read.
 *
 * <p>A decorator does not read the content itself: it hands it on to one tier, once, with {@link
 * ExternalStorage#storeSource}, so the tier sees the caller's array or file and the bytes are
 * hashed once, by this source, for both.
 *
 * <p>Not thread-safe: one backend thread reads it. A backend that uploads parts in parallel reads
 * the parts sequentially from here and hands the buffers to its workers. The one exception is
 * {@link #openRange}, which any thread may call, for the second pass over a re-readable source.
 *
 * <h2>Re-readable sources: hash first, then upload</h2>
 *
 * <p>The content of {@link ExternalStorage#storeBytes storeBytes} (the caller's array) and of
 * {@link ExternalStorage#storePath storePath} (a regular file) can be read more than once ({@link
 * #isRereadable()}). A backend that must know the MD5 <em>before</em> it writes (an object store
 * that takes it in a request header or in metadata fixed when an upload starts) may then, instead
 * of the one pass above, make two:
 *
 * <ol>
 *   <li>{@link #precomputeMetadata()} (or {@link #precomputeRangedMetadata(long)}, which also
 *       gives the MD5 of each range of a chosen size, for uploads in parts): the core reads the
 *       whole content once, through the same hasher as {@link #stream()}, and returns its MD5 and
 *       size. Afterwards the content counts as read to its end: {@link #isEnded()} is true,
 *       {@link #metadata()} returns the same value, and {@link #stream()} is at its end.
 *   <li>{@link #openRange(long, long)}, any number of times, from any threads: fresh, unhashed
 *       streams over byte ranges of the content, which the backend sends.
 * </ol>
 *
 * <p>The second pass may not see the bytes the first one hashed: a file can be changed in
 * between, and a caller can change its array. <b>A backend that writes from {@link #openRange}
 * must make sure that what it commits is exactly the content the precomputed metadata
 * describes</b>, and must otherwise commit nothing, leave the previous object as it was (rule S2)
 * and throw, preferably a {@link ChangedExternalResourceException} saying that the source changed
 * while it was stored (rules S2, S3). Ways that keep this rule:
 *
 * <ul>
 *   <li>hash the bytes of the second pass as they are sent and compare with the precomputed MD5
 *       before the commit;
 *   <li>have the server check each piece it receives against a digest from the first pass: the
 *       whole object's MD5 as the {@code Content-MD5} of a single upload, or each range's MD5 from
 *       {@link #precomputeRangedMetadata(long)} as the {@code Content-MD5} of that part; pieces
 *       that all match the first pass's bytes make up exactly the content the first pass hashed.
 * </ul>
 *
 * <p>The metadata the core returns to the caller is the precomputed one: the MD5 of the content
 * as the first pass read it, which is, by the rule above, the content committed.
 */
public final class ObjectSource {
  static final int BUFFER_SIZE = 64 * 1024;

  /** Read size of the hashing pass of {@link #precomputeMetadata()}. */
  static final int PRECOMPUTE_BUFFER_SIZE = 1 << 20;

  /** Buffer of the streams {@link #openRange} returns over a file. */
  static final int RANGE_BUFFER_SIZE = 64 * 1024;

  private final InputStream raw;
  private final long knownSize;
  /** Hashes what is read; null for {@link #ofVerified}, whose stream hashes instead. */
  private final PipelinedDigest md5;
  /** For {@link #ofVerified}: the metadata the verifying stream checks; otherwise null. */
  private final Metadata verified;
  private final HashingStream stream = new HashingStream();
  /** The caller's array, for {@link #ofBytes}; otherwise null. */
  private final byte[] bytes;
  /** The regular file, for {@link #ofPath} on a file channel; otherwise null. */
  private final Path file;
  /** Guards {@link #rangeChannel} and {@link #closed}. */
  private final Object rangeLock = new Object();
  /** The channel that {@link #openRange} reads a file through; null if not a file. */
  private FileChannel rangeChannel;
  private boolean closed;
  /**
   * Set when the core is done with the source ({@link #release()}): from then on the caller's
   * array or file is the caller's again, and every read through this source fails (rule S6).
   */
  private volatile boolean released;
  private long count;
  private boolean ended;
  private Metadata metadata;
  /** The failure of the underlying source, once reading it failed; otherwise null. */
  private SourceReadException readFailure;
  /** Whether the core found no object at the target just before this store's write. */
  private boolean targetSeenAbsent;

  private ObjectSource(InputStream raw, long knownSize) {
    this(raw, knownSize, null, null, null);
  }

  private ObjectSource(
      InputStream raw, long knownSize, byte[] bytes, Path file, FileChannel rangeChannel) {
    this.raw = raw;
    this.knownSize = knownSize;
    this.bytes = bytes;
    this.file = file;
    this.rangeChannel = rangeChannel;
    this.md5 = new PipelinedDigest(Metadata.newMd5());
    this.verified = null;
  }

  private ObjectSource(VerifyingInputStream raw, Metadata verified) {
    this.raw = raw;
    this.knownSize = verified.size();
    this.bytes = null;
    this.file = null;
    this.md5 = null;
    this.verified = verified;
  }

  static ObjectSource ofBytes(byte[] data) {
    return new ObjectSource(new java.io.ByteArrayInputStream(data), data.length, data, null, null);
  }

  static ObjectSource ofStream(InputStream in) {
    return new ObjectSource(in, -1);
  }

  /**
   * The content of a verified stream, for copies: {@code in} already hashes every byte and throws
   * at its end unless they match {@code expected}, so this source does not hash them again; read
   * to its end without an exception, its metadata is {@code expected}.
   */
  static ObjectSource ofVerified(VerifyingInputStream in, Metadata expected) {
    return new ObjectSource(in, expected);
  }

  /**
   * Opens a regular file for reading. The caller closes the returned source's file with {@link
   * #closeSource()}. The source is {@linkplain #isRereadable() re-readable} if the path is a
   * regular file opened as a {@link FileChannel} (the default file system); otherwise (another
   * file system provider, a device, a pipe) it is read once, as a stream.
   *
   * @throws NoSuchFileException if {@code path} does not exist
   * @throws IOException if it is not a regular file, or cannot be opened
   */
  static ObjectSource ofPath(Path path) throws IOException {
    SeekableByteChannel channel = Files.newByteChannel(path, StandardOpenOption.READ);
    try {
      // One look at the file just opened (links followed) says what two looks said: a directory
      // is refused, and only a regular file is re-read. A file swapped between the open and the
      // look fails at its first re-read, which cannot seek a pipe.
      BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
      if (attributes.isDirectory()) {
        throw new IOException(path + " is a directory, not a regular file");
      }
      InputStream in = Channels.newInputStream(channel);
      long size = channel.size();
      if (channel instanceof FileChannel && attributes.isRegularFile()) {
        return new ObjectSource(in, size, null, path, (FileChannel) channel);
      }
      return new ObjectSource(in, size);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /**
   * The number of bytes the content holds, if it was known before reading: for a byte array and
   * for a file (its size when it was opened). Empty for a stream of unknown length. A hint for
   * choosing how to upload; the true size is the one {@link #metadata()} reports.
   *
   * @return the content's size in bytes when known before reading; empty for a stream
   */
  public OptionalLong knownSize() {
    return knownSize < 0 ? OptionalLong.empty() : OptionalLong.of(knownSize);
  }

  /**
   * The content as a stream, hashed as it is read. Always the same instance. Read it to its end
   * ({@code read} returns -1) before calling {@link #metadata()}. Reading errors of the underlying
   * source come out of it as {@link IOException}s; a backend lets them propagate and leaves no
   * partial object behind (rule S2).
   *
   * @return the hashing stream over the content, owned by the core: the backend reads it and does
   *     not close it (see "Ownership" above)
   */
  public InputStream stream() {
    return stream;
  }

  /**
   * Copies the rest of the content to {@code out}, hashing it on the way, and returns the number of
   * bytes copied. {@code out} is neither flushed nor closed. Afterwards the content has ended and
   * {@link #metadata()} is available.
   *
   * @param out where to write the content; not flushed or closed
   * @return the number of bytes copied, zero if the content had already ended
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

  /**
   * Whether the content can be read more than once, through {@link #precomputeMetadata()} and
   * {@link #openRange}: true for the content of {@code storeBytes} and {@code storePath} (a regular
   * file), false for a stream ({@code storeStream}, and the streamed copies of {@code copy} and
   * {@code move}), which can only be read once through {@link #stream()}.
   *
   * @return true for an array or a regular file, false for a stream
   */
  public boolean isRereadable() {
    return bytes != null || file != null;
  }

  /**
   * For a {@linkplain #isRereadable() re-readable} source: reads the whole content once, on the
   * calling thread, hashing it as {@link #stream()} would, and returns its MD5 and size, before the
   * backend writes anything. Afterwards {@link #isEnded()} is true, {@link #metadata()} returns
   * the same value and {@link #stream()} is at its end; the backend sends the content from {@link
   * #openRange} and must keep the rule of the class description: commit only what equals this
   * metadata.
   *
   * <p>Call it at most once, before reading anything through {@link #stream()}. A file is read
   * through the handle the core opened; its size is the number of bytes read now, which may
   * differ from {@link #knownSize()} if the file changed since it was opened.
   *
   * @return the MD5 and size of the whole content, as read now
   * @throws IllegalStateException if the source is not re-readable, or was already read
   * @throws IOException if reading the source fails (the store then fails, stores nothing, and
   *     says that the source failed)
   */
  public Metadata precomputeMetadata() throws IOException {
    return hashAhead(0).metadata();
  }

  /**
   * Same as {@link #precomputeMetadata()}, and in the same pass, over the same bytes, the MD5 of
   * each consecutive range of {@code rangeSize} bytes (the last range may be shorter): for a
   * backend that uploads the content in parts of that size and has the server check each part's
   * digest. Hashing the ranges costs a second MD5 over the content, on the calling thread while
   * the whole content's MD5 runs on the core's hasher thread.
   *
   * @param rangeSize the size of every range but the last, at least 1
   * @return the whole content's MD5 and size, with the MD5 of each range
   * @throws IllegalArgumentException if {@code rangeSize} is less than 1
   * @throws IllegalStateException if the source is not re-readable, or was already read
   * @throws IOException if reading the source fails
   */
  public RangedMetadata precomputeRangedMetadata(long rangeSize) throws IOException {
    if (rangeSize < 1) {
      throw new IllegalArgumentException("rangeSize must be at least 1, got " + rangeSize);
    }
    return hashAhead(rangeSize);
  }

  /**
   * For a {@linkplain #isRereadable() re-readable} source: a fresh stream over the {@code length}
   * bytes of the content that start at {@code offset}, read again from the caller's array or
   * file, <em>not</em> hashed. Typically called after {@link #precomputeMetadata()}, with ranges
   * inside its size.
   *
   * <p>Ownership and threads: the caller closes the stream (it holds no file of its own: a file is
   * read with positional reads through the handle the core opened, so closing is cheap and never
   * closes the file). Any thread may open ranges, several at once, for example one per part
   * uploaded in parallel, and an HTTP client may open the same range again to retry a request;
   * each stream is used by one thread at a time. Streams work only while the backend's {@link
   * ExternalStorage#writeObject writeObject} runs: the core closes the file when it returns, and
   * a stream over an array, or a new range, throws {@link IllegalStateException} once it has
   * returned (the caller may change its array from then on, rule S6), so a backend that kept a
   * view of the caller's bytes finds out at once instead of storing whatever the array holds
   * later.
   *
   * <p>The bytes are those of the array or file <em>now</em>: if they changed since they were
   * hashed, the backend's checks must notice (see the class description). If the file is now
   * shorter than {@code offset + length}, reading past its end throws {@link EOFException}
   * instead of ending early, so that a request with a declared length never hangs waiting for
   * missing bytes.
   *
   * @param offset the index of the first byte of the range, from 0
   * @param length the number of bytes in the range
   * @return a new stream over the range, not hashed; the caller closes it
   * @throws IllegalArgumentException if {@code offset} or {@code length} is negative, or, for an
   *     array, the range is not inside it
   * @throws IllegalStateException if the source is not re-readable, or {@code writeObject} has
   *     returned
   * @throws IOException if the file cannot be read (for example, it was closed)
   */
  public InputStream openRange(long offset, long length) throws IOException {
    requireRereadable("openRange");
    requireUnreleased("openRange");
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException(
          "offset and length must not be negative, got " + offset + " and " + length);
    }
    if (bytes != null) {
      if (offset + length > bytes.length) {
        throw new IllegalArgumentException(
            "the range [" + offset + ", " + (offset + length) + ") is not inside the "
                + bytes.length + " bytes of the array");
      }
      return new ArrayRange(bytes, (int) offset, (int) length);
    }
    rangeChannel(); // fails at once if the source is closed
    return new FileRange(offset, length);
  }

  /**
   * Whether the core looked at the target location just before this write and found no object
   * there: under {@link WritePolicy#SKIP_IF_EXISTS} and {@link WritePolicy#FAIL_IF_DIFFERENT},
   * which ask the backend's {@code objectMetadata} first, also through a decorator that handed this
   * content on. A backend whose conditional create is expensive to attempt against a present
   * object (a multipart upload, refused only at its end) may then skip its own look before it
   * starts. A hint only: the write must still be conditional, since an object may appear
   * meanwhile.
   *
   * @return true if the core saw no object at the target just before this write; false if it did
   *     not look or saw one
   */
  public boolean targetSeenAbsent() {
    return targetSeenAbsent;
  }

  /** Records that the core just found no object at the target (see {@link #targetSeenAbsent}). */
  void noteTargetAbsent() {
    targetSeenAbsent = true;
  }

  /**
   * Whether the content has been read to its end.
   *
   * @return true once the whole content has been read, through {@link #stream()}, {@link
   *     #transferTo} or {@link #precomputeMetadata()}; false before
   */
  public boolean isEnded() {
    return ended;
  }

  /**
   * The MD5 and size of the bytes read, once the content has been read to its end.
   *
   * @return the MD5 and size of every byte read
   * @throws IllegalStateException if the content has not been read to its end: a backend that
   *     commits before that would store a truncated object
   */
  public Metadata metadata() {
    if (!ended) {
      throw new IllegalStateException(
          "the content has not been read to its end (" + count + " bytes read so far)");
    }
    if (metadata == null && verified != null) {
      metadata = verified;
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

  /**
   * Ends the backend's use of the source, once {@code writeObject} (or the core's own read) has
   * returned: stops hashing, and makes every later read through the source or through a range
   * over an array fail (rule S6: the caller's array is the caller's again). Idempotent.
   */
  void release() {
    released = true;
    if (md5 != null) {
      md5.close();
    }
  }

  /** Whether nothing has read the content yet: the precondition of handing it on to a store. */
  boolean isUntouched() {
    return count == 0 && !ended;
  }

  /** The failure of the underlying source, if reading it failed; otherwise null. */
  SourceReadException readFailure() {
    return readFailure;
  }

  private void requireUnreleased(String operation) {
    if (released) {
      throw new IllegalStateException(operation + " after writeObject returned: the source"
          + " belongs to the caller again, who may change its bytes; a backend must read what it"
          + " stores before writeObject returns (rule S6)");
    }
  }

  /** A range of the caller's array, readable only until the core releases the source. */
  private final class ArrayRange extends java.io.ByteArrayInputStream {
    ArrayRange(byte[] data, int offset, int length) {
      super(data, offset, length);
    }

    @Override
    public synchronized int read() {
      requireUnreleased("reading a range of the caller's array");
      return super.read();
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) {
      requireUnreleased("reading a range of the caller's array");
      return super.read(b, off, len);
    }

    @Override
    public synchronized long transferTo(java.io.OutputStream out) throws IOException {
      requireUnreleased("reading a range of the caller's array");
      return super.transferTo(out);
    }

    @Override
    public synchronized byte[] readAllBytes() {
      requireUnreleased("reading a range of the caller's array");
      return super.readAllBytes();
    }

    @Override
    public synchronized int readNBytes(byte[] b, int off, int len) {
      requireUnreleased("reading a range of the caller's array");
      return super.readNBytes(b, off, len);
    }
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
    FileChannel ranges;
    synchronized (rangeLock) {
      closed = true;
      ranges = rangeChannel; // the channel under raw, or one opened again after an interrupt
      rangeChannel = null;
    }
    try {
      raw.close();
    } finally {
      if (ranges != null) {
        ranges.close();
      }
    }
  }

  private void requireRereadable(String operation) {
    if (!isRereadable()) {
      throw new IllegalStateException(
          operation + " needs a re-readable source (storeBytes, storePath); this one is a stream,"
              + " read it once through stream()");
    }
  }

  /** The first pass of a re-readable source: hashes everything, and ranges if {@code rangeSize > 0}. */
  private RangedMetadata hashAhead(long rangeSize) throws IOException {
    requireRereadable("precomputeMetadata");
    if (count > 0 || ended) {
      throw new IllegalStateException(
          "precomputeMetadata must come before anything else reads the content (" + count
              + " bytes read so far" + (ended ? ", ended" : "") + ")");
    }
    RangeHasher ranges = rangeSize > 0 ? new RangeHasher(rangeSize) : null;
    if (bytes != null) {
      // Straight from the caller's array: no copy into a read buffer.
      for (int off = 0; off < bytes.length; ) {
        int n = Math.min(PRECOMPUTE_BUFFER_SIZE, bytes.length - off);
        md5.update(bytes, off, n);
        if (ranges != null) {
          ranges.update(bytes, off, n);
        }
        off += n;
        count += n;
      }
      ended = true;
    } else {
      byte[] buffer = new byte[PRECOMPUTE_BUFFER_SIZE];
      int n;
      while ((n = stream.read(buffer, 0, buffer.length)) >= 0) {
        if (ranges != null) {
          ranges.update(buffer, 0, n);
        }
      }
    }
    Metadata whole = metadata();
    return new RangedMetadata(
        whole, rangeSize > 0 ? rangeSize : Math.max(1, whole.size()),
        ranges != null ? ranges.finish() : (whole.size() == 0 ? List.of() : List.of(whole.md5())));
  }

  /**
   * The channel for positional reads of the file. The handle the core opened, unless a reader
   * thread was interrupted inside a read, which closes a {@link FileChannel} for every user (an
   * HTTP client interrupts a request that timed out); then the file is opened again by its path.
   * The bytes read must be checked against the first pass anyway (see the class description).
   */
  private FileChannel rangeChannel() throws IOException {
    synchronized (rangeLock) {
      if (closed) {
        throw new ClosedChannelException();
      }
      if (!rangeChannel.isOpen()) {
        rangeChannel = FileChannel.open(file, StandardOpenOption.READ);
      }
      return rangeChannel;
    }
  }

  /**
   * The first pass's digests: the whole content's metadata, and the MD5 of each consecutive range
   * of {@code rangeSize} bytes, in order. There are {@code ceil(size / rangeSize)} ranges (none for
   * empty content); range {@code i} (from 0) covers bytes {@code [i * rangeSize, min(size, (i + 1)
   * * rangeSize))}.
   *
   * @param metadata the MD5 and size of the whole content
   * @param rangeSize the size of every range but the last
   * @param rangeMd5s the MD5 of each range, 32 lowercase hexadecimal digits each
   */
  public record RangedMetadata(Metadata metadata, long rangeSize, List<String> rangeMd5s) {
    /**
     * Validates and copies.
     *
     * @param metadata the MD5 and size of the whole content
     * @param rangeSize the size of every range but the last, at least 1
     * @param rangeMd5s the MD5 of each range, in order; copied
     * @throws IllegalArgumentException if {@code rangeSize} is less than 1, or the number of
     *     digests does not fit the size
     */
    public RangedMetadata {
      Objects.requireNonNull(metadata, "metadata");
      rangeMd5s = List.copyOf(rangeMd5s);
      if (rangeSize < 1) {
        throw new IllegalArgumentException("rangeSize must be at least 1, got " + rangeSize);
      }
      long expected = (metadata.size() + rangeSize - 1) / rangeSize;
      if (rangeMd5s.size() != expected) {
        throw new IllegalArgumentException(
            rangeMd5s.size() + " range digests for " + metadata.size() + " bytes in ranges of "
                + rangeSize + ": expected " + expected);
      }
    }

    /**
     * The number of ranges.
     *
     * @return {@code ceil(size / rangeSize)}: zero for empty content
     */
    public int ranges() {
      return rangeMd5s.size();
    }

    /**
     * The offset of range {@code index} (from 0).
     *
     * @param index the range's number, from 0 to {@link #ranges()} minus one
     * @return {@code index * rangeSize}
     * @throws IndexOutOfBoundsException if {@code index} is not a range's number
     */
    public long rangeOffset(int index) {
      Objects.checkIndex(index, rangeMd5s.size());
      return index * rangeSize;
    }

    /**
     * The length of range {@code index} (from 0): {@code rangeSize}, or less for the last.
     *
     * @param index the range's number, from 0 to {@link #ranges()} minus one
     * @return the range's length in bytes, from 1 to {@code rangeSize}
     * @throws IndexOutOfBoundsException if {@code index} is not a range's number
     */
    public long rangeLength(int index) {
      return Math.min(rangeSize, metadata.size() - rangeOffset(index));
    }
  }

  /** MD5s of consecutive ranges of a fixed size, fed in order. */
  private static final class RangeHasher {
    private final long rangeSize;
    private final MessageDigest digest = Metadata.newMd5();
    private final List<String> done = new ArrayList<>();
    private long inRange;

    RangeHasher(long rangeSize) {
      this.rangeSize = rangeSize;
    }

    void update(byte[] b, int off, int len) {
      while (len > 0) {
        int n = (int) Math.min(len, rangeSize - inRange);
        digest.update(b, off, n);
        inRange += n;
        off += n;
        len -= n;
        if (inRange == rangeSize) {
          done.add(HexFormat.of().formatHex(digest.digest()));
          inRange = 0;
        }
      }
    }

    List<String> finish() {
      if (inRange > 0) {
        done.add(HexFormat.of().formatHex(digest.digest()));
        inRange = 0;
      }
      return done;
    }
  }

  /**
   * Bytes {@code [offset, offset + length)} of the file, read with positional reads (which do not
   * move the channel's position and may run in parallel), through a small buffer.
   */
  private final class FileRange extends BulkInputStream {
    private final long end;
    private final ByteBuffer buffer = ByteBuffer.allocate(RANGE_BUFFER_SIZE).flip();
    private long position;
    private boolean streamClosed;

    FileRange(long offset, long length) {
      this.position = offset;
      this.end = offset + length;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      if (streamClosed) {
        throw new IOException("the range stream is closed");
      }
      if (len == 0) {
        return 0;
      }
      if (buffer.hasRemaining()) {
        int n = Math.min(len, buffer.remaining());
        buffer.get(b, off, n);
        return n;
      }
      long left = end - position;
      if (left <= 0) {
        return -1;
      }
      if (len >= RANGE_BUFFER_SIZE) {
        // Large reads go straight into the caller's array.
        int n = readAt(ByteBuffer.wrap(b, off, (int) Math.min(len, left)));
        position += n;
        return n;
      }
      buffer.clear().limit((int) Math.min(RANGE_BUFFER_SIZE, left));
      int filled = readAt(buffer);
      position += filled;
      buffer.flip();
      int n = Math.min(len, buffer.remaining());
      buffer.get(b, off, n);
      return n;
    }

    /** One positional read at {@link #position}; never 0 bytes, never the end of the file. */
    private int readAt(ByteBuffer into) throws IOException {
      while (true) {
        int n = rangeChannel().read(into, position);
        if (n < 0) {
          throw new EOFException(
              "the file " + file + " ends at byte " + position + ", but the range read from it"
                  + " ends at byte " + end + ": the file is shorter than when it was hashed");
        }
        if (n > 0) {
          return n;
        }
      }
    }

    @Override
    public long skip(long n) throws IOException {
      if (n <= 0) {
        return 0;
      }
      long fromBuffer = Math.min(n, buffer.remaining());
      buffer.position(buffer.position() + (int) fromBuffer);
      long fromFile = Math.min(n - fromBuffer, end - position);
      position += fromFile;
      return fromBuffer + fromFile;
    }

    @Override
    public int available() {
      return buffer.remaining();
    }

    @Override
    public void close() {
      streamClosed = true;
    }
  }

  /** Marks a failure to read the caller's source, as opposed to a failure of the backend. */
  static final class SourceReadException extends IOException {
    private static final long serialVersionUID = 1L;

    SourceReadException(IOException cause) {
      super("reading the source failed: " + cause.getMessage(), cause);
    }
  }

  private final class HashingStream extends BulkInputStream {
    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (ended) {
        return -1;
      }
      requireUnreleased("stream().read");
      if (len == 0) {
        return 0;
      }
      int n;
      try {
        n = raw.read(b, off, len);
      } catch (IOException e) {
        readFailure = new SourceReadException(e);
        throw readFailure;
      }
      if (n < 0) {
        ended = true;
        return -1;
      }
      if (md5 != null) {
        md5.update(b, off, n);
      }
      count += n;
      return n;
    }

    @Override
    public int available() throws IOException {
      return ended ? 0 : raw.available();
    }
  }
}
