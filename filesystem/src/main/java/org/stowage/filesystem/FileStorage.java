package org.stowage.filesystem;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.ListedObject;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.ObjectSource;
import org.stowage.VerifyingInputStream;

/**
 * An {@link ExternalStorage} in a directory of a local filesystem: the object at location {@code
 * a/b/c.txt} is the regular file {@code <root>/a/b/c.txt}. The Java counterpart of gufe's {@code
 * FileStorage}.
 *
 * <pre>{@code
 * try (ExternalStorage storage = new FileStorage(Path.of("/data/results"))) {
 *   Metadata stored = storage.storeBytes("dag/unit/result.json", bytes);
 *   byte[] back = storage.loadBytes("dag/unit/result.json", stored); // verified
 * }
 * // Options: FileStorage.builder(root).durable(true).build()
 * }</pre>
 *
 * <h2>On disk</h2>
 *
 * <p>Objects are plain files under the root, at the path their location's segments name, so
 * other tools can read them directly ({@link #uri} gives a {@code file:} URI). Directories are
 * created as needed and removed again by {@code delete} when it leaves them empty (never the root
 * itself). Everything the store keeps for itself has a name that starts with {@code .stowage},
 * which no location segment may (rule L2), and is never listed: temporary files {@code
 * .stowage-tmp-<random>} next to the objects being written, and the directory {@code
 * <root>/.stowage} holding the lock file {@code .stowage/lock} and, where records are files, the
 * metadata records ({@code .stowage/meta}, see below). Where the filesystem keeps user extended
 * attributes, an object's record is its attribute {@code user.stowage.record}.
 *
 * <p>A location cannot be both an object and a prefix of other objects followed by {@code /} (the
 * file {@code a} and the directory {@code a} holding {@code a/b} would share a name): storing
 * either while the other exists fails with an {@link ExternalResourceException}. Location
 * segments must also be valid file names on the filesystem (at most 255 bytes on most), and the
 * filesystem must be case-sensitive and must not normalise Unicode names for locations to stay
 * distinct and unchanged (rule L3); the JVM's file name encoding ({@code sun.jnu.encoding}) must
 * be UTF-8 for non-ASCII locations, which a warning at construction reports otherwise.
 *
 * <h2>Atomic stores (S2)</h2>
 *
 * <p>A store writes the content, in one pass from the core's hashing {@link ObjectSource}, into a
 * new temporary file in the target's own directory, then publishes it in one step: a rename
 * ({@code rename(2)}, which replaces the previous object atomically) for {@code OVERWRITE}; for
 * {@code CREATE} (and the other policies' create-if-absent step) a hard link to the target name
 * ({@code link(2)}, which fails if the name is taken), after which the temporary name is removed.
 * A reader therefore sees the previous object or the whole new one. If anything fails, the
 * temporary file is deleted and the previous object is untouched; a process killed mid-store
 * leaves at most a temporary file, which is never listed and never taken for an object. The
 * builder's {@link Builder#cleanTempFilesOlderThan} removes old leftovers when a storage opens;
 * it is off by default, because several processes may share a root and another process's
 * temporary file may be in use.
 *
 * <p>Publishing, together with replacing the metadata record, happens under a short exclusive
 * lock of the location, shared by all processes on the root: an operating-system byte-range lock
 * on one byte of {@code .stowage/lock} chosen by a hash of the location, which the system releases
 * if a process dies. Under it, create-if-absent checks that the name is free before linking, so
 * of concurrent creators exactly one wins; on filesystems without hard links it renames instead,
 * with the same guarantee among Stowage processes. Writing and hashing content never hold the
 * lock.
 *
 * <h2>Durability</h2>
 *
 * <p>By default a store returns once the operating system has the data, as {@code Files.write}
 * does: a power failure soon after may lose recent stores (never leaving a partial object
 * visible, on filesystems that keep renames ordered after data, such as ext4 with its default
 * options, XFS and APFS). With {@link Builder#durable(boolean) durable(true)}, a store also
 * {@code fsync}s the temporary file before publishing it and the directory (and any directories
 * it created, up to the first that existed) after, and likewise for metadata records; a delete
 * syncs the directory it removed the object from. Syncing a directory is skipped, silently, on
 * platforms that cannot.
 *
 * <h2>Metadata records (R3)</h2>
 *
 * <p>{@link #getMetadata} answers from a record written when the object was stored, without
 * reading the object. A record holds the MD5 and size and the version of the file they describe:
 * its identity ({@link BasicFileAttributes#fileKey()}, on Unix the device and inode numbers), its
 * size and its last-modified time, taken from the temporary file that became the object. Where the
 * filesystem keeps user extended attributes (probed when the storage opens), the record is the
 * object file's attribute {@code user.stowage.record}, 54 bytes: a store sets it on its temporary
 * file before publishing it, so the record is published, moved and deleted with the file, in the
 * same system call. Elsewhere, and for objects stored before 2026-12, it is a file ({@code
 * .stowage/meta/<h0h1>/<h>}, {@code h} the SHA-256 of the location), which readers still read when
 * an object has no attribute and a store replaces: under the location's lock, a store opens the
 * record file, creating it for a new location or emptying the old record (an empty record counts
 * as none), publishes the file, then writes the new record into that record file. Readers check
 * records under the same lock, so they never pair a file with another file's record, and a crash
 * leaves no record or the right one, never a wrong one. A copy of the tree made without extended
 * attributes has no records: its objects are hashed once when their metadata is needed, and
 * verified loads check the bytes against the caller's metadata as always. Before a record is used,
 * the file's current attributes are compared with it:
 *
 * <ul>
 *   <li>same identity, same size and last-modified time: the record is used;
 *   <li>same identity but another size or last-modified time: the file was changed in place
 *       behind the store's back, and {@link ChangedExternalResourceException} is thrown (rule R3);
 *       the record is never replaced by one of the changed file. Storing the object again, or
 *       deleting it, ends the error;
 *   <li>no record, or a record of another file (another identity): the file was put there
 *       without a record (a crash between placing the file and recording it, or another tool
 *       writing or moving a whole file into the tree). Its MD5 is computed by reading the file
 *       once, without holding the lock, then recorded under the lock if the file is still the
 *       same version, and returned;
 *   <li>where the platform gives no identity ({@code fileKey()} is {@code null}, as on Windows),
 *       only size and last-modified time are compared, and any difference counts as a change in
 *       place: there a file that another tool replaced as a whole is reported as changed too.
 * </ul>
 *
 * <p>Limits: a change in place that keeps the size and the last-modified time (a flipped byte
 * with the time set back, or two writes within the filesystem's time granularity) is not seen by
 * {@code getMetadata}; it is caught by {@link #verify} and by verified loads, which re-read and
 * re-hash the bytes. A file replaced by another tool whose new file reuses the old one's inode
 * number (possible once the old file is deleted first) counts as changed in place. Touching an
 * object's last-modified time makes it count as changed.
 *
 * <h2>Symbolic links (L4)</h2>
 *
 * <p>No operation reads or writes outside the root. Every directory on a location's path and the
 * object itself are examined without following links; a symbolic link is followed only if its
 * real target lies inside the root and not inside the reserved {@code .stowage} entries. A link
 * that leads out of the root, into the reserved entries, or nowhere (whose target does not exist)
 * makes every operation on locations through it fail with an {@link ExternalResourceException}
 * naming rule L4; listings skip such links, with a warning, and also skip links that lead back to
 * a directory above them. Storing or deleting at a location that is itself a link replaces or
 * removes the link, never its target. These checks guard against links present in the tree; they
 * cannot stop another process that swaps a directory for a link between the check and the use.
 *
 * <h2>Listing</h2>
 *
 * <p>{@link #iterContents} walks the tree lazily, depth first, one directory at a time, and yields
 * locations in ascending UTF-8 byte order of the whole location (I2). Its memory is bounded by the
 * depth of the tree times the size of its largest directory. The prefix picks the directory where
 * the walk starts ({@code foo_dir/a} reads only {@code foo_dir}). Directories, temporary files,
 * records and files other than regular files are never listed; entries that vanish during a
 * listing are skipped (I4).
 *
 * <h2>Threads and processes (T1)</h2>
 *
 * <p>A {@code FileStorage} is safe for concurrent use by many threads, and several processes
 * (or storages) may share one root: temporary files have random names created exclusively,
 * objects and records are published by atomic renames and links under the location's lock,
 * records are checked before they are trusted, and directories that a concurrent delete removes
 * under a writer are created again. Loads, {@code exists} and listings take no lock. Tools other
 * than Stowage that write into the tree do not take the locks; what they can cause is described
 * above. Sharing a root over a network filesystem is as safe as that filesystem's rename, link
 * and byte-range lock semantics (NFS, for instance, has been known to weaken them); do not delete
 * {@code .stowage} while processes use the root.
 */
public final class FileStorage extends ExternalStorage {
  /** The logger, asked for at its first message (see {@code ExternalStorage.Log}). */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(FileStorage.class);
  }

  /** The name prefix of temporary files, for objects and records alike. */
  static final String TEMP_PREFIX = Location.RESERVED_PREFIX + "-tmp-";

  private static final String RESERVED_DIRECTORY = Location.RESERVED_PREFIX;
  private static final int MAX_BUFFER = 1024 * 1024;
  /** How often a step is retried when concurrent writers or deleters get in its way. */
  private static final int RACE_RETRIES = 16;
  /** The largest object that {@link #openWithMetadata} reads whole, without the lock. */
  static final int SMALL_OBJECT_BYTES = 8192;

  /** Opens a file to read, refusing a link in its last component ({@code O_NOFOLLOW}). */
  private static final Set<OpenOption> READ_NO_LINKS =
      Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
  private static final HexFormat HEX = HexFormat.of();

  private final Path root;
  private final Path realRoot;
  private final boolean durable;
  private final String name;
  private final Resolver resolver;
  private final MetadataRecords records;
  private final LocationLocks locks;
  private volatile boolean hardLinks;
  private final HardLinker linker;

  /**
   * Opens (creating it if needed) the storage rooted at the directory {@code root}, with the
   * default options: not {@linkplain Builder#durable durable}, no cleaning of temporary files.
   *
   * @param root the directory that holds the objects and their records; relative paths are taken
   *     against the working directory, and links are not resolved
   * @throws ExternalResourceException naming the root if it cannot be created, or is not a
   *     writable directory
   */
  public FileStorage(Path root) {
    this(builder(root));
  }

  private FileStorage(Builder builder) {
    this.root = builder.root.toAbsolutePath().normalize();
    this.durable = builder.durable;
    this.hardLinks = builder.hardLinks;
    this.linker = builder.linker;
    this.name = "FileStorage[" + root + "]";
    this.realRoot = openRoot();
    this.resolver = new Resolver(realRoot, name);
    Path reserved = realRoot.resolve(RESERVED_DIRECTORY);
    this.records =
        new MetadataRecords(
            reserved.resolve("meta"),
            durable,
            name,
            builder.extendedAttributes && MetadataRecords.attributesWork(reserved, name));
    this.locks = new LocationLocks(reserved.resolve("lock"));
    warnIfNamesAreNotUnicode();
    if (builder.cleanTempFilesOlderThan != null) {
      cleanTempFiles(Instant.now().minus(builder.cleanTempFilesOlderThan));
    }
  }

  /**
   * Starts building a storage rooted at {@code root}, to set options.
   *
   * @param root the directory the storage will be rooted at; it need not exist yet (see {@link
   *     Builder#build()})
   * @return a new builder with the default options, which opens nothing until {@link
   *     Builder#build()}
   */
  public static Builder builder(Path root) {
    return new Builder(root);
  }

  /**
   * The root directory, as an absolute path (as given, not resolved through links).
   *
   * @return the absolute root path, never null
   */
  public Path root() {
    return root;
  }

  /** Names the backend and its root: {@code FileStorage[/absolute/root]}. */
  @Override
  public String toString() {
    return name;
  }

  // ---------------------------------------------------------------------------------------------
  // Hooks

  @Override
  protected boolean writeObject(Location location, ObjectSource source, boolean replaceExisting)
      throws IOException {
    Resolver.Located at = resolver.locate(location, "store");
    checkStorable(location, at);
    if (!replaceExisting && at.attributes() != null) {
      return false; // present: no need to read the content
    }
    Path target = at.path();
    Path dir = target.getParent();
    Path temp = null;
    boolean published = false;
    try {
      FileChannel channel = null;
      boolean directoryExisted = at.missingDirectories() == 0;
      for (int attempt = 0; channel == null; attempt++) {
        Path candidate = dir.resolve(newTempName());
        channel = createTemp(location, candidate, attempt, directoryExisted);
        temp = channel == null ? null : candidate;
      }
      FileVersion version;
      Metadata metadata;
      boolean recorded;
      try (FileChannel out = channel) {
        copy(source, out);
        version =
            FileVersion.of(
                Files.readAttributes(temp, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
        metadata = source.metadata();
        if (version.size() != metadata.size()) {
          throw new IOException(
              "the temporary file " + temp + " holds " + version.size() + " bytes, but "
                  + metadata.size() + " were written to it: another process changed it");
        }
        // The record goes with the file: set on it before it is published (R3).
        recorded = recordOnFile(location, temp, false, metadata, version);
        if (durable) {
          out.force(true); // data, and metadata: the time and the record attribute
        }
      }
      Path written = temp;
      Outcome outcome =
          locks.withLock(
              location,
              () ->
                  publish(
                      location, written, target, replaceExisting, metadata, version, recorded));
      if (outcome == Outcome.RENAMED) {
        temp = null; // it is the object now
      }
      published = outcome != Outcome.REFUSED;
      if (published && durable) {
        syncDirectories(dir, at.missingDirectories() > 0 ? at.deepestDirectory() : dir);
      }
      return published;
    } catch (FileSystemException e) {
      if (Resolver.nameTooLong(e)) {
        throw new ExternalResourceException(
            name + ": store of " + quote(location.value()) + " failed: a segment of it is longer"
                + " than a file name on this filesystem may be (" + e.getReason() + "; rule L1.1)",
            location.value(),
            e);
      }
      throw e;
    } finally {
      if (temp != null) {
        deleteQuietly(temp, name); // still there if it failed, lost, or was published by a link
      }
      if (!published) {
        pruneCreated(at);
      }
    }
  }

  /**
   * After a store or move that did not publish at {@code at}: removes the directories it created
   * for it, if they are still empty, so that the tree is as it was found.
   */
  private void pruneCreated(Resolver.Located at) {
    if (at.missingDirectories() == 0) {
      return;
    }
    Path created = at.path().getParent();
    while (!created.equals(at.deepestDirectory())
        && created.startsWith(at.deepestDirectory())
        && !Files.isDirectory(created, LinkOption.NOFOLLOW_LINKS)) {
      created = created.getParent();
    }
    prune(created, at.deepestDirectory());
  }

  @Override
  protected InputStream openObject(Location location) throws IOException {
    Resolver.Located at = resolver.locate(location, "load");
    if (!at.isObject()) {
      return null;
    }
    try {
      return new ObjectFileStream(
          FileChannel.open(at.path(), StandardOpenOption.READ), at.attributes().size());
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  @Override
  protected boolean objectExists(Location location) throws IOException {
    return resolver.locate(location, "exists").isObject();
  }

  @Override
  protected Metadata objectMetadata(Location location) throws IOException {
    for (int attempt = 0; attempt < RACE_RETRIES; attempt++) {
      Lookup found = locks.withLock(location, () -> lookUp(location, "getMetadata"));
      if (found == null) {
        return null;
      }
      if (found.metadata() != null) {
        return found.metadata();
      }
      Metadata hashed = hashAndRecord(location, found.path(), found.version());
      if (hashed != null) {
        return hashed;
      }
    }
    throw keptChanging(location, "getMetadata");
  }

  /**
   * Opens the object and returns it with the metadata of exactly the file opened: the file is
   * opened and its record checked under the location's lock, which every writer holds while it
   * replaces the file and its record. A file the store has no valid record of is hashed and
   * recorded first, then opened again.
   */
  @Override
  protected OpenObject openWithMetadata(Location location) throws IOException {
    Resolver.Located at = resolver.locate(location, "verify");
    if (!at.isObject()) {
      return null;
    }
    if (!at.isLink() && at.attributes().size() <= SMALL_OBJECT_BYTES) {
      OpenObject read = readSmallWithoutLock(location, at);
      if (read != null) {
        return read;
      }
    }
    return openWithMetadataLocked(location, at);
  }

  /**
   * Reads a small object whole without the location's lock, with the record in its attribute:
   * {@code null} when the locked path must decide instead. The lock only pairs a record with the
   * bytes of the same version of the file; here the pairing is checked instead: the attribute must
   * describe the file that {@code at} found (rule R3, as under the lock), and the bytes read must
   * hash to that record. A writer that replaced the file meanwhile, or bytes damaged on disk, fail
   * that check, and the locked path reads again and decides (it reports damage as before).
   */
  private OpenObject readSmallWithoutLock(Location location, Resolver.Located at) throws IOException {
    if (!records.inAttributes()) {
      return null; // records are files here: the attribute read would find none
    }
    RecordedBytes read =
        readRecorded(at.path(), at.attributes(), () -> FileChannel.open(at.path(), READ_NO_LINKS));
    if (read == null) {
      return null;
    }
    // Hashed once, here: the core takes this stream over as the load's verifying stream.
    return VerifyingInputStream.ofMatchingBytes(read.bytes(), read.metadata(), location.value(),
            name + ": verified load", "R2")
        .map(verified -> new OpenObject(verified, read.metadata()))
        .orElse(null);
  }

  /** Opens a small file's bytes for {@link #readRecorded}. */
  @FunctionalInterface
  private interface FileOpener {
    SeekableByteChannel open() throws IOException;
  }

  /** A small file's bytes, and the record in its attribute that they should match. */
  private record RecordedBytes(Metadata metadata, byte[] bytes) {}

  /**
   * Reads a small file whole, with the record in its attribute, without the location's lock:
   * {@code null} unless the attribute holds a record that fits the version {@code attributes}
   * describe (rule R3) and the file opened by {@code opener} has at least the record's size. The
   * bytes are not checked against the record here: the caller's check is what pairs them (a
   * writer that replaced the file meanwhile, or bytes damaged on disk, fail it).
   *
   * @param path the file, whose attribute is read without following a link
   * @param attributes the file's attributes, as just read without following links
   * @throws IOException if reading the attribute fails for another reason than the file being gone
   */
  private RecordedBytes readRecorded(Path path, BasicFileAttributes attributes, FileOpener opener)
      throws IOException {
    FileVersion version = FileVersion.of(attributes);
    MetadataRecords.Entry entry;
    try {
      entry = records.readAttribute(path, false, false); // the locked path warns
    } catch (NoSuchFileException e) {
      return null;
    }
    if (entry == null || !fits(entry, version)) { // fits: the record's size is the file's
      return null;
    }
    byte[] bytes = new byte[(int) version.size()];
    try (SeekableByteChannel channel = opener.open()) {
      // The size that the look at the file and the record agree on; no read for the end of the
      // file: bytes past it, appended in place after that look, belong to a later version than
      // the one these bytes, if they hash to the record, are.
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      while (buffer.hasRemaining()) {
        if (channel.read(buffer) < 0) {
          return null; // shorter than the record: changed meanwhile
        }
      }
    } catch (IOException e) {
      // Gone, a link now, or a directory that took the name after the attribute was read (its
      // read fails "Is a directory"): the caller's ordinary read decides, and reports real I/O
      // errors.
      return null;
    }
    return new RecordedBytes(entry.metadata(), bytes);
  }

  /**
   * The locked read: the object is opened and its record checked under the location's lock.
   * {@code resolved} is the location as just resolved (every directory on the way checked, L4);
   * the first attempt looks again only at its last component, under the lock, as later attempts
   * resolve it anew.
   */
  private OpenObject openWithMetadataLocked(Location location, Resolver.Located resolved)
      throws IOException {
    // The metadata last computed from the file, and the version of the file it describes: used
    // when that very version is still there, whether or not its record could be written (a full
    // disk leaves the object without a record).
    Metadata[] computed = new Metadata[1];
    FileVersion[] computedFor = new FileVersion[1];
    for (int attempt = 0; attempt < RACE_RETRIES; attempt++) {
      Lookup[] unrecorded = new Lookup[1];
      boolean first = attempt == 0;
      OpenObject opened =
          locks.withLock(
              location,
              () -> {
                Lookup found =
                    first
                        ? lookUp(location, resolver.refresh(resolved, location, "verify"), "verify")
                        : lookUp(location, "verify");
                if (found == null) {
                  return null;
                }
                if (found.metadata() != null) {
                  return new OpenObject(Files.newInputStream(found.path()), found.metadata());
                }
                if (computed[0] != null && found.version().equals(computedFor[0])) {
                  return new OpenObject(Files.newInputStream(found.path()), computed[0]);
                }
                unrecorded[0] = found;
                return null;
              });
      if (opened != null) {
        return opened;
      }
      if (unrecorded[0] == null) {
        return null;
      }
      Metadata hashed = hashAndRecord(location, unrecorded[0].path(), unrecorded[0].version());
      if (hashed != null) {
        computed[0] = hashed;
        computedFor[0] = unrecorded[0].version();
      }
    }
    throw keptChanging(location, "verify");
  }

  @Override
  protected boolean deleteObject(Location location) throws IOException {
    Resolver.Located deleted =
        locks.withLock(
            location,
            () -> {
              Resolver.Located at = resolver.locate(location, "delete");
              if (!at.isObject()) {
                return null;
              }
              if (!removeFile(at.path())) {
                return null;
              }
              dropRecordFile(location);
              return at;
            });
    if (deleted == null) {
      return false;
    }
    Path remaining = prune(deleted.path().getParent(), deleted.pruneLimit());
    if (durable) {
      syncDirectories(remaining, remaining);
    }
    return true;
  }

  /**
   * Moves by renaming the file ({@code rename(2)}), together with its metadata record, without
   * reading or copying the content; on the same filesystem it takes the same time whatever the
   * object's size. Under the locks of both locations (taken in a global order, see {@link
   * LocationLocks#withLocks}, so that two processes moving in opposite directions cannot deadlock)
   * it checks the source's record (rule R3: a file changed in place fails with {@link
   * ChangedExternalResourceException}, as a copy would), then:
   *
   * <ul>
   *   <li>{@code OVERWRITE}: renames the source over the target, which replaces any object there
   *       atomically;
   *   <li>{@code CREATE}: links the target name to the source file ({@code link(2)} refuses if the
   *       name is taken, even by a tool that takes no lock), then removes the source name; where
   *       hard links are unavailable, renames under the locks instead;
   * </ul>
   *
   * <p>then records the moved file's metadata under the target location (the file keeps its
   * identity, size and last-modified time, so the record stays exact) and deletes the source's
   * record. Readers of the target see the previous object or the moved one (S2); readers of the
   * source see it until the rename, then nothing. Concurrent moves of one source: exactly one
   * succeeds, the others find nothing there. A process killed during a {@code CREATE} move may
   * leave the object at both locations (the same file under two names, each valid); one killed
   * before the target's record is written leaves the target unrecorded, so its MD5 is computed
   * again when next needed, never wrong.
   *
   * <p>The content is not re-read, so a byte damaged in place behind the store's back, without a
   * change of size or last-modified time, moves with the file and stays detectable at the target
   * by {@link #verify} and verified loads, exactly as it was at the source. Where a rename is
   * impossible (the source is itself a symbolic link, or the two locations are on different
   * filesystems below the root) the move falls back to the verified copy and delete of {@link
   * ExternalStorage}.
   */
  @Override
  protected Metadata moveObject(Location from, Location to, boolean replaceExisting)
      throws IOException {
    for (int attempt = 0; attempt < RACE_RETRIES; attempt++) {
      Resolver.Located source = resolver.locate(from, "move");
      if (!source.isObject()) {
        throw new NoSuchFileException(from.value());
      }
      Resolver.Located target = resolver.locate(to, "move");
      checkStorable(to, target);
      if (!replaceExisting && target.attributes() != null) {
        return null; // present: nothing to do
      }
      Path targetDir = target.path().getParent();
      Renamed renamed = null;
      try {
        if (target.missingDirectories() > 0) {
          Files.createDirectories(targetDir);
        }
        renamed =
            locks.withLocks(from, to, () -> rename(from, source, to, target, replaceExisting));
      } catch (FileAlreadyExistsException e) {
        continue; // an object took the place of a directory: the next look names it (L1.2)
      } finally {
        if (renamed == null || renamed.outcome() != RenameOutcome.MOVED) {
          pruneCreated(target);
        }
      }
      switch (renamed.outcome()) {
        case MOVED:
          Path remaining = prune(source.path().getParent(), source.pruneLimit());
          if (durable) {
            syncDirectories(
                targetDir,
                target.missingDirectories() > 0 ? target.deepestDirectory() : targetDir);
            syncDirectories(remaining, remaining);
          }
          return renamed.metadata();
        case REFUSED:
          return null;
        case MISSING:
          throw new NoSuchFileException(from.value());
        case UNRECORDED:
          hashAndRecord(from, renamed.unrecorded().path(), renamed.unrecorded().version());
          break;
        case CANNOT_RENAME:
          return super.moveObject(from, to, replaceExisting);
        case RETRY:
        default:
          break;
      }
    }
    throw keptChanging(from, "move");
  }

  /**
   * Takes a local file into the store without copying it, for {@link #adoptPath} (rule M3): the
   * file is read once to hash it (it was usually just written, so it is read from the page cache),
   * then renamed into place under the location's lock, with its metadata record written for the
   * renamed file (its identity, size and last-modified time, R3), exactly as a store publishes its
   * temporary file: by {@code rename(2)} under {@code OVERWRITE}, and under the other policies by
   * the {@code link(2)} that refuses a taken name followed by removing the source name (or a
   * rename under the lock where the filesystem has no hard links). Under the lock, the file is
   * checked to be the same version (identity, size, last-modified time) as the one hashed; a file
   * changed meanwhile is refused with nothing changed.
   *
   * <p>The file is copied instead, by the default of {@link ExternalStorage} (which stores a copy
   * and then deletes the file), when a rename cannot take it: it is on another filesystem than
   * the target's directory ({@code EXDEV}), it has other hard links (renaming it would leave a
   * second name of a stored object outside the store), or the platform cannot tell either.
   */
  @Override
  protected Metadata adoptFile(Location location, Path source, boolean replaceExisting)
      throws IOException {
    Resolver.Located at = resolver.locate(location, "adopt");
    checkStorable(location, at);
    if (!replaceExisting && at.attributes() != null) {
      return null; // present: nothing to do
    }
    BasicFileAttributes before =
        Files.readAttributes(source, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!before.isRegularFile() || !renameable(source, at.deepestDirectory())) {
      return super.adoptFile(location, source, replaceExisting);
    }
    FileVersion version = FileVersion.of(before);
    Metadata metadata;
    boolean recorded;
    try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ)) {
      metadata = Metadata.of(java.nio.channels.Channels.newInputStream(in));
      if (metadata.size() != version.size() || !version.equals(versionOrNull(source))) {
        throw changedWhileAdopted(location, source);
      }
      recorded = recordOnFile(location, source, false, metadata, version);
      if (durable) {
        in.force(true);
      }
    }
    Path target = at.path();
    Outcome outcome = null;
    try {
      if (at.missingDirectories() > 0) {
        Files.createDirectories(target.getParent());
      }
      outcome =
          locks.withLock(
              location,
              () -> {
                BasicFileAttributes now =
                    Resolver.attributesOrNull(source, LinkOption.NOFOLLOW_LINKS);
                if (now == null || !now.isRegularFile() || !version.equals(FileVersion.of(now))) {
                  throw changedWhileAdopted(location, source);
                }
                return publish(
                    location, source, target, replaceExisting, metadata, version, recorded);
              });
    } catch (AtomicMoveNotSupportedException e) {
      return super.adoptFile(location, source, replaceExisting); // nothing moved
    } finally {
      if (outcome == null || outcome == Outcome.REFUSED) {
        pruneCreated(at);
        if (recorded) {
          // Refused, changed before the lock, or failed before publishing: the caller keeps the
          // file, without the record this adoption set on it (after a copying fallback that
          // took it, the file is gone and there is nothing to remove).
          records.removeAttributeQuietly(source);
        }
      }
    }
    if (outcome == Outcome.REFUSED) {
      return null;
    }
    if (outcome == Outcome.LINKED) {
      Files.delete(source); // the object stays; the scratch name must not remain a second name
    }
    if (durable) {
      Path dir = target.getParent();
      syncDirectories(dir, at.missingDirectories() > 0 ? at.deepestDirectory() : dir);
      syncDirectories(source.toAbsolutePath().getParent(), source.toAbsolutePath().getParent());
    }
    return metadata;
  }

  /**
   * Whether {@code source} can be renamed into {@code directory}: one filesystem (the same device),
   * and no other hard link to the file. False where the platform has no {@code unix} attributes.
   */
  private static boolean renameable(Path source, Path directory) {
    try {
      java.util.Map<String, Object> file =
          Files.readAttributes(source, "unix:dev,nlink", LinkOption.NOFOLLOW_LINKS);
      Object device = Files.getAttribute(directory, "unix:dev");
      return Objects.equals(file.get("dev"), device) && ((Number) file.get("nlink")).intValue() == 1;
    } catch (UnsupportedOperationException | IllegalArgumentException | IOException e) {
      return false;
    }
  }

  private ExternalResourceException changedWhileAdopted(Location location, Path source) {
    return new ExternalResourceException(
        name + ": adopt of " + source + " as " + quote(location.value()) + " refused: the file"
            + " changed while it was hashed, so nothing was stored and the file was kept; it must"
            + " not change while it is adopted (rule M3)",
        location.value(),
        null);
  }

  /** How {@link #rename} ended. */
  private enum RenameOutcome {
    /** The object is at the target now, with its record. */
    MOVED,
    /** {@code CREATE} found the target taken; nothing changed. */
    REFUSED,
    /** Nothing is at the source. */
    MISSING,
    /** The source has no valid record: hash it, then try again. */
    UNRECORDED,
    /** A rename cannot do it (a link at the source, another filesystem): copy instead. */
    CANNOT_RENAME,
    /** The tree changed between the look outside the locks and the rename: look again. */
    RETRY
  }

  /**
   * What {@link #rename} did.
   *
   * @param metadata the moved object's metadata, for {@link RenameOutcome#MOVED}
   * @param unrecorded the source found without a record, for {@link RenameOutcome#UNRECORDED}
   */
  private record Renamed(RenameOutcome outcome, Metadata metadata, Lookup unrecorded) {
    Renamed(RenameOutcome outcome) {
      this(outcome, null, null);
    }
  }

  /**
   * Under the locks of {@code from} and {@code to}: the rename step of {@link #moveObject}. Both
   * locations were resolved just before, outside the locks; here only their last components are
   * looked at again ({@link Resolver#refresh}): a directory removed meanwhile makes the rename or
   * the link fail, and the move looks again.
   */
  private Renamed rename(
      Location from, Resolver.Located source, Location to, Resolver.Located target, boolean replace)
      throws IOException {
    Resolver.Located now = resolver.refresh(source, from, "move");
    Lookup found = lookUp(from, now, "move"); // R3: a file changed in place throws
    if (found == null) {
      return new Renamed(RenameOutcome.MISSING);
    }
    if (found.metadata() == null) {
      return new Renamed(RenameOutcome.UNRECORDED, null, found);
    }
    if (now.isLink()) {
      return new Renamed(RenameOutcome.CANNOT_RENAME);
    }
    Resolver.Located there = resolver.refresh(target, to, "move");
    checkStorable(to, there);
    if (!replace && there.attributes() != null) {
      return new Renamed(RenameOutcome.REFUSED);
    }
    Path sourcePath = found.path();
    Path targetPath = there.path();
    // A record in the file's attribute moves with the file; a record file is rewritten.
    boolean carried = found.inAttribute();
    FileChannel emptied = carried ? null : records.openEmptied(to);
    try {
      try {
        Linked linked = replace ? Linked.NO_LINKS : link(sourcePath, targetPath);
        switch (linked) {
          case LINKED:
            removeFile(sourcePath);
            break;
          case TAKEN:
            return new Renamed(RenameOutcome.REFUSED); // taken by a tool that takes no lock
          case CROSS_DEVICE:
            return new Renamed(RenameOutcome.CANNOT_RENAME);
          case NO_LINKS:
          default:
            Files.move(sourcePath, targetPath, StandardCopyOption.ATOMIC_MOVE);
            removeIfSameFile(sourcePath, found.version());
            break;
        }
      } catch (NoSuchFileException e) {
        return new Renamed(RenameOutcome.RETRY); // a directory on the way was removed meanwhile
      } catch (AtomicMoveNotSupportedException e) {
        return new Renamed(RenameOutcome.CANNOT_RENAME);
      } catch (FileSystemException e) {
        if (String.valueOf(e.getReason()).contains("Not a directory")) {
          return new Renamed(RenameOutcome.RETRY); // an object took a directory's place: L1.2
        }
        throw e;
      }
      if (carried) {
        dropRecordFile(to);
      } else {
        record(to, targetPath, emptied, found.metadata(), found.version());
      }
    } finally {
      if (emptied != null) {
        emptied.close();
      }
    }
    dropRecordFile(from);
    return new Renamed(RenameOutcome.MOVED, found.metadata(), null);
  }

  /**
   * After renaming {@code source}: {@code rename(2)} does nothing when both names are links to the
   * same file (left by a move killed between its link and its unlink, or made by another tool), so
   * the source name is removed here if it still names the moved file.
   */
  private static void removeIfSameFile(Path source, FileVersion moved) throws IOException {
    BasicFileAttributes left = Resolver.attributesOrNull(source, LinkOption.NOFOLLOW_LINKS);
    if (left != null && left.isRegularFile() && !FileVersion.of(left).isOtherFile(moved)
        && moved.fileKey() != null) {
      removeFile(source);
    }
  }

  @Override
  protected Stream<String> listObjects(String prefix) throws IOException {
    return listObjects(prefix, "");
  }

  /**
   * The walk of {@link #listObjects(String)}, which neither reads nor examines a directory whose
   * whole subtree sorts before {@code startAfter}, nor examines a file that does (rule I7).
   */
  @Override
  protected Stream<String> listObjects(String prefix, String startAfter) throws IOException {
    Listing listing = new Listing(resolver, name, prefix, startAfter);
    return StreamSupport.stream(listing, false).onClose(listing::close);
  }

  /**
   * The walk of {@link #listObjects(String, String)}, reading each regular file of at most {@code
   * maxBytes} (and at most {@value #SMALL_OBJECT_BYTES}) bytes whose record is in its attribute
   * with the listing (rule I8): see {@link #readListed}. A store whose records are files lists
   * without content.
   */
  @Override
  protected Stream<ListedObject> listObjects(String prefix, String startAfter, int maxBytes)
      throws IOException {
    Listing listing = new Listing(resolver, name, prefix, startAfter,
        records.inAttributes() ? this::readListed : null, Math.min(maxBytes, SMALL_OBJECT_BYTES));
    return StreamSupport.stream(listing.objects(), false).onClose(listing::close);
  }

  /**
   * Whether this store keeps its records in the objects' attributes, and so reads small objects
   * with its listings (rule I8); for tests.
   */
  boolean recordsInAttributes() {
    return records.inAttributes();
  }

  /**
   * Reads a small object file that a listing found, without the location's lock, as {@link
   * #readSmallWithoutLock} does, but its bytes relative to the directory the listing has open: the
   * record in the file's attribute (read through the file's whole path, the one way Java reads an
   * attribute) must describe the version the listing saw (rule R3), and the bytes are read from
   * the file of that name in that directory, never through a link ({@code openat} with {@code
   * O_NOFOLLOW}); the core then checks that they hash to the record. A record read through a path
   * that changed meanwhile either fails that check or describes these very bytes. Anything else (no
   * record, a record of another version, a file that changed, vanished or became a link or a
   * directory, an I/O error) lists the object without content, for the caller's ordinary read,
   * which reports what it finds.
   */
  private ListedObject readListed(String location, SecureDirectoryStream<Path> directory, Path fileName,
      Path path, BasicFileAttributes attributes) {
    try {
      RecordedBytes read =
          readRecorded(path, attributes, () -> directory.newByteChannel(fileName, READ_NO_LINKS));
      return read == null
          ? ListedObject.of(location)
          : ListedObject.withContent(location, read.metadata(), read.bytes());
    } catch (IOException | RuntimeException e) {
      Log.LOG.debug("{}: {} listed without content: {}", name, quote(location), e.toString());
      return ListedObject.of(location);
    }
  }

  /** The {@code file:} URI of {@code <root>/<location>}, whether or not an object is there. */
  @Override
  protected URI objectUri(Location location) {
    Path path = root;
    try {
      for (String segment : location.segments()) {
        path = path.resolve(segment);
      }
    } catch (InvalidPathException e) {
      throw new ExternalResourceException(
          name + ": " + quote(location.value()) + " is not a file name on this filesystem: "
              + e.getMessage(),
          location.value(),
          e);
    }
    return path.toUri();
  }

  // ---------------------------------------------------------------------------------------------
  // Storing

  private void checkStorable(Location location, Resolver.Located at) {
    String problem = null;
    if (at.blockedBy() != null) {
      problem = quote(at.blockedBy()) + " is an object, so it cannot also be a directory holding "
          + quote(location.value()) + " on a filesystem";
    } else if (at.attributes() != null && at.attributes().isDirectory()) {
      problem = "it is a directory holding other objects; on a filesystem a location cannot be"
          + " both an object and a prefix of others followed by \"/\"";
    } else if (at.attributes() != null && !at.attributes().isRegularFile()) {
      problem = at.path() + " is not a regular file (a device, a socket or a pipe)";
    }
    if (problem != null) {
      throw new ExternalResourceException(
          name + ": store of " + quote(location.value()) + " failed: " + problem + " (rule L1.2)",
          location.value(),
          null);
    }
  }

  /**
   * Creates the directory of {@code temp} as needed, and {@code temp} in it, exclusively; returns
   * {@code null} if that name is taken. Retries when a concurrent delete prunes the directory in
   * between. If the directory existed when the location was resolved ({@code directoryExisted}),
   * the first attempt only creates the file (two system calls fewer per store), and falls back to
   * creating the directories if that fails.
   */
  private FileChannel createTemp(
      Location location, Path temp, int attempt, boolean directoryExisted) throws IOException {
    Path dir = temp.getParent();
    boolean createDirectories = !directoryExisted;
    for (int pruned = 0; ; pruned++) {
      try {
        if (createDirectories) {
          Files.createDirectories(dir);
        }
        return FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      } catch (FileAlreadyExistsException e) {
        if (!createDirectories && !temp.toString().equals(e.getFile())) {
          createDirectories = true; // let createDirectories say what is in the way
          continue;
        }
        if (temp.toString().equals(e.getFile()) && attempt < RACE_RETRIES) {
          return null; // a one-in-2^64 clash of random names
        }
        if (e.getFile() != null && pruned < RACE_RETRIES) {
          // Files.createDirectories reports a directory that a concurrent delete pruned between
          // its mkdir (EEXIST) and its check as "exists and is not a directory". Only a file there
          // is an object in the way. Found by FileStorageHammerTest.
          BasicFileAttributes there =
              Resolver.attributesOrNull(Path.of(e.getFile()), LinkOption.NOFOLLOW_LINKS);
          if (there == null || there.isDirectory()) {
            continue;
          }
        }
        throw new ExternalResourceException(
            name + ": store of " + quote(location.value()) + " failed: a parent of it became an"
                + " object, so it cannot also be a directory (" + e.getFile() + "; rule L1.2)",
            location.value(),
            e);
      } catch (NoSuchFileException e) {
        if (pruned >= RACE_RETRIES) {
          throw e;
        }
        // A concurrent delete removed the directory as empty: create it again.
        createDirectories = true;
      } catch (FileSystemException e) {
        if (createDirectories) {
          throw e;
        }
        // Something else than a directory is in the way now ("not a directory"): let
        // createDirectories say what.
        createDirectories = true;
      }
    }
  }

  /** Copies the content into {@code out} in large writes; the caller syncs and closes it. */
  private static void copy(ObjectSource source, FileChannel out) throws IOException {
    byte[] buffer = new byte[bufferSize(source.knownSize())];
    ByteBuffer wrapped = ByteBuffer.wrap(buffer);
    InputStream in = source.stream();
    int n;
    while ((n = in.readNBytes(buffer, 0, buffer.length)) > 0) {
      wrapped.clear().limit(n);
      while (wrapped.hasRemaining()) {
        out.write(wrapped);
      }
    }
  }

  /**
   * Up to {@link #MAX_BUFFER}; for a content of known size, one byte more than it, so that the
   * first read also meets its end and a small object costs no larger buffer than itself.
   */
  static int bufferSize(OptionalLong knownSize) {
    if (knownSize.isEmpty()) {
      return MAX_BUFFER;
    }
    return (int) Math.min(MAX_BUFFER, knownSize.getAsLong() + 1);
  }

  /** How {@link #publish} ended. */
  private enum Outcome {
    /** The temporary file was renamed to the target: it is the object now. */
    RENAMED,
    /** The target was created as a hard link to the temporary file, which is still there. */
    LINKED,
    /** Nothing was changed: create-if-absent found the target taken. */
    REFUSED
  }

  /**
   * Under the location's lock: makes {@code temp} the object at {@code target} and records its
   * metadata. The record file is opened first, created if missing and emptied if present (an
   * empty record counts as none), so that a crash before the new record is written leaves no
   * valid record (the file is hashed again) rather than a record of another file; the new record
   * is then written into that same record file: one {@code open}, {@code write} and {@code close},
   * no temporary file. Returns {@link Outcome#REFUSED} if {@code replace} is false and something
   * is at {@code target}; then nothing was published, and the only change is that a record of
   * that object was emptied, if a process that took the name between this store's look and its
   * lock recorded one (the object is hashed again when next needed, never described wrongly).
   *
   * <p>If {@code recorded}, {@code temp} carries its record in its attribute already, which is
   * published with it: no record file is opened or written, and a record file left by an earlier
   * version or a fallback is removed after publishing (a crash in between leaves it, and readers
   * take the attribute first).
   */
  private Outcome publish(
      Location location,
      Path temp,
      Path target,
      boolean replace,
      Metadata metadata,
      FileVersion version,
      boolean recorded)
      throws IOException {
    if (!replace && !hardLinks
        && Resolver.attributesOrNull(target, LinkOption.NOFOLLOW_LINKS) != null) {
      return Outcome.REFUSED; // a rename would replace it: look first
    }
    FileChannel emptied = recorded ? null : records.openEmptied(location);
    try {
      Outcome outcome;
      if (replace) {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        outcome = Outcome.RENAMED;
      } else {
        outcome = createAt(temp, target);
        if (outcome == Outcome.REFUSED) {
          return outcome;
        }
      }
      if (recorded) {
        dropRecordFile(location);
      } else {
        record(location, target, emptied, metadata, version);
      }
      return outcome;
    } finally {
      if (emptied != null) {
        emptied.close();
      }
    }
  }

  /**
   * Under the location's lock, once its new file {@code file} is in place: writes its record, into
   * the record file {@code emptied} if there was one; else into the file's attribute where records
   * go there (removing a record file of the location, if any may exist), or into a new record
   * file. A record that cannot be written is logged, not thrown: the object is in place, and a
   * missing record only costs a re-hash.
   */
  private void record(
      Location location, Path file, FileChannel emptied, Metadata metadata, FileVersion version) {
    if (emptied == null && recordOnFile(location, file, true, metadata, version)) {
      dropRecordFile(location);
      return;
    }
    MetadataRecords.Entry entry = new MetadataRecords.Entry(location.value(), metadata, version);
    try {
      if (emptied != null) {
        records.rewrite(emptied, entry);
      } else {
        records.write(entry);
      }
    } catch (IOException e) {
      Log.LOG.warn(
          "{}: cannot write the metadata record of {}; it will be computed again when needed",
          name, quote(location.value()), e);
    }
  }

  /**
   * Where records go into attributes: sets the record of {@code file}, a temporary file or a file
   * about to be adopted, not yet published, to {@code metadata} and {@code version}. Returns
   * whether it did; false where records are files, or this file cannot carry the attribute (then
   * the caller writes a record file: any failure to set the attribute falls back to a record file,
   * never to no record). A failure is logged, not thrown.
   *
   * @param followLinks whether {@code file} may be a link the resolver allowed (a published
   *     location), rather than a file of this store's own making
   */
  private boolean recordOnFile(
      Location location, Path file, boolean followLinks, Metadata metadata, FileVersion version) {
    if (!records.inAttributes()) {
      return false;
    }
    try {
      return records.writeAttribute(
          file, followLinks, new MetadataRecords.Entry(null, metadata, version));
    } catch (IOException e) {
      Log.LOG.debug("{}: cannot set the record attribute of {} on {}; writing a record file: {}",
          name, quote(location.value()), file, e.toString());
      return false;
    }
  }

  /**
   * Under the location's lock, after its object got its record in its attribute, or was deleted
   * or moved away: removes the location's record file, if record files may exist under this root,
   * so that none is left describing an older file. A failure is logged, not thrown.
   */
  private void dropRecordFile(Location location) {
    if (!records.recordFilesMayExist()) {
      return;
    }
    try {
      records.delete(location);
    } catch (IOException e) {
      Log.LOG.warn("{}: cannot delete the old metadata record file of {}", name,
          quote(location.value()), e);
    }
  }

  /**
   * Under the location's lock, with nothing at {@code target} as far as Stowage processes know:
   * publishes {@code temp} there with {@code link(2)}, which also refuses if a process that does
   * not take the lock created the name meanwhile; where hard links are unavailable, with a rename
   * (the caller looked first). Returns {@link Outcome#REFUSED} if the name is taken.
   */
  private Outcome createAt(Path temp, Path target) throws IOException {
    switch (link(temp, target)) {
      case LINKED:
        return Outcome.LINKED;
      case TAKEN:
        return Outcome.REFUSED;
      case CROSS_DEVICE:
        throw new AtomicMoveNotSupportedException(
            temp.toString(), target.toString(), "on another filesystem");
      case NO_LINKS:
      default:
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        return Outcome.RENAMED;
    }
  }

  /** How {@link #link} ended. */
  private enum Linked {
    /** {@code target} is a new name of the file now. */
    LINKED,
    /** {@code target} was taken; nothing changed. */
    TAKEN,
    /** The two names are on different filesystems ({@code EXDEV}); nothing changed. */
    CROSS_DEVICE,
    /**
     * Hard links are unavailable here (now or since an earlier failure), and are off for this
     * storage from now on; nothing changed. The caller renames instead, having checked under the
     * lock that the name is free.
     */
    NO_LINKS
  }

  /**
   * The create-if-absent step shared by stores and moves: makes {@code target} a hard link to the
   * file {@code existing} ({@code link(2)}, which fails if the name is taken). A filesystem that
   * refuses hard links turns them off for this storage, with one warning, whichever operation met
   * it first.
   *
   * @throws NoSuchFileException if {@code existing} or the target's directory is gone (a
   *     concurrent delete: the caller looks again)
   * @throws IOException for other failures: permissions, a parent that is not a directory
   */
  private Linked link(Path existing, Path target) throws IOException {
    if (!hardLinks) {
      return Linked.NO_LINKS;
    }
    try {
      linker.link(target, existing);
      return Linked.LINKED;
    } catch (FileAlreadyExistsException e) {
      return Linked.TAKEN;
    } catch (NoSuchFileException | AccessDeniedException e) {
      throw e;
    } catch (FileSystemException e) {
      String reason = String.valueOf(e.getReason());
      if (reason.contains("cross-device")) {
        return Linked.CROSS_DEVICE;
      }
      if (reason.contains("Not a directory")) {
        throw e;
      }
      noHardLinks(e);
      return Linked.NO_LINKS;
    } catch (UnsupportedOperationException e) {
      noHardLinks(e);
      return Linked.NO_LINKS;
    }
  }

  private void noHardLinks(Exception e) {
    Log.LOG.warn(
        "{}: cannot create hard links here ({}); create-if-absent renames under the location's"
            + " lock from now on",
        name,
        e.toString());
    hardLinks = false;
  }

  // ---------------------------------------------------------------------------------------------
  // Metadata records

  /**
   * What {@link #lookUp} found: an object file and, if its record is valid, its metadata.
   *
   * @param path the object's path
   * @param version the file's version when it was looked up
   * @param metadata its recorded metadata, or {@code null} if it must be computed from the file
   */
  private record Lookup(Path path, FileVersion version, Metadata metadata, boolean inAttribute) {
    Lookup(Path path, FileVersion version, Metadata metadata) {
      this(path, version, metadata, false);
    }
  }

  /**
   * Under the location's lock: finds the object and checks its record (see the class description,
   * "Metadata records"); {@code null} if there is no object.
   *
   * @throws ChangedExternalResourceException if the record is of this file but the file changed
   *     since (rule R3)
   */
  private Lookup lookUp(Location location, String operation) throws IOException {
    return lookUp(location, resolver.locate(location, operation), operation);
  }

  /** {@link #lookUp(Location, String)} of a location already resolved under the lock. */
  private Lookup lookUp(Location location, Resolver.Located at, String operation)
      throws IOException {
    if (!at.isObject()) {
      return null;
    }
    FileVersion version = FileVersion.of(at.attributes());
    MetadataRecords.Entry entry = readRecord(location, at, version);
    if (entry == null || entry.version().isOtherFile(version)) {
      return new Lookup(at.path(), version, null);
    }
    if (entry.version().sameContentStamp(version)) {
      return new Lookup(at.path(), version, entry.metadata(), entry.inAttribute());
    }
    throw new ChangedExternalResourceException(
        name + ": " + operation + " of " + quote(location.value()) + " failed: the file "
            + at.path() + " was changed in place behind the store's back: it has "
            + version.describe() + ", but its metadata was recorded for "
            + entry.version().describe() + " (rule R3); store the object again, or delete it",
        location.value());
  }

  /**
   * The record of the object {@code at}, whose file is now {@code version}: its attribute, if it
   * has one that describes this file as it is; else its record file, if record files may exist
   * here and it describes this file as it is; else whichever of the two there is (the caller
   * then finds it names another file, or this file changed in place), attribute first; {@code
   * null} if there is neither. Attributes are read even where this storage writes record files
   * (another storage on the root may have set them), and a record file is looked for even when
   * the attribute exists but does not fit: a file adopted with a foreign attribute it could not
   * overwrite (read-only) carries that attribute and gets a record file.
   */
  private MetadataRecords.Entry readRecord(
      Location location, Resolver.Located at, FileVersion version) throws IOException {
    MetadataRecords.Entry attribute =
        records.attributesReadable() ? records.readAttribute(at.path(), at.isLink()) : null;
    if (attribute != null && fits(attribute, version)) {
      return attribute;
    }
    MetadataRecords.Entry file = records.recordFilesMayExistNow() ? records.read(location) : null;
    if (file != null && fits(file, version) || attribute == null) {
      return file;
    }
    return attribute;
  }

  /** Whether {@code entry} describes the file {@code version} as it is now. */
  private static boolean fits(MetadataRecords.Entry entry, FileVersion version) {
    return !entry.version().isOtherFile(version) && entry.version().sameContentStamp(version);
  }

  /**
   * Computes the metadata of a file the store has no valid record of, by reading it once without
   * holding the lock, then records it under the lock if the file is still the same version.
   * Returns {@code null}, recording nothing, if the file changed meanwhile.
   */
  private Metadata hashAndRecord(Location location, Path path, FileVersion version)
      throws IOException {
    FileChannel channel;
    try {
      channel = FileChannel.open(path, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      return null;
    }
    Metadata metadata;
    try (FileChannel in = channel) {
      if (!version.equals(versionOrNull(path))) {
        return null;
      }
      metadata = Metadata.of(java.nio.channels.Channels.newInputStream(in));
      if (metadata.size() != version.size() || !version.equals(versionOrNull(path))) {
        return null;
      }
    }
    Log.LOG.debug(
        "{}: computed the metadata of {}, which the store had not recorded",
        name, quote(location.value()));
    boolean recorded =
        locks.withLock(
            location,
            () -> {
              if (!version.equals(versionOrNull(path))) {
                return false;
              }
              record(location, path, null, metadata, version);
              return true;
            });
    return recorded ? metadata : null;
  }

  /** The version of the regular file at {@code path}, following links; null if there is none. */
  private static FileVersion versionOrNull(Path path) throws IOException {
    BasicFileAttributes attributes = Resolver.attributesOrNull(path);
    return attributes == null || !attributes.isRegularFile() ? null : FileVersion.of(attributes);
  }

  private ExternalResourceException keptChanging(Location location, String operation) {
    return new ExternalResourceException(
        name + ": " + operation + " of " + quote(location.value()) + " failed: the file kept"
            + " being replaced or changed while it was read (" + RACE_RETRIES + " attempts)",
        location.value(),
        null);
  }

  // ---------------------------------------------------------------------------------------------
  // Deleting

  /**
   * Removes {@code dir} and its parents while they are empty, stopping below {@code limit}; returns
   * the deepest directory that remains. A directory that a concurrent writer fills meanwhile is
   * not empty and stays; one that a concurrent delete removed first ends the pruning.
   */
  private Path prune(Path dir, Path limit) {
    Path current = dir;
    while (current.startsWith(limit) && !current.equals(limit)) {
      try {
        Files.delete(current);
      } catch (DirectoryNotEmptyException | NoSuchFileException e) {
        return current;
      } catch (IOException e) {
        Log.LOG.debug("{}: not removing the directory {}: {}", name, current, e.toString());
        return current;
      }
      current = current.getParent();
    }
    return current;
  }

  // ---------------------------------------------------------------------------------------------
  // Opening

  private Path openRoot() {
    try {
      Files.createDirectories(root);
    } catch (FileAlreadyExistsException e) {
      throw rootProblem("it exists and is not a directory", e);
    } catch (IOException e) {
      throw rootProblem("it cannot be created: " + e, e);
    }
    if (!Files.isDirectory(root)) {
      throw rootProblem("it is not a directory", null);
    }
    if (!Files.isWritable(root)) {
      throw rootProblem("it is not writable", null);
    }
    try {
      return root.toRealPath();
    } catch (IOException e) {
      throw rootProblem("its real path cannot be resolved: " + e, e);
    }
  }

  private ExternalResourceException rootProblem(String problem, Exception cause) {
    return new ExternalResourceException(
        name + ": cannot use " + root + " as the root of a storage: " + problem, cause);
  }

  private void warnIfNamesAreNotUnicode() {
    try {
      realRoot.resolve("\u00e9\ud834\udd1e");
    } catch (InvalidPathException e) {
      Log.LOG.warn(
          "{}: this JVM cannot name files with non-ASCII characters (its file name encoding is"
              + " not UTF-8; set a UTF-8 locale such as LANG=C.UTF-8): storing non-ASCII"
              + " locations will fail",
          name);
    }
  }

  private void cleanTempFiles(Instant olderThan) {
    int[] removed = {0};
    try {
      Files.walkFileTree(
          realRoot,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
              if (file.getFileName().toString().startsWith(TEMP_PREFIX)
                  && attributes.isRegularFile()
                  && attributes.lastModifiedTime().toInstant().isBefore(olderThan)) {
                try {
                  if (Files.deleteIfExists(file)) {
                    removed[0]++;
                  }
                } catch (IOException e) {
                  Log.LOG.warn("{}: cannot remove the temporary file {}", name, file, e);
                }
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
              Log.LOG.debug("{}: not cleaning {}: {}", name, file, e.toString());
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new ExternalResourceException(
          name + ": cannot clean the temporary files under " + root + ": " + e, e);
    }
    if (removed[0] > 0) {
      Log.LOG.info(
          "{}: removed {} temporary files last modified before {}", name, removed[0], olderThan);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Shared with the package

  /** A fresh temporary file name: the reserved prefix and 64 random bits. */
  static String newTempName() {
    return TEMP_PREFIX + HEX.toHexDigits(ThreadLocalRandom.current().nextLong());
  }

  /**
   * Syncs {@code from} and its parents up to {@code upTo}, inclusive, to disk; silently skips
   * directories the platform cannot sync.
   */
  static void syncDirectories(Path from, Path upTo) {
    for (Path dir = from; dir != null; dir = dir.getParent()) {
      try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
        channel.force(true);
      } catch (IOException e) {
        Log.LOG.debug("cannot sync the directory {}: {}", dir, e.toString());
      }
      if (dir.equals(upTo) || !dir.startsWith(upTo)) {
        return;
      }
    }
  }

  /** Deletes the file {@code path} if it exists; logs a failure. */
  static void deleteQuietly(Path path, String storage) {
    try {
      removeFile(path);
    } catch (IOException e) {
      Log.LOG.warn("{}: cannot delete the temporary file {}", storage, path, e);
    }
  }

  /**
   * Removes the file {@code path} with one system call: {@link java.io.File#delete} is {@code
   * unlink(2)} alone, where {@link Files#deleteIfExists} looks at the file first ({@code lstat},
   * then {@code unlink}). Only for names the store knows to be files (temporary files, records,
   * the second name of a moved file). Returns whether it was removed; {@code false} if nothing was
   * there.
   *
   * @throws IOException if it is there but cannot be removed (with the system's reason)
   */
  static boolean removeFile(Path path) throws IOException {
    if (path.getFileSystem() == java.nio.file.FileSystems.getDefault()
        && path.toFile().delete()) {
      return true;
    }
    return Files.deleteIfExists(path); // gone: false; else removes it, or says why it cannot
  }

  /** Quotes a location for a message, as the core does. */
  static String quote(String location) {
    return Location.quote(location);
  }

  /** Makes {@code link} a new name of the file {@code existing}, as {@link Files#createLink}. */
  @FunctionalInterface
  interface HardLinker {
    void link(Path link, Path existing) throws IOException;
  }

  /**
   * Options for a {@link FileStorage}. Not thread-safe; {@link #build()} may be called more than
   * once.
   */
  public static final class Builder {
    private final Path root;
    private boolean durable;
    private Duration cleanTempFilesOlderThan;
    private boolean hardLinks = true;
    private boolean extendedAttributes = true;
    private HardLinker linker = Files::createLink;

    private Builder(Path root) {
      this.root = Objects.requireNonNull(root, "root");
    }

    /**
     * Whether stores and deletes are synced to disk before they return (default false): the
     * object file and its record are {@code fsync}ed before being published and their
     * directories after. Slower; for data that must survive a power failure once stored.
     *
     * @param durable true to sync every store and delete to disk before it returns, false to leave
     *     flushing to the operating system
     * @return this builder
     */
    public Builder durable(boolean durable) {
      this.durable = durable;
      return this;
    }

    /**
     * Removes, when the storage opens, the temporary files ({@code .stowage-tmp-*}) under the
     * root that were last modified more than {@code age} ago: leftovers of writers that crashed.
     * Off by default. Choose an age well beyond the longest store any process sharing the root
     * may be running: a live writer's temporary file that is removed makes its store fail. The
     * whole tree is walked once, so this costs time on large stores.
     *
     * @param age how old a temporary file must be to be removed, positive; {@code null} turns
     *     cleaning off
     * @return this builder
     */
    public Builder cleanTempFilesOlderThan(Duration age) {
      if (age != null && (age.isNegative() || age.isZero())) {
        throw new IllegalArgumentException("the age must be positive, got " + age);
      }
      this.cleanTempFilesOlderThan = age;
      return this;
    }

    /**
     * Whether create-if-absent may use hard links (default true); false makes it rename under
     * the location's lock, as it does on filesystems without hard links. For tests.
     */
    Builder hardLinks(boolean hardLinks) {
      this.hardLinks = hardLinks;
      return this;
    }

    /**
     * Whether metadata records may go into the objects' extended attributes (default true; they
     * do where the filesystem keeps user attributes); false keeps them in record files, as on a
     * filesystem without. For tests.
     */
    Builder extendedAttributes(boolean extendedAttributes) {
      this.extendedAttributes = extendedAttributes;
      return this;
    }

    /** How hard links are made (default {@link Files#createLink}). For tests of failing links. */
    Builder linker(HardLinker linker) {
      this.linker = Objects.requireNonNull(linker, "linker");
      return this;
    }

    /**
     * Opens the storage, creating the root directory if needed.
     *
     * @return the opened storage, ready for use
     * @throws ExternalResourceException naming the root if it cannot be created, or is not a
     *     writable directory
     */
    public FileStorage build() {
      return new FileStorage(this);
    }
  }
}
