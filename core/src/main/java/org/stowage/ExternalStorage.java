package org.stowage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A store of objects: byte sequences kept under {@linkplain Location locations}, each with its MD5
 * and size ({@link Metadata}). The Java counterpart of gufe's {@code ExternalStorage}: the
 * operations keep gufe's names in camelCase ({@code store_bytes} is {@link #storeBytes}, {@code
 * get_filename} is {@link #uri}).
 *
 * <h2>For users</h2>
 *
 * <p>Every public method is final and does the same things in the same order, once, for every
 * backend: it checks that the storage is open, validates the location (rules L1 to L5) and throws
 * {@link InvalidLocationException} before any backend code runs; it hashes what is stored in the
 * same pass that stores it (S1); it enforces the {@link WritePolicy} (S5); it verifies loads
 * against expected metadata while streaming (R2); and it maps every failure to an unchecked {@link
 * ExternalResourceException} that names the storage and the location (T2). The rules themselves
 * are listed in {@code docs/contract.md}.
 *
 * <p>Nulls: no method accepts a {@code null} argument ({@link NullPointerException}); no method
 * returns {@code null}.
 *
 * <p>Threads: a storage is safe for concurrent use, and its operations are linearizable per
 * location (T1). After {@link #close()}, every method but {@code close} throws {@link
 * IllegalStateException}.
 *
 * <h2>For backend authors</h2>
 *
 * <p>Subclass and implement the protected hooks. A hook receives an already validated {@link
 * Location}, never hashes, never checks a write policy, and reports "absent" by returning {@code
 * null} or {@code false}; failures are {@link IOException}s (or {@link ExternalResourceException}s
 * it builds itself, which pass through unchanged), and the core maps them: {@link
 * NoSuchFileException} to {@link MissingExternalResourceException}, {@link
 * FileAlreadyExistsException} to {@link ExistingExternalResourceException}, anything else to
 * {@link ExternalResourceException}. Override {@link #toString()} to name the backend and its root
 * in messages, without credentials. Then run the test kit ({@code stowage-testkit}) against it.
 */
public abstract class ExternalStorage implements AutoCloseable {
  /**
   * The logger, asked for at the first message rather than when this class loads: the first
   * logger a process asks for sets up its logging backend, which a store, a load or a transfer
   * that logs nothing should not pay for (about 200 ms for logback with an XML configuration).
   * Every class of Stowage's backends and layers keeps its logger in such a holder.
   */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(ExternalStorage.class);
  }
  private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;
  private static final int RACE_RETRIES = 3;
  private static final java.util.regex.Pattern URI_SCHEME = java.util.regex.Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*):");

  private final AtomicBoolean closed = new AtomicBoolean();

  /** For subclasses. */
  protected ExternalStorage() {}

  // ---------------------------------------------------------------------------------------------
  // Opening by URI

  /**
   * Opens a storage from a URI, through the {@link org.stowage.spi.StorageProvider} registered
   * for its scheme on the classpath: {@code file:///data/store} (a {@code FileStorage}), {@code
   * memory:} (a new, empty {@code MemoryStorage}; a URI with nothing after the colon is read as
   * {@code scheme:/}), {@code
   * s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1&pathStyle=true} (an {@code
   * S3Storage}), or any scheme a third-party backend registers. Credentials never go in the URI.
   * The caller closes the storage.
   *
   * <p>Only URIs are accepted: a path ({@code "/data/store"}, {@code "../x"}) or {@code ""} is
   * refused with a message that suggests the {@code file:} URI of that path, rather than opened
   * as a directory. The scheme alone says which backend opens a string, so a mistyped URI never
   * turns into a directory created somewhere; programs that take "a URI or a directory" from
   * their users (the {@code stowage} command line, the quick-start example) decide that
   * themselves. A scheme that one of Stowage's modules handles but that is not on the classpath
   * ({@code s3:} without {@code stowage-s3}) is refused with the name of the module to add.
   *
   * @param uri the storage's URI, whose scheme picks the backend
   * @return a new, open storage; the caller owns it and closes it
   * @throws IllegalArgumentException if {@code uri} is not a URI, has no scheme, or is malformed
   *     for its scheme
   * @throws ExternalResourceException if no provider on the classpath handles the scheme (the
   *     message lists the schemes that are), or the storage cannot be opened
   */
  public static ExternalStorage open(String uri) {
    Objects.requireNonNull(uri, "uri");
    java.util.regex.Matcher scheme = URI_SCHEME.matcher(uri);
    // Messages show the URI redacted, and never chain an exception whose message repeats it
    // (rule T2: a user may have put a credential in it).
    String shown = Location.quote(org.stowage.spi.StorageProvider.redact(uri));
    if (!scheme.lookingAt()) {
      throw new IllegalArgumentException(StorageProviders.notAUri(uri, shown));
    }
    // "memory:" alone is not a java.net.URI (it has an empty scheme-specific part): it means "memory:/".
    String full = scheme.end() == uri.length() ? uri + "/" : uri;
    java.net.URI parsed;
    try {
      parsed = new java.net.URI(full);
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException(
          "not a storage URI: " + shown + ": " + e.getReason() + " at index " + e.getIndex());
    }
    return StorageProviders.forScheme(scheme.group(1), uri).open(parsed);
  }

  // ---------------------------------------------------------------------------------------------
  // Storing

  /**
   * Same as {@code storeBytes(location, data, WritePolicy.OVERWRITE)}.
   *
   * @param location where to store, per rule L2
   * @param data the bytes to store; only read
   * @return the stored object's metadata (see {@link #storeBytes(String, byte[], WritePolicy)})
   */
  public final Metadata storeBytes(String location, byte[] data) {
    return storeBytes(location, data, WritePolicy.OVERWRITE);
  }

  /**
   * Stores a copy of {@code data} at {@code location}. The array is only read, and changing it
   * afterwards changes nothing stored.
   *
   * @param location where to store, per rule L2
   * @param data the bytes to store; only read, and not kept
   * @param policy what to do if an object is already at {@code location}
   * @return the stored object's metadata, computed from the bytes stored (S1); under {@link
   *     WritePolicy#SKIP_IF_EXISTS} or {@link WritePolicy#FAIL_IF_DIFFERENT}, when nothing was
   *     stored, the present object's
   * @throws InvalidLocationException if the location breaks rule L2; nothing is stored
   * @throws ExistingExternalResourceException if the policy refuses to replace the present object
   * @throws ExternalResourceException if the backend fails; the previous object, if any, is as it
   *     was (S2)
   */
  public final Metadata storeBytes(String location, byte[] data, WritePolicy policy) {
    Location loc = Location.of(location);
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(policy, "policy");
    return store(loc, new Opener(() -> ObjectSource.ofBytes(data), true, false, false), policy);
  }

  /**
   * Same as {@code storeStream(location, in, WritePolicy.OVERWRITE)}.
   *
   * @param location where to store, per rule L2
   * @param in the bytes to store, read to its end; the caller closes it
   * @return the stored object's metadata (see {@link #storeBytes(String, byte[], WritePolicy)})
   */
  public final Metadata storeStream(String location, InputStream in) {
    return storeStream(location, in, WritePolicy.OVERWRITE);
  }

  /**
   * Stores the bytes of {@code in}, read to its end, at {@code location}, in bounded memory
   * whatever its length (S4).
   *
   * <p>Ownership: the stream stays the caller's; it is read but never closed. It is read to its end
   * when the object is stored, and also under {@link WritePolicy#FAIL_IF_DIFFERENT} (to know its
   * MD5); under {@link WritePolicy#SKIP_IF_EXISTS} and {@link WritePolicy#CREATE} with an object
   * present, it may be left partly or wholly unread.
   *
   * <p>If reading {@code in} fails, nothing is stored and the previous object is as it was; the
   * {@link ExternalResourceException} thrown says that the source failed, and its cause is the
   * stream's {@link IOException}.
   *
   * @param location where to store, per rule L2
   * @param in the bytes to store, read to its end (see the ownership paragraph); the caller closes
   *     it
   * @param policy what to do if an object is already at {@code location}
   * @return the stored object's metadata (see {@link #storeBytes(String, byte[], WritePolicy)})
   * @throws InvalidLocationException if the location breaks rule L2; {@code in} is not read
   * @throws ExistingExternalResourceException if the policy refuses to replace the present object
   * @throws ExternalResourceException if reading {@code in} or the backend fails
   */
  public final Metadata storeStream(String location, InputStream in, WritePolicy policy) {
    Location loc = Location.of(location);
    Objects.requireNonNull(in, "in");
    Objects.requireNonNull(policy, "policy");
    return store(loc, new Opener(() -> streamSource(in), false, false, false), policy);
  }

  /**
   * Same as {@code storePath(location, source, WritePolicy.OVERWRITE)}.
   *
   * @param location where to store, per rule L2
   * @param source the regular file to copy; only read
   * @param policy what to do if an object is already at {@code location}
   * @return the stored object's metadata (see {@link #storeBytes(String, byte[], WritePolicy)})
   */
  public final Metadata storePath(String location, Path source, WritePolicy policy) {
    Location loc = Location.of(location);
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(policy, "policy");
    return store(loc, new Opener(() -> ObjectSource.ofPath(source), true, true, false), policy);
  }

  /**
   * Stores a copy of the regular file {@code source} at {@code location} (S3): the file is only
   * read, never moved or changed. Symbolic links are followed. The file should not change while it
   * is stored; the metadata returned describes the bytes actually read.
   *
   * @param location where to store, per rule L2
   * @param source the regular file to copy; only read, never moved or changed
   * @return the stored object's metadata (see {@link #storeBytes(String, byte[], WritePolicy)})
   * @throws InvalidLocationException if the location breaks rule L2
   * @throws ExternalResourceException if {@code source} is missing, is a directory or cannot be
   *     read (nothing is stored), or the backend fails
   * @throws ExistingExternalResourceException if the policy refuses to replace the present object
   */
  public final Metadata storePath(String location, Path source) {
    return storePath(location, source, WritePolicy.OVERWRITE);
  }

  /**
   * Stores the local regular file {@code source} at {@code location} and takes ownership of it
   * (rule M3): once the object is stored, the file is no longer at {@code source}. Use it for a
   * file that would be deleted right after a {@link #storePath} anyway (a unit's scratch output):
   * a backend may then move the file into place instead of copying it (a {@code FileStorage} on
   * the same filesystem renames it, reading it once to hash it), and otherwise stores a copy and
   * deletes the file only after the object is committed. The metadata returned describes the bytes
   * stored (S1), and the store is atomic (S2), as for {@code storePath}.
   *
   * <p>{@code source} must be a regular file, not a symbolic link (a link would move the link, not
   * the data), and it must not change while it is adopted; nothing else may hold it open for
   * writing. Policies, as for {@link #move}:
   *
   * <ul>
   *   <li>{@code OVERWRITE}: the file replaces whatever is at {@code location};
   *   <li>{@code CREATE}: if an object is at {@code location}, throws {@link
   *       ExistingExternalResourceException}; the file stays;
   *   <li>{@code SKIP_IF_EXISTS}: if an object is at {@code location}, changes nothing (the file
   *       stays) and returns the present object's metadata;
   *   <li>{@code FAIL_IF_DIFFERENT}: if an object is at {@code location}, then with the same MD5
   *       and size the file is deleted (its content is stored already) and the present object's
   *       metadata returned; otherwise throws {@link ExistingExternalResourceException} and the
   *       file stays.
   * </ul>
   *
   * <p>Nothing is ever lost: whenever this method throws, the file is still at {@code source},
   * unchanged, except in the one case the exception says so (the file changed while it was stored:
   * the object holds the bytes that were read, and the file was kept). A process killed during
   * the call leaves the content at {@code source}, or stored at {@code location}, or both; never
   * neither.
   *
   * @param location where to store, per rule L2
   * @param source the regular file whose content becomes the object; deleted once the object is
   *     committed, kept whenever this method throws
   * @param policy what to do if an object is already at {@code location} (see the list above)
   * @return the stored object's metadata, or the present object's where the policy kept it
   * @throws InvalidLocationException if the location breaks rule L2; the file stays
   * @throws ExistingExternalResourceException if the policy refuses; the file stays
   * @throws ExternalResourceException if {@code source} is missing, a symbolic link, not a regular
   *     file or unreadable, or the backend fails; the file stays
   */
  public final Metadata adoptPath(String location, Path source, WritePolicy policy) {
    Location loc = Location.of(location);
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(policy, "policy");
    checkOpen();
    checkAdoptable(loc, source);
    for (int attempt = 0; ; attempt++) {
      if (policy == WritePolicy.SKIP_IF_EXISTS || policy == WritePolicy.FAIL_IF_DIFFERENT) {
        Metadata present = call("adopt", loc, () -> objectMetadata(loc));
        if (present != null) {
          return keepOrDrop(loc, source, policy, present);
        }
      }
      boolean replace = policy == WritePolicy.OVERWRITE;
      Metadata adopted = call("adopt", loc, () -> adoptFile(loc, source, replace));
      if (adopted != null) {
        return adopted;
      }
      if (replace) {
        throw new IllegalStateException(
            this + " refused to replace " + Location.quote(location) + " though asked to: a backend bug");
      }
      if (policy == WritePolicy.CREATE) {
        throw new ExistingExternalResourceException(
            this + ": adopt of " + source + " as " + Location.quote(location) + " with policy CREATE"
                + " refused: an object is already there (rule S5); the file was kept", location);
      }
      if (attempt >= RACE_RETRIES) {
        throw new ExternalResourceException(
            this + ": adopt of " + source + " as " + Location.quote(location) + " with policy "
                + policy + " gave up: objects kept appearing and vanishing there; the file was"
                + " kept, try again", location, null);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Loading

  /**
   * Opens the object at {@code location} for reading, as stored, without verification. Use {@link
   * #loadStream(String, Metadata)} to verify.
   *
   * <p>Ownership: the caller must close the returned stream. Reading it may throw {@link
   * IOException}s from the backend.
   *
   * @param location the object's location, per rule L2
   * @return a new stream over the object's bytes as stored, positioned at the start; the caller
   *     closes it
   * @throws MissingExternalResourceException if no object is at {@code location}, at call time
   *     (R1)
   */
  public final InputStream loadStream(String location) {
    Location loc = Location.of(location);
    checkOpen();
    return openOrMissing(loc, "load");
  }

  /**
   * Opens the object at {@code location} for reading, verified against {@code expected} while it
   * is read, in one pass (R2): the read that would report the end of the data throws {@link
   * ChangedExternalResourceException} instead if the size or the MD5 differs, and a read past the
   * expected size throws at once. So a caller that reads to the end never takes damaged or
   * truncated data for good. A caller that closes the stream before its end gets no verdict.
   *
   * <p>Ownership: the caller must close the returned stream.
   *
   * @param location the object's location, per rule L2
   * @param expected the metadata the bytes must match, typically the one returned when they were
   *     stored
   * @return a new stream over the object's bytes that throws at the end on a mismatch; the caller
   *     closes it
   * @throws MissingExternalResourceException if no object is at {@code location}, at call time
   */
  public final InputStream loadStream(String location, Metadata expected) {
    Location loc = Location.of(location);
    Objects.requireNonNull(expected, "expected");
    checkOpen();
    return VerifyingInputStream.ofMetadata(
        openOrMissing(loc, "verified load"), expected, location, this + ": verified load", "R2");
  }

  /**
   * Reads the whole object at {@code location} into a new array, without verification.
   *
   * @param location the object's location, per rule L2
   * @return a new array holding the object's bytes as stored, owned by the caller
   * @throws MissingExternalResourceException if no object is at {@code location}
   * @throws ExternalResourceException if reading fails
   * @throws OutOfMemoryError if the object does not fit in an array
   */
  public final byte[] loadBytes(String location) {
    Location loc = Location.of(location);
    checkOpen();
    try (InputStream in = openOrMissing(loc, "load")) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw mapped("load", loc, e);
    }
  }

  /**
   * Reads the whole object at {@code location} into a new array, verified against {@code
   * expected} (R2).
   *
   * @param location the object's location, per rule L2
   * @param expected the metadata the bytes must match
   * @return a new array holding the object's bytes, verified, owned by the caller
   * @throws MissingExternalResourceException if no object is at {@code location}
   * @throws ChangedExternalResourceException if the bytes do not match {@code expected}
   * @throws IllegalArgumentException if {@code expected.size()} does not fit in an array
   */
  public final byte[] loadBytes(String location, Metadata expected) {
    Objects.requireNonNull(expected, "expected");
    if (expected.size() > MAX_ARRAY) {
      throw new IllegalArgumentException(
          "an object of " + expected.size() + " bytes does not fit in an array; use loadStream");
    }
    try (InputStream in = loadStream(location, expected)) {
      // one array of expected.size() (VerifyingInputStream.readAllBytes), verified at its end
      return in.readAllBytes();
    } catch (IOException e) {
      throw mapped("verified load", Location.of(location), e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Querying

  /**
   * Whether an object is stored at {@code location}. False for a "directory" or a mere prefix of
   * other locations (R5).
   *
   * @param location the location to look at, per rule L2
   * @return true if an object is stored exactly at {@code location}
   */
  public final boolean exists(String location) {
    Location loc = Location.of(location);
    checkOpen();
    return call("exists", loc, () -> objectExists(loc));
  }

  /**
   * The metadata of the object at {@code location}, without reading it where the backend can
   * (R3).
   *
   * @param location the object's location, per rule L2
   * @return the object's recorded MD5 and size
   * @throws MissingExternalResourceException if no object is there
   * @throws ChangedExternalResourceException if the backend can tell that the object was changed
   *     behind its back since its metadata was recorded
   */
  public final Metadata getMetadata(String location) {
    Location loc = Location.of(location);
    checkOpen();
    Metadata metadata = call("getMetadata", loc, () -> objectMetadata(loc));
    if (metadata == null) {
      throw missing("getMetadata", loc);
    }
    return metadata;
  }

  /**
   * Re-reads the whole object at {@code location} and checks it against its recorded metadata
   * (R4).
   *
   * @param location the object's location, per rule L2
   * @return the metadata it was checked against
   * @throws MissingExternalResourceException if no object is there
   * @throws ChangedExternalResourceException if the bytes do not match the metadata
   */
  public final Metadata verify(String location) {
    Location loc = Location.of(location);
    checkOpen();
    try (StoredObject opened = openVerified(loc, "verify", "verify", "R4")) {
      byte[] buffer = new byte[ObjectSource.BUFFER_SIZE];
      while (opened.stream().read(buffer) >= 0) {
        // the verifying stream checks at the end
      }
      return opened.metadata();
    } catch (IOException e) {
      throw mapped("verify", loc, e);
    }
  }

  /**
   * Where the object at {@code location} lives, or would live: a {@code file:} URI for a
   * filesystem backend, {@code s3://bucket/key} for S3 (gufe's {@code get_filename}). Does not
   * check that an object is there.
   *
   * @param location the location, per rule L2; an object need not be there
   * @return the URI of the object's place in the backend, not null
   */
  public final URI uri(String location) {
    Location loc = Location.of(location);
    checkOpen();
    return call("uri", loc, () -> objectUri(loc));
  }

  // ---------------------------------------------------------------------------------------------
  // Deleting

  /**
   * Deletes the object at {@code location} (D1).
   *
   * @param location the object's location, per rule L2
   * @throws MissingExternalResourceException if no object is there
   */
  public final void delete(String location) {
    Location loc = Location.of(location);
    checkOpen();
    if (!call("delete", loc, () -> deleteObject(loc))) {
      throw missing("delete", loc);
    }
  }

  /**
   * Deletes the object at {@code location} if there is one (D1).
   *
   * @param location the object's location, per rule L2
   * @return whether an object was deleted
   */
  public final boolean deleteIfExists(String location) {
    Location loc = Location.of(location);
    checkOpen();
    return call("deleteIfExists", loc, () -> deleteObject(loc));
  }

  // ---------------------------------------------------------------------------------------------
  // Listing

  /**
   * Same as {@code iterContents("")}: every object.
   *
   * @return a lazy stream of every object's location, in ascending UTF-8 order; the caller closes
   *     it
   */
  public final Stream<String> iterContents() {
    return iterContents("");
  }

  /**
   * The locations of the objects whose location starts with {@code prefix} as a plain string (I1:
   * {@code "a/b"} matches {@code "a/b.txt"} and {@code "a/bc/d"}), in ascending order of their
   * UTF-8 bytes (I2). Never a directory, a temp file or a metadata file.
   *
   * <p>The stream is lazy and holds a page of locations, not the listing, in memory (I3). Objects
   * stored or deleted while it runs may or may not appear (I4).
   *
   * <p>Ownership: <b>the caller must close the returned stream</b>, with try-with-resources, as for
   * {@link java.nio.file.Files#list}: it may hold open directories or connections. A failure while
   * it is consumed is thrown from the consuming operation as an {@link ExternalResourceException}.
   * A location that the backend holds but that breaks rule L2 (written by another tool) is skipped
   * and logged at WARN.
   *
   * @param prefix a prefix per rule L5: empty, or a valid location, optionally ending in {@code /}
   * @return a lazy stream of the matching locations, in ascending UTF-8 order, possibly empty; the
   *     caller closes it
   * @throws InvalidLocationException if {@code prefix} breaks rule L5
   */
  public final Stream<String> iterContents(String prefix) {
    Location.checkPrefix(prefix);
    checkOpen();
    Stream<String> listed = call("iterContents", null, () -> listObjects(prefix));
    Spliterator<String> checked = new CheckedLocations(listed.spliterator(), prefix, null);
    return StreamSupport.stream(checked, false).onClose(listed::close);
  }

  /**
   * The part of {@link #iterContents(String) iterContents(prefix)} that sorts strictly after
   * {@code startAfter} in UTF-8 byte order (rule I7), in the same order: S3's {@code StartAfter}.
   * For resuming a listing after the last location seen, and for reading disjoint parts of one
   * store on several threads (a {@code ContentCollector} lists its content tree on one thread and
   * the rest of the store, from just past that tree, on another).
   *
   * <p>A backend that can start a listing at a key skips what sorts before it without reading it
   * (S3, memory, a directory tree); one that cannot reads the whole listing of {@code prefix} and
   * drops the start (the default of {@link #listObjects(String, String)}). Laziness, concurrent
   * changes and ownership as for {@link #iterContents(String)}: <b>the caller must close the
   * returned stream</b>.
   *
   * @param prefix a prefix per rule L5: empty, or a valid location, optionally ending in {@code /}
   * @param startAfter any string (it need not be a location, nor be stored) without unpaired
   *     surrogates; the empty string sorts before every location
   * @return a lazy stream of the matching locations after {@code startAfter}, in ascending UTF-8
   *     order, possibly empty; the caller closes it
   * @throws InvalidLocationException if {@code prefix} breaks rule L5
   * @throws IllegalArgumentException if {@code startAfter} has an unpaired surrogate (it has no
   *     UTF-8 bytes to compare)
   * @throws NullPointerException if {@code startAfter} is null
   */
  public final Stream<String> iterContents(String prefix, String startAfter) {
    Location.checkPrefix(prefix);
    checkBound(startAfter);
    if (startAfter.isEmpty()) {
      return iterContents(prefix); // bounds nothing: the backends never see an empty bound
    }
    checkOpen();
    Stream<String> listed = call("iterContents", null, () -> listObjects(prefix, startAfter));
    Spliterator<String> checked = new CheckedLocations(listed.spliterator(), prefix, startAfter);
    return StreamSupport.stream(checked, false).onClose(listed::close);
  }

  /**
   * The objects of {@link #iterContents(String, String) iterContents(prefix, startAfter)}, in the
   * same order, each with its whole content when the backend could read it in the same pass and
   * it has at most {@code maxBytes} bytes (rule I8): one walk of the store for a caller that reads
   * many small objects, as a collection reads every content reference. A backend that keeps its
   * objects where its listing already is (a directory tree, memory) reads them there; one that
   * cannot (S3, and the default hook) lists every object {@linkplain ListedObject#hasContent()
   * without content}, which is correct, and the caller reads those with {@link #loadObject}.
   *
   * <p>What comes with content is verified: the core hashes every array a backend hands over and
   * passes the content on only if it matches the metadata the store recorded for the object (its
   * MD5 and size); otherwise the object is passed on without content, and the caller's {@code
   * loadObject} gets the verdict (a damaged object throws there, as always). So an object without
   * content says nothing about the object; one with content is as good as a verified {@link
   * #loadBytes(String, Metadata)} at some moment while the listing ran. Objects changed, stored or
   * deleted meanwhile may or may not appear (I4); one that appears with content carries the bytes
   * of one whole version, never a mix.
   *
   * <p>Memory: the listing holds a page of locations and the content of one object at a time (the
   * one being passed on); every object with content costs an array of its size, the caller's.
   * Ownership: <b>the caller must close the returned stream</b>, as for {@link
   * #iterContents(String)}; a failure while it is consumed is thrown from the consuming operation
   * as an {@link ExternalResourceException}.
   *
   * @param prefix a prefix per rule L5: empty, or a valid location, optionally ending in {@code /}
   * @param startAfter as for {@link #iterContents(String, String)}; the empty string bounds nothing
   * @param maxBytes the largest object to read with the listing, at least 0; a backend may read
   *     less, or nothing
   * @return a lazy stream of the matching objects, in ascending UTF-8 order of their locations,
   *     possibly empty; the caller closes it
   * @throws InvalidLocationException if {@code prefix} breaks rule L5
   * @throws IllegalArgumentException if {@code maxBytes} is negative, or {@code startAfter} has an
   *     unpaired surrogate
   * @throws NullPointerException if {@code startAfter} is null
   */
  public final Stream<ListedObject> iterObjects(String prefix, String startAfter, int maxBytes) {
    Location.checkPrefix(prefix);
    checkBound(startAfter);
    if (maxBytes < 0) {
      throw new IllegalArgumentException("maxBytes is " + maxBytes + "; at least 0 (rule I8)");
    }
    checkOpen();
    Stream<ListedObject> listed = call("iterObjects", null, () -> listObjects(prefix, startAfter, maxBytes));
    Spliterator<ListedObject> checked = new CheckedObjects(
        listed.spliterator(), prefix, startAfter.isEmpty() ? null : startAfter, maxBytes);
    return StreamSupport.stream(checked, false).onClose(listed::close);
  }

  /**
   * An object a backend listed, passed on with its content only if the content hashes to its
   * metadata (rule I8); content over {@code maxBytes} is a backend bug.
   */
  private ListedObject admitContent(ListedObject object, int maxBytes) {
    if (!object.hasContent()) {
      return object;
    }
    byte[] content = object.content();
    if (content.length > maxBytes) {
      throw new IllegalStateException(this + " listed " + Location.quote(object.location()) + " with "
          + content.length + " bytes of content where at most " + maxBytes + " were asked for: a"
          + " backend bug (rule I8)");
    }
    if (object.isChecked()) {
      return object; // a tier's core checked it (a decorator handing on its tier's listing)
    }
    Metadata recorded = object.metadata();
    if (recorded.describes(content)) {
      return object.checked();
    }
    Log.LOG.debug("{}: {} listed with content that does not match its record {}; passed on without it"
        + " (rule I8)", this, Location.quote(object.location()), recorded);
    return ListedObject.of(object.location());
  }

  /** Checks a listing's {@code startAfter} (rule I7). */
  private static void checkBound(String startAfter) {
    Objects.requireNonNull(startAfter, "startAfter");
    if (!java.nio.charset.StandardCharsets.UTF_8.newEncoder().canEncode(startAfter)) {
      throw new IllegalArgumentException("startAfter has an unpaired surrogate, so it has no UTF-8"
          + " bytes to compare (rule I7): " + Location.quote(startAfter));
    }
  }


  // ---------------------------------------------------------------------------------------------
  // Entry points for decorators and higher layers: one request and one hash per byte

  /**
   * The metadata of the object at {@code location}, or empty if no object is there: {@link
   * #getMetadata} for callers to whom "absent" is an answer, not an error. Same request as {@code
   * getMetadata} (R3), and no exception for a miss.
   *
   * @param location the object's location, per rule L2
   * @return the object's recorded MD5 and size, or empty if no object is at {@code location}
   * @throws InvalidLocationException if the location breaks rule L2
   * @throws ChangedExternalResourceException if the backend can tell that the object was changed
   *     behind its back since its metadata was recorded
   * @throws ExternalResourceException if the backend fails
   */
  public final Optional<Metadata> findMetadata(String location) {
    Location loc = Location.of(location);
    checkOpen();
    return Optional.ofNullable(call("getMetadata", loc, () -> objectMetadata(loc)));
  }

  /**
   * Opens the object at {@code location} together with the metadata that describes exactly the
   * bytes its stream yields, verified while it is read (R2): see {@link StoredObject}. The backend
   * answers both in one request where it can (one GET on S3); otherwise the metadata is read
   * before and after opening, and the open retried while a concurrent writer changes the object.
   *
   * <p>A decorator that returns the stream of a tier's {@code loadObject} from its own {@link
   * #openWithMetadata} hook costs no second hash: the core recognises the tier's verifying stream
   * and lets it check for both.
   *
   * <p>Ownership: the caller must close the returned object (or its stream).
   *
   * @param location the object's location, per rule L2
   * @return the object's stream, verified while it is read, with the metadata it is checked
   *     against; the caller closes it
   * @throws InvalidLocationException if the location breaks rule L2
   * @throws MissingExternalResourceException if no object is at {@code location}, at call time
   * @throws ExternalResourceException if the backend fails
   */
  public final StoredObject loadObject(String location) {
    Location loc = Location.of(location);
    checkOpen();
    return openVerified(loc, "load", "verified load", "R2");
  }

  /**
   * Opens {@code loc} with its metadata ({@link #openWithMetadata}), verified against it while
   * read; mismatches are reported as {@code what} breaking {@code rule}.
   *
   * @throws MissingExternalResourceException if nothing is there
   */
  private StoredObject openVerified(Location loc, String operation, String what, String rule) {
    OpenObject opened = call(operation, loc, () -> openWithMetadata(loc));
    if (opened == null) {
      throw missing(operation, loc);
    }
    return new StoredObject(
        verifying(opened.stream(), opened.metadata(), loc.value(), this + ": " + what, rule),
        opened.metadata());
  }

  /**
   * Stores the content that an {@link #writeObject writeObject} hook received at {@code location}
   * in this storage, under {@code policy}: the way a decorator hands its caller's content on to a
   * tier. The very {@code content} reaches this storage's {@code writeObject}, so a tier sees the
   * caller's array or file ({@linkplain ObjectSource#isRereadable() re-readable}, with {@link
   * ObjectSource#openRange}) where the caller stored one, not a stream; and the bytes are hashed
   * once, by {@code content}, for the decorator and the tier alike.
   *
   * <p>{@link ObjectSource}s are made by the core only, for one store call each; a decorator may
   * hand the content it received to one tier, once. Afterwards, if this store read it to its end,
   * {@code content.metadata()} equals the metadata returned, which the decorator's hook then
   * reports as its own.
   *
   * <p>Ownership: the content stays with the store call that made it; it is read here but never
   * closed or released. A failure to read the caller's source comes out as an {@link
   * ExternalResourceException} saying that the source failed, with the source's {@link
   * IOException} as its cause; the decorator's core reports it as its own source failure.
   *
   * <p>Policies as for {@link #storeStream(String, InputStream, WritePolicy)}: the content is read
   * at most once, so under {@code SKIP_IF_EXISTS} and {@code FAIL_IF_DIFFERENT} a create/delete
   * race at {@code location} makes the store give up (rule S5.2).
   *
   * @param location where to store, per rule L2
   * @param content the content to store, not yet read; read at most once, and never closed here
   * @param policy what to do if an object is already at {@code location}
   * @return the stored object's metadata (see {@link #storeBytes(String, byte[], WritePolicy)})
   * @throws InvalidLocationException if the location breaks rule L2; {@code content} is not read
   * @throws IllegalStateException if {@code content} has already been read, in whole or in part
   * @throws ExistingExternalResourceException if the policy refuses to replace the present object
   * @throws ExternalResourceException if reading the content or the backend fails
   */
  public final Metadata storeSource(String location, ObjectSource content, WritePolicy policy) {
    Location loc = Location.of(location);
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(policy, "policy");
    if (!content.isUntouched()) {
      throw new IllegalStateException(
          this + ": cannot store " + Location.quote(location) + ": its content was already read;"
              + " a content is handed on before anything reads it");
    }
    return store(loc, new Opener(() -> content, false, false, true), policy);
  }

  /**
   * {@code in} verified against {@code expected} under the given names: a tier's unread verifying
   * stream over the same metadata is taken over instead of being wrapped, so each byte is hashed
   * once however many layers pass it on.
   */
  private static VerifyingInputStream verifying(
      InputStream in, Metadata expected, String location, String operation, String rule) {
    if (in instanceof VerifyingInputStream tiers && tiers.checksUnread(expected)) {
      return tiers.relabel(location, operation, rule);
    }
    return VerifyingInputStream.ofMetadata(in, expected, location, operation, rule);
  }

  /**
   * The content of a stored stream: a verifying stream that checks the MD5 of all its bytes (a
   * {@link #loadObject} or verified {@link #loadStream(String, Metadata)}, unread) is not hashed
   * again, since it throws at its end unless the bytes match what it checks.
   */
  private static ObjectSource streamSource(InputStream in) {
    if (in instanceof VerifyingInputStream verified) {
      Metadata expected = verified.unreadMd5Check();
      if (expected != null) {
        return ObjectSource.ofVerified(verified, expected);
      }
    }
    return ObjectSource.ofStream(in);
  }

  // ---------------------------------------------------------------------------------------------
  // Copying and moving

  /**
   * Same as {@code copy(from, to, WritePolicy.OVERWRITE)}.
   *
   * @param from the source object's location, per rule L2
   * @param to the copy's location, per rule L2
   * @return the copy's metadata (see {@link #copy(String, String, WritePolicy)})
   */
  public final Metadata copy(String from, String to) {
    return copy(from, to, WritePolicy.OVERWRITE);
  }

  /**
   * Copies the object at {@code from} to {@code to} within this storage, under {@code policy}
   * (S5). The copy is verified: the bytes written must match the source's metadata, or nothing is
   * stored and {@link ChangedExternalResourceException} is thrown. Backends may do it faster (a
   * server-side copy on S3, a link on a filesystem); the outcome is the same.
   *
   * @param from the source object's location, per rule L2
   * @param to the copy's location, per rule L2
   * @param policy what to do if an object is already at {@code to}
   * @return the copy's metadata, or the present object's when the policy kept it
   * @throws MissingExternalResourceException if nothing is at {@code from}
   * @throws ExistingExternalResourceException if the policy refuses to replace {@code to}
   */
  public final Metadata copy(String from, String to, WritePolicy policy) {
    Location source = Location.of(from);
    Location target = Location.of(to);
    Objects.requireNonNull(policy, "policy");
    checkOpen();
    if (policy == WritePolicy.OVERWRITE || policy == WritePolicy.CREATE) {
      boolean replace = policy == WritePolicy.OVERWRITE;
      Metadata copied = call("copy to " + Location.quote(to), source, () -> copyObject(source, target, replace));
      if (copied == null) {
        throw refused("copy", from, to, replace);
      }
      return copied;
    }
    return copyTo(from, this, to, policy);
  }

  /**
   * Copies the object at {@code from} in this storage to {@code to} in {@code target} (which may
   * be this storage), streamed and verified: the source is read once, checked against its
   * metadata while it is read, and nothing is stored in {@code target} if the check fails.
   *
   * @param from the source object's location in this storage, per rule L2
   * @param target the storage to copy into; this storage or another, not closed here
   * @param to the copy's location in {@code target}, per rule L2
   * @param policy what to do if an object is already at {@code to} in {@code target}
   * @return the copy's metadata in {@code target}, or the present object's when the policy kept
   *     it
   * @throws MissingExternalResourceException if nothing is at {@code from}
   * @throws ChangedExternalResourceException if the source does not match its metadata
   * @throws ExistingExternalResourceException if the policy refuses to replace {@code to}
   */
  public final Metadata copyTo(String from, ExternalStorage target, String to, WritePolicy policy) {
    Location source = Location.of(from);
    Location destination = Location.of(to);
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(policy, "policy");
    checkOpen();
    if (policy == WritePolicy.SKIP_IF_EXISTS || policy == WritePolicy.FAIL_IF_DIFFERENT) {
      // An object at the target decides without reading the source: compare metadata.
      target.checkOpen();
      Metadata present = target.call("copy", destination, () -> target.objectMetadata(destination));
      if (present != null) {
        Metadata mine = call("copy", source, () -> objectMetadata(source));
        if (mine == null) {
          throw missing("copy", source);
        }
        if (policy == WritePolicy.SKIP_IF_EXISTS || present.equals(mine)) {
          return present;
        }
        throw new ExistingExternalResourceException(
            target + ": copy of " + Location.quote(from) + " to " + Location.quote(to) + " with"
                + " policy FAIL_IF_DIFFERENT refused: the object there has " + present
                + ", the source has " + mine + " (rule S5.1); nothing was changed", to);
      }
      // Nothing there now: stream it; the store's own policy check settles a race.
    }
    try (StoredObject opened = openVerified(source, "copy", "copy", "R2")) {
      return target.storeStream(to, opened.stream(), policy);
    } catch (IOException e) {
      throw mapped("copy", source, e);
    }
  }

  /**
   * Moves the object at {@code from} to {@code to} within this storage, under {@code policy}
   * (rule M2). By default a verified copy (see {@link #copy}) and then a delete of the source,
   * only after the copy succeeded; backends may do it in one step (a rename on a filesystem, which
   * moves the object with its metadata and reads nothing). The source is deleted only when the
   * object ends up at {@code to}; nothing is ever lost:
   *
   * <ul>
   *   <li>{@code OVERWRITE}: the object replaces whatever is at {@code to};
   *   <li>{@code CREATE}: if an object is at {@code to}, throws {@link
   *       ExistingExternalResourceException} and changes nothing;
   *   <li>{@code SKIP_IF_EXISTS}: if an object is at {@code to}, changes nothing (both objects stay
   *       where they are) and returns the present object's metadata;
   *   <li>{@code FAIL_IF_DIFFERENT}: if an object is at {@code to}, then with the same MD5 and size
   *       the source is deleted (the object is at {@code to} already) and the present object's
   *       metadata returned; otherwise throws {@link ExistingExternalResourceException} and changes
   *       nothing.
   * </ul>
   *
   * <p>If the move fails, the source is still there; a failure between the copy and the delete may
   * leave the object at both locations.
   *
   * @param from the object's present location, per rule L2
   * @param to the object's new location, per rule L2, not {@code from}
   * @param policy what to do if an object is already at {@code to} (see the list above)
   * @return the moved object's metadata, or the present one's where the policy kept it
   * @throws MissingExternalResourceException if nothing is at {@code from} (checked first, whatever
   *     is at {@code to})
   * @throws ExistingExternalResourceException if {@code policy} refuses to replace {@code to}
   * @throws IllegalArgumentException if {@code from} and {@code to} are the same location
   */
  public final Metadata move(String from, String to, WritePolicy policy) {
    Location source = Location.of(from);
    Location target = Location.of(to);
    Objects.requireNonNull(policy, "policy");
    if (source.equals(target)) {
      throw new IllegalArgumentException("cannot move " + Location.quote(from) + " onto itself");
    }
    checkOpen();
    boolean replace = policy == WritePolicy.OVERWRITE;
    for (int attempt = 0; ; attempt++) {
      Metadata moved = call("move to " + Location.quote(to), source, () -> moveObject(source, target, replace));
      if (moved != null) {
        return moved;
      }
      if (policy == WritePolicy.CREATE || policy == WritePolicy.OVERWRITE) {
        throw refused("move", from, to, replace);
      }
      // SKIP_IF_EXISTS or FAIL_IF_DIFFERENT, and an object was present at the target.
      Metadata present = call("move to " + Location.quote(to), target, () -> objectMetadata(target));
      if (present == null) {
        if (attempt >= RACE_RETRIES) {
          throw new ExternalResourceException(
              this + ": move of " + Location.quote(from) + " to " + Location.quote(to) + " with policy "
                  + policy + " gave up: objects kept appearing and vanishing at the target; nothing"
                  + " was changed, try again", to, null);
        }
        continue; // deleted meanwhile: move again
      }
      if (policy == WritePolicy.SKIP_IF_EXISTS) {
        return present;
      }
      Metadata mine = call("move", source, () -> objectMetadata(source));
      if (mine == null) {
        throw missing("move", source);
      }
      if (!mine.equals(present)) {
        throw new ExistingExternalResourceException(
            this + ": move of " + Location.quote(from) + " to " + Location.quote(to) + " with policy"
                + " FAIL_IF_DIFFERENT refused: the object there has " + present + ", the source has "
                + mine + " (rule S5.1); nothing was changed", to);
      }
      call("move", source, () -> deleteObject(source));
      return present;
    }
  }

  /**
   * The error for a copy or move hook that returned {@code null}: a refusal under {@code CREATE},
   * a backend bug under {@code OVERWRITE} (which never refuses).
   */
  private RuntimeException refused(String operation, String from, String to, boolean replace) {
    if (replace) {
      return new IllegalStateException(
          this + " refused to " + operation + " " + Location.quote(from) + " over "
              + Location.quote(to) + " though asked to replace it: a backend bug");
    }
    return new ExistingExternalResourceException(
        this + ": " + operation + " of " + Location.quote(from) + " to " + Location.quote(to)
            + " with policy CREATE refused: an object is already there (rule S5)", to);
  }

  /**
   * Same as {@code move(from, to, WritePolicy.OVERWRITE)}.
   *
   * @param from the object's present location, per rule L2
   * @param to the object's new location, per rule L2, not {@code from}
   * @return the moved object's metadata
   */
  public final Metadata move(String from, String to) {
    return move(from, to, WritePolicy.OVERWRITE);
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  /**
   * Closes the storage and releases what it holds (connections, thread pools). Idempotent. Streams
   * already handed out may fail afterwards.
   */
  @Override
  public final void close() {
    if (closed.compareAndSet(false, true)) {
      call("close", null, () -> {
        closeStorage();
        return null;
      });
    }
  }

  /**
   * Whether {@link #close()} has been called.
   *
   * @return true once {@link #close()} has been called, false before
   */
  public final boolean isClosed() {
    return closed.get();
  }

  /**
   * Names the storage in messages, for example {@code FileStorage[/data/store]}. Backends override
   * it; it must never contain a credential.
   */
  @Override
  public String toString() {
    return getClass().getSimpleName();
  }

  // ---------------------------------------------------------------------------------------------
  // Hooks

  /**
   * Stores {@code source} at {@code location} atomically (S2).
   *
   * <p>Read {@code source} to its end (through {@link ObjectSource#stream()} or {@link
   * ObjectSource#transferTo}), then take {@link ObjectSource#metadata()} for whatever the backend
   * records, then commit: make the complete object visible in one step. If {@code
   * replaceExisting} is false, commit only if no object is present, atomically (of concurrent
   * writers exactly one succeeds), and otherwise change nothing and return false; the backend may
   * then stop reading early. If anything fails (the source throws, the disk fills), leave the
   * previous object as it was and no temporary object visible.
   *
   * <p>A backend that needs the MD5 before it writes (an object store taking it in a header or in
   * metadata fixed when an upload starts) may, for a {@linkplain ObjectSource#isRereadable()
   * re-readable} source (bytes, a file), hash first with {@link ObjectSource#precomputeMetadata()}
   * and then write from {@link ObjectSource#openRange}; it must then commit only bytes checked
   * equal to that metadata (see {@link ObjectSource}, "Re-readable sources").
   *
   * @param location the validated location to store at
   * @param source the content, not yet read; the core closes what it opened once this returns
   * @param replaceExisting true to replace a present object (OVERWRITE), false to store only if no
   *     object is present
   * @return true if the object was stored; false only if {@code replaceExisting} is false and an
   *     object was present
   * @throws IOException if the backend or the source fails; nothing is stored
   */
  protected abstract boolean writeObject(
      Location location, ObjectSource source, boolean replaceExisting) throws IOException;

  /**
   * Opens the object for reading, or returns {@code null} if there is none. The caller closes the
   * stream.
   *
   * @param location the validated location of the object
   * @return a new stream over the object's bytes, owned by the caller; {@code null} if no object is
   *     there
   * @throws IOException if the backend fails
   */
  protected abstract InputStream openObject(Location location) throws IOException;

  /**
   * Whether an object (not a directory, not a prefix) is stored at {@code location} (R5).
   *
   * @param location the validated location to look at
   * @return true if an object is stored exactly there
   * @throws IOException if the backend fails
   */
  protected abstract boolean objectExists(Location location) throws IOException;

  /**
   * The object's metadata, or {@code null} if there is none; without reading the object where the
   * backend can (R3). If the backend can tell that the object changed behind its back, throw
   * {@link ChangedExternalResourceException}, never re-record.
   *
   * @param location the validated location of the object
   * @return the recorded MD5 and size, or {@code null} if no object is there
   * @throws IOException if the backend fails
   */
  protected abstract Metadata objectMetadata(Location location) throws IOException;

  /**
   * Deletes the object, and returns whether there was one (D1). A filesystem backend also removes
   * parent directories left empty.
   *
   * @param location the validated location of the object
   * @return true if an object was there and is deleted, false if there was none
   * @throws IOException if the backend fails; the object, if any, is then as it was or deleted
   */
  protected abstract boolean deleteObject(Location location) throws IOException;

  /**
   * The locations that start with {@code prefix} (already validated by rule L5), lazily, in
   * ascending {@linkplain Location#UTF8_ORDER UTF-8 byte order}, each once, without temp or
   * metadata files. The core closes the stream. Failures while it is consumed are thrown as {@link
   * UncheckedIOException} or {@link ExternalResourceException}. The core skips, with a warning,
   * any listed string that is not a valid location.
   *
   * @param prefix the listing prefix, empty or a valid location optionally ending in {@code /}
   * @return a lazy stream of the matching locations; the core closes it
   * @throws IOException if the listing cannot be started
   */
  protected abstract Stream<String> listObjects(String prefix) throws IOException;

  /**
   * The locations of {@link #listObjects(String) listObjects(prefix)} that sort strictly after
   * {@code startAfter} in {@linkplain Location#UTF8_ORDER UTF-8 byte order} (rule I7), lazily, in
   * that order. The default lists {@code prefix} and drops what sorts up to {@code startAfter}:
   * correct, but it reads what it drops. Override it where the store can start a listing at a key
   * (S3's {@code StartAfter}, a sorted map's tail, a directory tree whose subtrees before the key
   * are skipped unread); a collection lists the rest of a store this way while it lists the
   * content tree, and with this default walks the tree twice. The core closes the stream, and
   * checks the order and the bound.
   *
   * @param prefix the listing prefix, empty or a valid location optionally ending in {@code /}
   * @param startAfter the bound, any non-empty string without unpaired surrogates (not
   *     necessarily a location); the core answers an empty bound with {@link #listObjects(String)}
   * @return a lazy stream of the matching locations after {@code startAfter}; the core closes it
   * @throws IOException if the listing cannot be started
   */
  protected Stream<String> listObjects(String prefix, String startAfter) throws IOException {
    Stream<String> all = listObjects(prefix);
    return all.filter(location -> Location.UTF8_ORDER.compare(location, startAfter) > 0);
  }

  /**
   * The objects of {@link #listObjects(String, String) listObjects(prefix, startAfter)}, in that
   * order, each of at most {@code maxBytes} bytes that the backend can read in the same pass
   * {@linkplain ListedObject#withContent with its content} and the metadata recorded for it (rule
   * I8). The default lists every object {@linkplain ListedObject#of without content}: correct for
   * every backend, and the caller reads what it needs. Override it where reading a small object
   * beside the listing costs less than a separate {@link #openWithMetadata} (a directory the
   * listing has open, objects in memory).
   *
   * <p>The core hashes each content handed over and passes it on only if it matches the metadata;
   * so an override may read without the locks a writer holds, as long as the metadata and the
   * bytes it pairs are each of one version: a mismatch costs the caller a second read, never a
   * wrong answer. What the core cannot check is whose they are: the hook must pair each location
   * with bytes and a record of the object at that location, never of another one. The backend may leave any object without content (it changed while read, its
   * record is missing, it is a link); content over {@code maxBytes} is a bug the core rejects.
   * Ownership of each array passes to the core.
   *
   * @param prefix the listing prefix, empty or a valid location optionally ending in {@code /}
   * @param startAfter the bound, as for {@link #listObjects(String, String)}, or empty for none
   * @param maxBytes the largest object to read, at least 0
   * @return a lazy stream of the matching objects; the core closes it
   * @throws IOException if the listing cannot be started
   */
  protected Stream<ListedObject> listObjects(String prefix, String startAfter, int maxBytes)
      throws IOException {
    Stream<String> locations = startAfter.isEmpty() ? listObjects(prefix) : listObjects(prefix, startAfter);
    return locations.map(ListedObject::of);
  }

  /**
   * Where the object at {@code location} lives or would live.
   *
   * @param location the validated location
   * @return the URI of the place the object has or would have in the backend, not null
   * @throws IOException if the backend cannot form the URI
   */
  protected abstract URI objectUri(Location location) throws IOException;

  /**
   * Opens the object together with the metadata that describes exactly the bytes the stream will
   * yield, for {@link #verify}; {@code null} if there is none. The default reads the metadata,
   * opens the object, and reads the metadata again, retrying while a concurrent writer changes it,
   * and gives up with an {@link ExternalResourceException} if it changes on every attempt, rather
   * than pair bytes with the metadata of another version (T1.1).
   * Backends that get both in one request (an S3 GET) override it.
   *
   * @param location the validated location of the object
   * @return the open object and the metadata of exactly its bytes, owned by the caller; {@code
   *     null} if no object is there
   * @throws IOException if the backend fails
   */
  protected OpenObject openWithMetadata(Location location) throws IOException {
    for (int attempt = 0; ; attempt++) {
      Metadata before = objectMetadata(location);
      if (before == null) {
        return null;
      }
      InputStream in = openObject(location);
      if (in == null) {
        if (attempt >= RACE_RETRIES) {
          return null; // described, but never there when opened: counts as absent
        }
        continue;
      }
      Metadata after;
      try {
        after = objectMetadata(location);
      } catch (IOException | RuntimeException e) {
        in.close();
        throw e;
      }
      if (before.equals(after)) {
        return new OpenObject(in, before);
      }
      in.close();
      if (attempt >= RACE_RETRIES) {
        // Never pair bytes with metadata of another version (T1.1): that would report damage.
        throw new ExternalResourceException(this + ": reading " + Location.quote(location.value())
            + " with its metadata gave up: concurrent writers changed it on every attempt; retry",
            location.value(), null);
      }
    }
  }

  /**
   * Copies an object within this storage, for {@link #copy} under {@code OVERWRITE} ({@code
   * replaceExisting}) or {@code CREATE}. The default streams the object through {@link
   * #writeObject}, verified against its metadata; backends override it with a faster way that
   * gives the same outcome (a server-side copy, a link), atomic as {@link #writeObject} is.
   *
   * @param from the validated location of the source object
   * @param to the validated location of the copy
   * @param replaceExisting true to replace an object present at {@code to}, false to copy only if
   *     none is
   * @return the copy's metadata; {@code null} if {@code replaceExisting} is false and an object is
   *     present at {@code to} (nothing changed)
   * @throws NoSuchFileException if nothing is at {@code from}
   * @throws IOException if the backend fails; nothing is stored at {@code to}
   */
  protected Metadata copyObject(Location from, Location to, boolean replaceExisting) throws IOException {
    OpenObject opened = openWithMetadata(from);
    if (opened == null) {
      throw new NoSuchFileException(from.value());
    }
    try (VerifyingInputStream in =
        verifying(opened.stream(), opened.metadata(), from.value(), this + ": copy", "R2")) {
      ObjectSource source = ObjectSource.ofVerified(in, opened.metadata());
      try {
        if (!writeObject(to, source, replaceExisting)) {
          return null;
        }
        if (!source.isEnded()) {
          throw new IllegalStateException(this + " committed " + to + " before reading its content to the end: a backend bug");
        }
        return source.metadata();
      } finally {
        source.release();
      }
    }
  }

  /**
   * Moves an object within this storage, for {@link #move}: {@code replaceExisting} is true under
   * {@code OVERWRITE}, false under the other policies (which the caller completes when an object
   * is present at {@code to}). The default is {@link #copyObject} then {@link #deleteObject} of the
   * source; backends override it with a rename where they have one. An override must check the
   * source first (nothing there: {@link NoSuchFileException}, whatever is at {@code to}), leave
   * both locations unchanged when it returns {@code null}, and delete the source only once the
   * object is in place at {@code to}.
   *
   * @param from the validated location of the object to move
   * @param to the validated location to move it to
   * @param replaceExisting true to replace an object present at {@code to}, false to move only if
   *     none is
   * @return the moved object's metadata; {@code null} if {@code replaceExisting} is false and an
   *     object is present at {@code to} (nothing changed)
   * @throws NoSuchFileException if nothing is at {@code from}
   * @throws IOException if the backend fails; the source is then still there
   */
  protected Metadata moveObject(Location from, Location to, boolean replaceExisting) throws IOException {
    Metadata copied = copyObject(from, to, replaceExisting);
    if (copied != null) {
      deleteObject(from);
    }
    return copied;
  }

  /**
   * Stores the regular file {@code source} at {@code location} and removes it from {@code
   * source}, for {@link #adoptPath}: {@code replaceExisting} is true under {@code OVERWRITE},
   * false under the other policies (which the caller completes when an object is present). The
   * core has checked that {@code source} is a regular file and not a symbolic link.
   *
   * <p>The default stores the file through {@link #writeObject}, hashed in the same pass (as
   * {@link #storePath} does), and deletes {@code source} only after {@code writeObject} committed
   * the object. Backends override it where they can put the file in place without copying it (a
   * rename on a filesystem). An override must:
   *
   * <ul>
   *   <li>return metadata computed from exactly the bytes that end up stored (S1), and publish
   *       atomically (S2);
   *   <li>remove the name {@code source} only once the object is committed at {@code location},
   *       and never leave {@code source} as a second name of the stored data (no hard link left
   *       behind, so a later write to {@code source} cannot change a stored object);
   *   <li>when it returns {@code null} (an object is present and {@code replaceExisting} is
   *       false) or throws, leave {@code source} where and as it was, and the object at {@code
   *       location} as it was; the single exception is a failure after the commit, which may leave
   *       the content both stored and at {@code source}, never at neither.
   * </ul>
   *
   * @param location the validated location to store at
   * @param source the regular file to adopt, checked by the core; deleted once the object is
   *     committed
   * @param replaceExisting true to replace a present object (OVERWRITE), false to store only if no
   *     object is present
   * @return the stored object's metadata; {@code null} if {@code replaceExisting} is false and an
   *     object is present at {@code location} (nothing changed)
   * @throws NoSuchFileException if {@code source} does not exist
   * @throws IOException if the backend or reading the file fails; {@code source} is then kept
   */
  protected Metadata adoptFile(Location location, Path source, boolean replaceExisting) throws IOException {
    BasicFileAttributes before = fileAttributes(source);
    ObjectSource in = ObjectSource.ofPath(source);
    Metadata stored;
    try {
      if (!writeObject(location, in, replaceExisting)) {
        return null;
      }
      if (!in.isEnded()) {
        throw new IllegalStateException(this + " committed " + location + " before reading its content to the end: a backend bug");
      }
      stored = in.metadata();
    } finally {
      in.release();
      in.closeSource();
    }
    BasicFileAttributes after = fileAttributes(source);
    if (after.size() != stored.size() || after.size() != before.size()
        || !after.lastModifiedTime().equals(before.lastModifiedTime())
        || !Objects.equals(after.fileKey(), before.fileKey())) {
      throw new ExternalResourceException(
          this + ": adopt of " + source + " as " + Location.quote(location.value()) + ": the file"
              + " changed while it was stored, so it was kept; the object holds the " + stored.size()
              + " bytes that were read (MD5 " + stored.md5() + ") (rule M3)", location.value(), null);
    }
    Files.deleteIfExists(source);
    return stored;
  }

  /**
   * Releases the backend's resources; called once, by the first {@link #close()}.
   *
   * @throws IOException if releasing a resource fails; {@link #close()} wraps it in an {@link
   *     ExternalResourceException}
   */
  protected void closeStorage() throws IOException {}

  /**
   * An open object with the metadata of exactly the bytes its stream yields.
   *
   * @param stream the object's bytes; the receiver closes it
   * @param metadata what those bytes should hash to
   */
  protected record OpenObject(InputStream stream, Metadata metadata) {
    /**
     * Both components must be non-null.
     *
     * @param stream the object's bytes; the receiver closes it
     * @param metadata what those bytes should hash to
     */
    public OpenObject {
      Objects.requireNonNull(stream, "stream");
      Objects.requireNonNull(metadata, "metadata");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  /** For {@link #adoptPath}: the source must be a regular file, examined without following links. */
  private void checkAdoptable(Location loc, Path source) {
    String problem;
    try {
      BasicFileAttributes a = fileAttributes(source);
      if (a.isRegularFile()) {
        return;
      }
      problem = a.isSymbolicLink()
          ? "is a symbolic link; only a regular file can be adopted (rule M3)"
          : "is not a regular file (rule M3)";
    } catch (NoSuchFileException e) {
      problem = "does not exist (rule S3)";
    } catch (IOException e) {
      problem = "cannot be read: " + e + " (rule S3)";
    }
    throw new ExternalResourceException(
        this + ": cannot adopt " + source + " as " + Location.quote(loc.value()) + ": the source "
            + problem + "; nothing was stored", loc.value(), null);
  }

  /** The attributes of {@code file} itself, not following a symbolic link: what adopting looks at. */
  private static BasicFileAttributes fileAttributes(Path file) throws IOException {
    return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
  }

  /** For {@link #adoptPath} with an object present under SKIP_IF_EXISTS or FAIL_IF_DIFFERENT. */
  private Metadata keepOrDrop(Location loc, Path source, WritePolicy policy, Metadata present) {
    if (policy == WritePolicy.SKIP_IF_EXISTS) {
      return present;
    }
    Metadata mine = hashOnly(loc, new Opener(() -> ObjectSource.ofPath(source), true, true, false));
    if (!mine.equals(present)) {
      throw new ExistingExternalResourceException(
          this + ": adopt of " + source + " as " + Location.quote(loc.value()) + " with policy"
              + " FAIL_IF_DIFFERENT refused: the object there has " + present + ", the file has "
              + mine + " (rule S5.1); the file was kept", loc.value());
    }
    call("adopt", loc, () -> Files.deleteIfExists(source));
    return present;
  }

  private Metadata store(Location loc, Opener opener, WritePolicy policy) {
    checkOpen();
    for (int attempt = 0; ; attempt++) {
      switch (policy) {
        case OVERWRITE:
          return write(loc, opener, true, false).metadata;
        case CREATE:
          {
            Attempt a = write(loc, opener, false, false);
            if (!a.committed) {
              throw new ExistingExternalResourceException(
                  this + ": store of " + Location.quote(loc.value())
                      + " with policy CREATE refused: an object is already there (rule S5)",
                  loc.value());
            }
            return a.metadata;
          }
        case SKIP_IF_EXISTS:
          {
            Metadata present = call("store", loc, () -> objectMetadata(loc));
            if (present != null) {
              return present;
            }
            Attempt a = write(loc, opener, false, false, true);
            if (a.committed) {
              return a.metadata;
            }
            present = call("store", loc, () -> objectMetadata(loc));
            if (present != null) {
              return present;
            }
            break; // created and deleted again meanwhile: try once more
          }
        case FAIL_IF_DIFFERENT:
          {
            Metadata present = call("store", loc, () -> objectMetadata(loc));
            Metadata ours;
            if (present == null) {
              Attempt a = write(loc, opener, false, true, true);
              if (a.committed) {
                return a.metadata;
              }
              ours = a.metadata;
              present = call("store", loc, () -> objectMetadata(loc));
              if (present == null) {
                break; // created and deleted again meanwhile: try once more
              }
            } else {
              ours = hashOnly(loc, opener);
            }
            if (present.equals(ours)) {
              return present;
            }
            throw new ExistingExternalResourceException(
                this + ": store of " + Location.quote(loc.value())
                    + " with policy FAIL_IF_DIFFERENT refused: the object there has MD5 "
                    + present.md5() + " and " + present.size() + " bytes, the new content MD5 "
                    + ours.md5() + " and " + ours.size() + " bytes (rule S5)",
                loc.value());
          }
        default:
          throw new AssertionError(policy);
      }
      if (!opener.reopenable || attempt >= RACE_RETRIES) {
        throw new ExternalResourceException(
            this + ": store of " + Location.quote(loc.value()) + " with policy " + policy
                + " gave up: the object was created and deleted again by concurrent writers while"
                + " this store ran, and the source stream cannot be read twice; retry",
            loc.value(),
            null);
      }
    }
  }

  private Attempt write(Location loc, Opener opener, boolean replace, boolean metadataOnConflict) {
    return write(loc, opener, replace, metadataOnConflict, false);
  }

  /** A write; {@code seenAbsent} if the store just found no object at {@code loc}. */
  private Attempt write(
      Location loc, Opener opener, boolean replace, boolean metadataOnConflict, boolean seenAbsent) {
    ObjectSource source = openSource(loc, opener);
    if (seenAbsent) {
      source.noteTargetAbsent();
    }
    try {
      boolean committed;
      try {
        committed = call("store", loc, () -> writeObject(loc, source, replace));
      } catch (ExternalResourceException e) {
        // A decorator's tier reported the caller's failing source as its own failure: say it as
        // the core says it for any backend, with the source's exception as the cause.
        if (source.readFailure() == null) {
          throw e;
        }
        ExternalResourceException failed = mapped("store", loc, source.readFailure());
        failed.addSuppressed(e);
        throw failed;
      }
      if (committed) {
        if (!source.isEnded()) {
          throw new IllegalStateException(
              this + " committed " + Location.quote(loc.value())
                  + " before reading its content to the end: a backend bug");
        }
        return new Attempt(true, source.metadata());
      }
      if (replace) {
        throw new IllegalStateException(
            this + " refused to replace " + Location.quote(loc.value())
                + " though asked to: a backend bug");
      }
      return new Attempt(false, metadataOnConflict ? call("store", loc, source::drain) : null);
    } finally {
      finish(loc, opener, source);
    }
  }

  private Metadata hashOnly(Location loc, Opener opener) {
    ObjectSource source = openSource(loc, opener);
    try {
      return call("store", loc, source::drain);
    } finally {
      finish(loc, opener, source);
    }
  }

  /** Ends a store call's use of its source: releases and closes what this call made. */
  private void finish(Location loc, Opener opener, ObjectSource source) {
    if (!opener.handedOn) {
      source.release();
    }
    closeOwned(loc, opener, source);
  }

  private ObjectSource openSource(Location loc, Opener opener) {
    try {
      return opener.open.open();
    } catch (NoSuchFileException e) {
      throw new ExternalResourceException(
          this + ": cannot store " + Location.quote(loc.value()) + ": the source file "
              + e.getFile() + " does not exist (rule S3)",
          loc.value(),
          e);
    } catch (IOException e) {
      throw new ExternalResourceException(
          this + ": cannot store " + Location.quote(loc.value()) + ": cannot read the source: "
              + e.getMessage() + " (rule S3)",
          loc.value(),
          e);
    }
  }

  private void closeOwned(Location loc, Opener opener, ObjectSource source) {
    if (opener.ownsSource) {
      try {
        source.closeSource();
      } catch (IOException e) {
        Log.LOG.warn("{}: closing the source of {} failed", this, Location.quote(loc.value()), e);
      }
    }
  }

  private InputStream openOrMissing(Location loc, String operation) {
    InputStream in = call(operation, loc, () -> openObject(loc));
    if (in == null) {
      throw missing(operation, loc);
    }
    return in;
  }

  private MissingExternalResourceException missing(String operation, Location loc) {
    return new MissingExternalResourceException(
        this + ": " + operation + " of " + Location.quote(loc.value())
            + " failed: no object is stored there",
        loc.value());
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException(this + " is closed");
    }
  }

  private <T> T call(String operation, Location loc, IoCall<T> hook) {
    try {
      return hook.call();
    } catch (IOException e) {
      throw mapped(operation, loc, e);
    } catch (UncheckedIOException e) {
      throw mapped(operation, loc, e.getCause());
    }
  }

  private ExternalResourceException mapped(String operation, Location loc, IOException e) {
    String where = loc == null ? "" : " of " + Location.quote(loc.value());
    String location = loc == null ? null : loc.value();
    String prefix = this + ": " + operation + where + " failed: ";
    if (e instanceof NoSuchFileException) {
      return new MissingExternalResourceException(prefix + "no object is stored there", location, e);
    }
    if (e instanceof FileAlreadyExistsException) {
      return new ExistingExternalResourceException(prefix + "an object is already there", location, e);
    }
    if (e instanceof ObjectSource.SourceReadException) {
      return new ExternalResourceException(
          prefix + e.getMessage() + "; nothing was stored", location, e.getCause());
    }
    return new ExternalResourceException(prefix + e, location, e);
  }

  @FunctionalInterface
  private interface IoCall<T> {
    T call() throws IOException;
  }

  @FunctionalInterface
  private interface SourceFactory {
    ObjectSource open() throws IOException;
  }

  /**
   * How to (re)open a store call's source, whether the core owns what it opens, and whether it is
   * a content handed on by {@link #storeSource} (which the outer store call hashes and releases).
   */
  private record Opener(SourceFactory open, boolean reopenable, boolean ownsSource, boolean handedOn) {}

  private record Attempt(boolean committed, Metadata metadata) {}

  /**
   * Passes on a backend's listing, skipping elements whose location is not valid, checking the
   * prefix, the order and the bound, and mapping failures; each element that passes is handed to
   * {@link #admit}, which may replace it (the verification of rule I8). Subclasses, not lambdas:
   * a listing runs in the first transfer of a fresh JVM, where each lambda costs its bootstrap.
   */
  private abstract class CheckedListing<T> extends Spliterators.AbstractSpliterator<T>
      implements Consumer<T> {
    private final Spliterator<T> listed;
    /** The public operation, for messages. */
    private final String operation;
    private final String prefix;
    /** The listing's lower bound (exclusive), or null. */
    private final String startAfter;
    private String last;
    /** The element the backend's listing just gave. */
    private T held;

    CheckedListing(Spliterator<T> listed, int characteristics, String operation, String prefix,
        String startAfter) {
      super(Long.MAX_VALUE, characteristics);
      this.listed = listed;
      this.operation = operation;
      this.prefix = prefix;
      this.startAfter = startAfter;
    }

    /** The location of a listed element, or null if it has none. */
    abstract String location(T element);

    /** The element to pass on for a listed one that passed the checks. */
    abstract T admit(T element);

    /** Receives the backend's element; for {@link #tryAdvance} only. */
    @Override
    public final void accept(T element) {
      held = element;
    }

    @Override
    public final boolean tryAdvance(Consumer<? super T> action) {
      while (true) {
        held = null;
        boolean advanced;
        try {
          advanced = listed.tryAdvance(this);
        } catch (UncheckedIOException e) {
          throw mapped(operation + "(" + Location.quote(prefix) + ")", null, e.getCause());
        }
        if (!advanced) {
          return false;
        }
        T element = held;
        held = null;
        String location = element == null ? null : location(element);
        if (location == null || !location.startsWith(prefix)) {
          throw new IllegalStateException(
              ExternalStorage.this + " listed " + Location.quote(location) + " for the prefix "
                  + Location.quote(prefix) + ": a backend bug (rule I1)");
        }
        if (!Location.isValid(location)) {
          Log.LOG.warn(
              "{}: skipping {} in a listing: it is not a valid location (rule L2)",
              ExternalStorage.this,
              Location.quote(location));
          continue;
        }
        if (last == null && startAfter != null
            && Location.UTF8_ORDER.compare(location, startAfter) <= 0) {
          throw new IllegalStateException(
              ExternalStorage.this + " listed " + Location.quote(location) + " for a listing that"
                  + " starts after " + Location.quote(startAfter) + ": a backend bug (rule I7)");
        }
        if (last != null && Location.UTF8_ORDER.compare(last, location) >= 0) {
          throw new IllegalStateException(
              ExternalStorage.this + " listed " + Location.quote(location) + " after "
                  + Location.quote(last) + ": a backend bug (rule I2)");
        }
        last = location;
        action.accept(admit(element));
        return true;
      }
    }
  }

  /** A checked listing of locations ({@code iterContents}), which also reports its order. */
  private final class CheckedLocations extends CheckedListing<String> {
    CheckedLocations(Spliterator<String> listed, String prefix, String startAfter) {
      super(listed, ORDERED | DISTINCT | SORTED | NONNULL, "iterContents", prefix, startAfter);
    }

    @Override
    String location(String element) {
      return element;
    }

    @Override
    String admit(String element) {
      return element;
    }

    @Override
    public java.util.Comparator<? super String> getComparator() {
      return Location.UTF8_ORDER;
    }
  }

  /** A checked listing of objects ({@code iterObjects}), whose content the core verifies (I8). */
  private final class CheckedObjects extends CheckedListing<ListedObject> {
    private final int maxBytes;

    CheckedObjects(Spliterator<ListedObject> listed, String prefix, String startAfter, int maxBytes) {
      super(listed, ORDERED | DISTINCT | NONNULL, "iterObjects", prefix, startAfter);
      this.maxBytes = maxBytes;
    }

    @Override
    String location(ListedObject element) {
      return element.location();
    }

    @Override
    ListedObject admit(ListedObject element) {
      return admitContent(element, maxBytes);
    }
  }
}
