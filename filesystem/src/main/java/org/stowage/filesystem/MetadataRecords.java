package org.stowage.filesystem;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stowage.Location;
import org.stowage.Metadata;

/**
 * The metadata records of a {@link FileStorage}: one small text per object, holding the object's
 * MD5 and size and the version of the file they were computed from, so that {@code getMetadata}
 * need not read the object (rule R3).
 *
 * <p><b>Two places.</b> Where the filesystem keeps user extended attributes (checked once when the
 * storage opens, {@link #attributesWork}), a record is the attribute {@value #ATTRIBUTE_NAME}
 * ({@code user.stowage.record}) of the object file itself, in format 2 (below): a store sets it on
 * its temporary file before publishing it, so the record is published with the file in the same
 * {@code rename(2)} or {@code link(2)}, moves with it, and is gone with it. Where attributes are
 * not kept, or cannot be set on one file, a record is a file (format 1, below), as before
 * 2026-12. Readers look at the attribute first and then at the record file, so stores written
 * either way read alike.
 *
 * <p>Format 2, the attribute's value, is binary and short, so that it fits in the inode itself
 * where the filesystem keeps small attributes there (ext4 with its default 256-byte inodes has
 * room for a value of 56 bytes under this name; a longer one takes a data block of its own). It
 * holds what format 1 holds except the location, which it does not need (the record belongs to
 * the file, whatever its name). Numbers are big-endian:
 *
 * <pre>
 * byte 0        2, the format
 * bytes 1-16    the MD5
 * bytes 17-24   the size in bytes
 * bytes 25-32   the last-modified time: seconds since 1970-01-01T00:00:00Z (may be negative)
 * bytes 33-36   and nanoseconds after them (0 to 999,999,999)
 * byte 37       the kind of identity that follows: 0 none, 1 Unix device and inode numbers,
 *               2 another platform's identity as UTF-8 text
 * then          kind 1: the device number (8 bytes) and the inode number (8 bytes), 54 bytes in
 *               all; kind 2: the text's length (1 byte) and the text
 * </pre>
 *
 * <p>The record file of a location lives at {@code .stowage/meta/<h0h1>/<h>} under the root, where
 * {@code h} is the lowercase hex SHA-256 of the location's UTF-8 bytes and {@code h0h1} its first
 * two digits. Records therefore never share a directory with objects, need no pruning, and a
 * location of any length maps to a short file name. The record repeats the location, so that a
 * record found under the wrong hash (which SHA-256 makes impossible in practice) is never used.
 *
 * <p>Format 1 is UTF-8 text, one {@code key=value} per line after a header line:
 *
 * <pre>
 * stowage-file-record 1
 * location=dag/unit/result.json
 * md5=9e107d9d372bb6826bd81d3542a419d6
 * size=43
 * modified=2025-06-01T12:00:00.123456789Z
 * file-key=(dev=803,ino=1234567)
 * </pre>
 *
 * <p>{@code modified} is the object file's last-modified time as an ISO-8601 instant, to the
 * precision the filesystem keeps; {@code file-key} is the file's identity ({@code
 * BasicFileAttributes.fileKey()}), absent where the platform has none. Values never contain a line
 * break: locations cannot (rule L2) and file keys that would are not recorded.
 *
 * <p>Records are written in place, under the location's lock, which every reader of records holds
 * too, so a reader sees a whole record or none: a store opens the record file with {@code O_CREAT
 * | O_TRUNC} (creating it for a new location, emptying it for a replaced one) before the new object
 * is published, and writes the record into it after ({@link #openEmptied}, {@link #rewrite}). That
 * is one {@code open}, one {@code write} and one {@code close} per store, with no temporary file
 * and no rename. An empty record counts as none, silently: it is what a store interrupted between
 * the two steps leaves. (Before 2026-12, a new location's record was written to a temporary file
 * and renamed into place; both kinds of record file are read alike.) Only where something other
 * than a regular file has taken a record's name is the record written to a temporary file and
 * renamed over it. A record that cannot be read or parsed
 * is treated as absent, with a warning; it is replaced when the object is next hashed. A record cut
 * short by a crash while it was rewritten either fails to parse (every line must end with a line
 * break; {@code location}, {@code md5}, {@code size} and {@code modified} are required) or lacks
 * only its {@code file-key}, and every field it has describes the new object.
 */
final class MetadataRecords {
  /** The logger, asked for at its first message (see {@code ExternalStorage.Log}). */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(MetadataRecords.class);
  }
  private static final String HEADER = "stowage-file-record 1";
  /** The first byte of a record attribute: its format. */
  private static final byte ATTRIBUTE_FORMAT = 2;
  /** The length of a record attribute up to its identity's kind byte, included. */
  private static final int ATTRIBUTE_FIXED_BYTES = 1 + 16 + 8 + 8 + 4 + 1;
  /** The user extended attribute that holds a record, {@code user.stowage.record} on Linux. */
  static final String ATTRIBUTE_NAME = "stowage.record";
  /** Longer attribute values are not records of this store. */
  private static final int MAX_ATTRIBUTE_BYTES = 1024;
  /** Enough for a record of a file with a Unix identity (54 bytes). */
  private static final int USUAL_ATTRIBUTE_BYTES = 64;
  private static final int MAX_RECORD_BYTES = 16 * 1024;
  private static final HexFormat HEX = HexFormat.of();
  /** Cloned for each record name; never used itself. */
  private static final MessageDigest SHA256 = newSha256();

  /**
   * What a record says.
   *
   * @param location the location it is for; {@code null} for a record in an object's attribute,
   *     which belongs to the file whatever its name
   * @param metadata the object's MD5 and size
   * @param version the version of the object file the metadata describes
   */
  record Entry(String location, Metadata metadata, FileVersion version) {
    /** Whether it was read from an object's attribute (rather than from a record file). */
    boolean inAttribute() {
      return location == null;
    }
  }

  private final Path directory;
  private final boolean durable;
  private final String storage;
  private final boolean attributes;
  /**
   * Whether record files may exist under {@link #directory}: always where records are files;
   * otherwise if the record directory existed when the storage opened (an earlier version, or
   * another storage without attributes, wrote there) or this storage wrote a record file since.
   * While false, a store or delete leaves record files alone (there are none to make stale).
   */
  private volatile boolean recordFilesMayExist;
  /**
   * Whether objects' attributes are worth reading: true until a read finds that the filesystem
   * keeps none ({@code ENOTSUP}). Independent of {@link #attributes}: a storage whose probe failed
   * for a passing reason (no space, no permission in {@code .stowage}) writes record files, but
   * still reads the attributes other storages on the root set, so that it never re-hashes (and
   * records as good) an object whose attribute holds the true record.
   */
  private volatile boolean attributesReadable = true;

  /**
   * Records as files only (format 1), as when extended attributes are not kept.
   *
   * @param directory where records live, {@code <root>/.stowage/meta}
   * @param durable whether to sync records to disk before they count as written
   * @param storage the storage's name for log messages
   */
  MetadataRecords(Path directory, boolean durable, String storage) {
    this(directory, durable, storage, false);
  }

  /**
   * @param directory where record files live, {@code <root>/.stowage/meta}
   * @param durable whether to sync records to disk before they count as written
   * @param storage the storage's name for log messages
   * @param attributes whether records go into the objects' extended attributes ({@link
   *     #attributesWork} said yes for this root)
   */
  MetadataRecords(Path directory, boolean durable, String storage, boolean attributes) {
    this.directory = directory;
    this.durable = durable;
    this.storage = storage;
    this.attributes = attributes;
    this.recordFilesMayExist = !attributes || Files.isDirectory(directory);
  }

  /** Whether records go into the objects' extended attributes. */
  boolean inAttributes() {
    return attributes;
  }

  /** Whether a record file may exist for some location (see {@link #recordFilesMayExist}). */
  boolean recordFilesMayExist() {
    return recordFilesMayExist;
  }

  /**
   * {@link #recordFilesMayExist()}, looking at the disk again while it is false: another process
   * (an older version, or a storage that cannot set attributes) may have created the record
   * directory since this storage opened. One {@code stat}, on the paths that find an object
   * without an attribute only.
   */
  boolean recordFilesMayExistNow() {
    if (!recordFilesMayExist && Files.isDirectory(directory)) {
      recordFilesMayExist = true;
    }
    return recordFilesMayExist;
  }

  /** Whether objects may carry record attributes worth reading (see {@link #attributesReadable}). */
  boolean attributesReadable() {
    return attributesReadable;
  }

  /**
   * Whether the filesystem of {@code reservedDirectory} ({@code <root>/.stowage}, created if
   * missing) keeps user extended attributes: sets and reads one on a temporary file there, then
   * removes it. False, without an exception, wherever that fails (an old kernel's tmpfs, a mount
   * with {@code nouser_xattr}, a filesystem or platform without them).
   */
  static boolean attributesWork(Path reservedDirectory, String storage) {
    Path probe = reservedDirectory.resolve(FileStorage.newTempName());
    try {
      Files.createDirectories(reservedDirectory);
      Files.createFile(probe);
      UserDefinedFileAttributeView view = view(probe, false);
      if (view == null) {
        return false;
      }
      byte[] value = {ATTRIBUTE_FORMAT};
      view.write(ATTRIBUTE_NAME, ByteBuffer.wrap(value));
      ByteBuffer back = ByteBuffer.allocate(MAX_ATTRIBUTE_BYTES);
      return view.read(ATTRIBUTE_NAME, back) == value.length;
    } catch (IOException | UnsupportedOperationException e) {
      Log.LOG.info(
          "{}: the filesystem keeps no user extended attributes here ({}); metadata records are"
              + " files under .stowage/meta",
          storage, e.toString());
      return false;
    } finally {
      try {
        Files.deleteIfExists(probe);
      } catch (IOException e) {
        Log.LOG.warn("{}: cannot delete the probe file {}", storage, probe, e);
      }
    }
  }

  private static UserDefinedFileAttributeView view(Path file, boolean followLinks) {
    return followLinks
        ? Files.getFileAttributeView(file, UserDefinedFileAttributeView.class)
        : Files.getFileAttributeView(
            file, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
  }

  /**
   * The record in the attribute of the file {@code file} ({@code open}, {@code fgetxattr}, {@code
   * close}); {@code null} if it has none, the file cannot carry one, or it is malformed (logged).
   * Read wherever {@link #attributesReadable()}, also by a storage that writes record files.
   *
   * @param followLinks whether to read the attribute of a link's target (the location itself is a
   *     link the resolver allowed) rather than refuse a link
   */
  Entry readAttribute(Path file, boolean followLinks) throws IOException {
    return readAttribute(file, followLinks, true);
  }

  /**
   * {@link #readAttribute(Path, boolean)}, saying nothing of a malformed attribute unless {@code
   * warn}: for a first look whose caller then reads again the way that reports it.
   */
  Entry readAttribute(Path file, boolean followLinks, boolean warn) throws IOException {
    ByteBuffer buffer;
    try {
      UserDefinedFileAttributeView view = view(file, followLinks);
      if (view == null) {
        attributesReadable = false;
        return null;
      }
      buffer = readValue(view);
    } catch (NoSuchFileException e) {
      throw e;
    } catch (FileSystemException | UnsupportedOperationException e) {
      // ENODATA: no record; ENOTSUP: not here; ERANGE: too long to be ours; ELOOP: a link.
      String reason = e instanceof FileSystemException f ? String.valueOf(f.getReason()) : "";
      if (e instanceof UnsupportedOperationException || reason.contains("not supported")) {
        attributesReadable = false; // the filesystem keeps none: no object here carries one
      }
      if (!reason.contains("No data available")) {
        Log.LOG.debug("{}: no record attribute on {}: {}", storage, file, e.toString());
      }
      return null;
    }
    try {
      return decodeAttribute(buffer.flip());
    } catch (IllegalArgumentException e) {
      if (warn) {
        Log.LOG.warn("{}: ignoring the malformed metadata record attribute of {}: {}", storage, file,
            e.getMessage());
      }
      return null;
    }
  }

  /**
   * The record attribute's value: read into a buffer that fits every record of a Unix file (one
   * {@code fgetxattr}), and only if the value is longer (ERANGE) read again into one of {@link
   * #MAX_ATTRIBUTE_BYTES}, so that a longer value is still seen, and reported, as malformed.
   */
  private static ByteBuffer readValue(UserDefinedFileAttributeView view) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(USUAL_ATTRIBUTE_BYTES);
    try {
      view.read(ATTRIBUTE_NAME, buffer);
      return buffer;
    } catch (FileSystemException e) {
      // The JDK reports ERANGE as "Insufficient space in buffer"; other platforms' texts say "range".
      String reason = String.valueOf(e.getReason());
      if (!reason.contains("Insufficient space") && !reason.contains("range")) {
        throw e;
      }
    }
    buffer = ByteBuffer.allocate(MAX_ATTRIBUTE_BYTES);
    view.read(ATTRIBUTE_NAME, buffer);
    return buffer;
  }

  /**
   * Sets the record attribute of the file {@code file} to {@code entry} (format 2; {@code open},
   * {@code fsetxattr}, {@code close}). Returns false, writing nothing, if the file cannot carry it
   * here (its filesystem keeps no user attributes, or the file may not be changed by this process):
   * the caller then writes a record file. Call only {@link #inAttributes()}.
   *
   * @throws IOException if setting it fails otherwise (no space for it, the file is gone)
   */
  boolean writeAttribute(Path file, boolean followLinks, Entry entry) throws IOException {
    ByteBuffer value = encodeAttribute(entry);
    try {
      UserDefinedFileAttributeView view = view(file, followLinks);
      if (view == null) {
        return false;
      }
      view.write(ATTRIBUTE_NAME, value);
      return true;
    } catch (AccessDeniedException | UnsupportedOperationException e) {
      Log.LOG.debug("{}: cannot set the record attribute of {}: {}", storage, file, e.toString());
      return false;
    } catch (FileSystemException e) {
      String reason = String.valueOf(e.getReason());
      // EACCES comes as a plain FileSystemException ("Permission denied"), not as an
      // AccessDeniedException: a read-only file, or another user's, gets a record file instead.
      if (reason.contains("not supported") || reason.contains("not permitted")
          || reason.contains("Permission denied")) {
        Log.LOG.debug("{}: cannot set the record attribute of {}: {}", storage, file, e.toString());
        return false;
      }
      throw e;
    }
  }

  /**
   * Removes the record attribute from the file {@code file} itself (a link is not followed), if it
   * has one: for an adoption that set it on a caller's file and then did not take the file. A
   * failure is logged, not thrown: the file is the caller's, and is kept either way.
   */
  void removeAttributeQuietly(Path file) {
    try {
      UserDefinedFileAttributeView view = view(file, false);
      if (view != null) {
        view.delete(ATTRIBUTE_NAME);
      }
    } catch (IOException | UnsupportedOperationException e) {
      Log.LOG.debug("{}: cannot remove the record attribute from {}: {}", storage, file, e.toString());
    }
  }

  /** The record file of {@code location}. */
  Path pathOf(Location location) {
    String hash = sha256(location.value());
    return directory.resolve(hash.substring(0, 2)).resolve(hash);
  }

  /**
   * Reads the record of {@code location}; {@code null} if there is none, or if it is unreadable,
   * malformed or for another location (logged).
   */
  Entry read(Location location) throws IOException {
    Path file = pathOf(location);
    byte[] bytes;
    try (FileChannel channel =
        FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      long size = channel.size();
      if (size > MAX_RECORD_BYTES) {
        Log.LOG.warn("{}: ignoring the metadata record {}: {} bytes is too long", storage, file, size);
        return null;
      }
      ByteBuffer buffer = ByteBuffer.allocate((int) size + 1);
      while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
        // fill
      }
      bytes = new byte[buffer.position()];
      buffer.flip().get(bytes);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      // A directory or the like in the record's place (EISDIR), or a record that cannot be read.
      Log.LOG.warn("{}: ignoring the metadata record {}: it cannot be read: {}", storage, file, e.toString());
      return null;
    }
    if (bytes.length == 0) {
      return null; // emptied by a store that did not get to rewrite it: no record
    }
    try {
      Entry entry = parse(new String(bytes, StandardCharsets.UTF_8));
      if (!entry.location().equals(location.value())) {
        Log.LOG.warn(
            "{}: ignoring the metadata record {}: it is for {}, not for {}",
            storage, file, FileStorage.quote(entry.location()), FileStorage.quote(location.value()));
        return null;
      }
      return entry;
    } catch (IllegalArgumentException | DateTimeParseException e) {
      Log.LOG.warn("{}: ignoring the malformed metadata record {}: {}", storage, file, e.getMessage());
      return null;
    }
  }

  /**
   * Replaces the record of {@code entry.location()}. Call under the location's lock: the record
   * file is opened (created if missing), emptied and written in place ({@link #openEmptied},
   * {@link #rewrite}); only if something other than a regular file is in its place is the record
   * written to a temporary file and renamed over it.
   *
   * @throws IOException if it cannot be written; no temporary file is left behind
   */
  void write(Entry entry) throws IOException {
    recordFilesMayExist = true;
    Location location = Location.of(entry.location());
    FileChannel emptied = openEmptied(location);
    if (emptied != null) {
      try (FileChannel channel = emptied) {
        rewrite(channel, entry);
      }
      return;
    }
    replace(pathOf(location), entry);
  }

  /** Writes {@code entry} to a temporary file and renames it over {@code file}. */
  private void replace(Path file, Entry entry) throws IOException {
    Path dir = file.getParent();
    byte[] bytes = format(entry).getBytes(StandardCharsets.UTF_8);
    Path temp = null;
    try {
      FileChannel channel = null;
      while (channel == null) {
        temp = dir.resolve(FileStorage.newTempName());
        try {
          channel =
              FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException nameTaken) {
          temp = null;
        }
      }
      try (FileChannel out = channel) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
        if (durable) {
          out.force(true);
        }
      }
      try {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("cannot rename " + temp + " to " + file + " atomically", e);
      }
      temp = null;
      if (durable) {
        FileStorage.syncDirectories(dir, dir);
      }
    } finally {
      if (temp != null) {
        FileStorage.deleteQuietly(temp, storage);
      }
    }
  }

  /**
   * Opens the record file of {@code location} for {@link #rewrite} and empties it, so that it
   * counts as no record until it is rewritten; creates it, empty, if there is none (and its
   * directory, if missing). One {@code open(O_CREAT | O_TRUNC | O_NOFOLLOW)} in the common case.
   * Returns {@code null} if something other than a regular file is in its place (a link, which is
   * never followed, or a directory); then {@link #write} replaces it. Call under the location's
   * lock; the caller closes the channel.
   *
   * @throws IOException if the record file cannot be opened or created
   */
  FileChannel openEmptied(Location location) throws IOException {
    recordFilesMayExist = true;
    Path file = pathOf(location);
    for (int attempt = 0; ; attempt++) {
      try {
        if (durable) {
          FileChannel existing = openExisting(file);
          if (existing != null) {
            return existing;
          }
          FileChannel created =
              FileChannel.open(
                  file,
                  StandardOpenOption.CREATE_NEW,
                  StandardOpenOption.WRITE,
                  LinkOption.NOFOLLOW_LINKS);
          FileStorage.syncDirectories(file.getParent(), file.getParent());
          return created;
        }
        return FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING,
            LinkOption.NOFOLLOW_LINKS);
      } catch (FileAlreadyExistsException e) {
        if (attempt >= 1) {
          throw e;
        }
        // A durable store that found none, racing another process that created it: open it.
      } catch (NoSuchFileException e) {
        if (attempt >= 1) {
          throw e;
        }
        createDirectory(file.getParent()); // the first record in this directory
      } catch (AccessDeniedException e) {
        throw e;
      } catch (IOException e) {
        // A link (ELOOP, which Java reports as a plain IOException), a directory (EISDIR) or the
        // like: write() replaces it.
        Log.LOG.debug("{}: not rewriting the record {} in place: {}", storage, file, e.toString());
        return null;
      }
    }
  }

  /** Opens and empties an existing record file; {@code null} if there is none. */
  private static FileChannel openExisting(Path file) throws IOException {
    try {
      return FileChannel.open(
          file,
          StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING,
          LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /** Creates a record directory ({@code .stowage/meta/<h0h1>}), syncing its parent if durable. */
  private void createDirectory(Path dir) throws IOException {
    Files.createDirectories(dir);
    if (durable) {
      FileStorage.syncDirectories(dir.getParent(), directory.getParent().getParent());
    }
  }

  /**
   * Writes {@code entry} into a record file that {@link #openEmptied} emptied, and syncs it if the
   * storage is durable. Call under the location's lock.
   *
   * @throws IOException if it cannot be written; the record then stays empty, which counts as none
   */
  void rewrite(FileChannel emptied, Entry entry) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(format(entry).getBytes(StandardCharsets.UTF_8));
    long position = 0;
    while (buffer.hasRemaining()) {
      position += emptied.write(buffer, position);
    }
    if (durable) {
      emptied.force(true);
    }
  }

  /** Deletes the record of {@code location}, if there is one. */
  void delete(Location location) throws IOException {
    FileStorage.removeFile(pathOf(location));
  }

  static String format(Entry entry) {
    StringBuilder out = new StringBuilder(256);
    out.append(HEADER).append('\n');
    out.append("location=").append(entry.location()).append('\n');
    out.append("md5=").append(entry.metadata().md5()).append('\n');
    out.append("size=").append(entry.metadata().size()).append('\n');
    out.append("modified=").append(entry.version().modified()).append('\n');
    if (entry.version().fileKey() != null) {
      out.append("file-key=").append(entry.version().fileKey()).append('\n');
    }
    return out.toString();
  }

  /** Format 2, the value of a record attribute (see the class description). */
  static ByteBuffer encodeAttribute(Entry entry) {
    String key = entry.version().fileKey();
    long[] unix = key == null ? null : unixKey(key);
    byte[] text = key == null || unix != null ? null : key.getBytes(StandardCharsets.UTF_8);
    if (text != null && text.length > 255) {
      text = null; // FileVersion refuses such keys on records; never seen
      key = null;
    }
    int length = ATTRIBUTE_FIXED_BYTES + (unix != null ? 16 : text != null ? 1 + text.length : 0);
    ByteBuffer out = ByteBuffer.allocate(length);
    Instant modified = entry.version().modified();
    out.put(ATTRIBUTE_FORMAT)
        .put(HEX.parseHex(entry.metadata().md5()))
        .putLong(entry.metadata().size())
        .putLong(modified.getEpochSecond())
        .putInt(modified.getNano());
    if (unix != null) {
      out.put((byte) 1).putLong(unix[0]).putLong(unix[1]);
    } else if (text != null) {
      out.put((byte) 2).put((byte) text.length).put(text);
    } else {
      out.put((byte) 0);
    }
    return out.flip();
  }

  /**
   * Reads format 2 (see the class description); the entry's location is {@code null}.
   *
   * @throws IllegalArgumentException if it is malformed
   */
  static Entry decodeAttribute(ByteBuffer in) {
    try {
      if (in.remaining() < ATTRIBUTE_FIXED_BYTES || in.get() != ATTRIBUTE_FORMAT) {
        throw new IllegalArgumentException("it is not a format 2 record");
      }
      byte[] md5 = new byte[16];
      in.get(md5);
      long size = in.getLong();
      long seconds = in.getLong();
      int nanos = in.getInt();
      String key;
      switch (in.get()) {
        case 0:
          key = null;
          break;
        case 1:
          key = unixKeyText(in.getLong(), in.getLong());
          break;
        case 2:
          byte[] text = new byte[in.get() & 0xff];
          in.get(text);
          key = new String(text, StandardCharsets.UTF_8);
          break;
        default:
          throw new IllegalArgumentException("its identity is of an unknown kind");
      }
      if (in.hasRemaining()) {
        throw new IllegalArgumentException("it has " + in.remaining() + " bytes too many");
      }
      if (nanos < 0 || nanos > 999_999_999) {
        throw new IllegalArgumentException("its nanoseconds are out of range");
      }
      Metadata metadata = new Metadata(HEX.formatHex(md5), size);
      Instant modified = Instant.ofEpochSecond(seconds, nanos);
      return new Entry(null, metadata, new FileVersion(key, size, modified));
    } catch (java.nio.BufferUnderflowException | java.time.DateTimeException e) {
      throw new IllegalArgumentException("it is cut short or out of range", e);
    }
  }

  /**
   * The device and inode numbers of a Unix file key's text, {@code (dev=<hex>,ino=<decimal>)} as
   * the JDK writes it; {@code null} if {@code key} is not exactly that (then it is kept as text).
   */
  private static long[] unixKey(String key) {
    if (!key.startsWith("(dev=") || !key.endsWith(")")) {
      return null;
    }
    int comma = key.indexOf(",ino=");
    if (comma < 0) {
      return null;
    }
    try {
      long dev = Long.parseUnsignedLong(key.substring(5, comma), 16);
      long ino = Long.parseUnsignedLong(key.substring(comma + 5, key.length() - 1));
      return unixKeyText(dev, ino).equals(key) ? new long[] {dev, ino} : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static String unixKeyText(long dev, long ino) {
    return "(dev=" + Long.toHexString(dev) + ",ino=" + Long.toUnsignedString(ino) + ")";
  }

  /**
   * Parses a record file (format 1).
   *
   * @throws IllegalArgumentException if it is malformed
   */
  static Entry parse(String text) {
    String[] lines = text.split("\n", -1);
    if (!lines[0].equals(HEADER)) {
      throw new IllegalArgumentException(
          "it does not start with \"" + HEADER + "\" (a different format or version)");
    }
    Map<String, String> fields = new HashMap<>();
    for (int i = 1; i < lines.length; i++) {
      String line = lines[i];
      if (line.isEmpty()) {
        if (i == lines.length - 1) {
          continue;
        }
        throw new IllegalArgumentException("it has an empty line");
      }
      int eq = line.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("line " + (i + 1) + " is not key=value");
      }
      if (fields.put(line.substring(0, eq), line.substring(eq + 1)) != null) {
        throw new IllegalArgumentException("it repeats " + line.substring(0, eq));
      }
    }
    if (!text.endsWith("\n")) {
      throw new IllegalArgumentException("it is truncated");
    }
    String location = required(fields, "location");
    long size;
    try {
      size = Long.parseLong(required(fields, "size"));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("its size is not a number", e);
    }
    Metadata metadata = new Metadata(required(fields, "md5"), size);
    Instant modified = Instant.parse(required(fields, "modified"));
    String fileKey = fields.get("file-key");
    return new Entry(location, metadata, new FileVersion(fileKey, size, modified));
  }

  private static String required(Map<String, String> fields, String key) {
    String value = fields.get(key);
    if (value == null) {
      throw new IllegalArgumentException("it has no " + key);
    }
    return value;
  }

  private static String sha256(String location) {
    MessageDigest digest;
    try {
      digest = (MessageDigest) SHA256.clone(); // no provider lookup per record
    } catch (CloneNotSupportedException e) {
      digest = newSha256();
    }
    return HEX.formatHex(digest.digest(location.getBytes(StandardCharsets.UTF_8)));
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every Java platform provides SHA-256", e);
    }
  }
}
