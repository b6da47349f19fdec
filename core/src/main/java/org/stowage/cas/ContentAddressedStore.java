package org.stowage.cas;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExistingExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.VerifyingInputStream;
import org.stowage.WritePolicy;

/**
 * Content-addressed storage over any {@link ExternalStorage}: content is stored once, under a
 * location derived from its {@link Digest}, and read back verified against it (rules C1 to C3).
 *
 * <h2>Layout</h2>
 *
 * <p>Content with digest {@code sha256:abcdef…:size} lives at {@code
 * <prefix>/sha256/ab/cd/abcdef…}: the algorithm, two levels of fan-out from the first four hex
 * digits, then the whole hex digest. The prefix is {@code cas} unless the builder says otherwise.
 * The size is not part of the location; the object's own size must equal it. This layout is a
 * format: other tools may read it, and it will not change without a new algorithm directory. The
 * objects are ordinary objects of the underlying store, with their MD5 metadata like any other.
 *
 * <h2>Putting content that is already present</h2>
 *
 * <p>uploads nothing: {@code put} computes the digest first, then asks the storage for the
 * object's metadata (one existence check, no read) and stores only if it is absent, with {@link
 * WritePolicy#CREATE}. For that the digest
 * must be known before anything is uploaded, so:
 *
 * <ul>
 *   <li>{@link #put(byte[])} hashes the array, then stores it if absent;
 *   <li>{@link #put(Path)} reads the file once to hash it, then, if absent, stores it (a second,
 *       local read);
 *   <li>{@link #put(InputStream)} spools the stream to a temporary file in the spool directory
 *       while hashing it, then proceeds as for a file, and deletes the spool file. Spooling costs a
 *       local write and read; the alternative, uploading to a temporary location and moving it,
 *       would upload content that is already present, and on S3 a move is a server-side copy of
 *       the whole object. Local disk is cheaper than both.
 * </ul>
 *
 * <p>If a present object's MD5 or size differs from the content being put (the stored object was
 * damaged), {@code put} replaces it with the good content and logs a warning: the digest proves
 * which bytes are right.
 *
 * <h2>Threads and ownership</h2>
 *
 * <p>Safe for concurrent use. Of concurrent puts of the same content, one stores it and the
 * others find it present; readers always see complete content. {@link #close()} stops the lookup
 * threads of {@link #findMissing} (started on first need); it does not close the underlying
 * storage, which the caller owns.
 */
public final class ContentAddressedStore implements AutoCloseable {
  /** The logger, asked for at its first message (see {@code ExternalStorage.Log}). */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(ContentAddressedStore.class);
  }
  private static final int BUFFER = 64 * 1024;
  private static final AtomicInteger POOLS = new AtomicInteger();

  private final ExternalStorage storage;
  private final String prefix;
  private final String algorithm;
  private final Path spoolDirectory;
  private final int lookupParallelism;
  private ExecutorService lookups; // made on first use; guarded by this
  private boolean closed; // guarded by this

  /**
   * A content-addressed store with SHA-256 under the prefix {@code cas} of {@code storage}.
   *
   * @param storage the store that holds the content; the caller keeps ownership
   */
  public ContentAddressedStore(ExternalStorage storage) {
    this(builder(storage));
  }

  private ContentAddressedStore(Builder b) {
    this.storage = b.storage;
    this.prefix = b.prefix;
    this.algorithm = b.algorithm;
    this.spoolDirectory = b.spoolDirectory;
    this.lookupParallelism = b.lookupParallelism;
  }

  private synchronized ExecutorService lookups() {
    if (closed) {
      throw new IllegalStateException(this + " is closed");
    }
    if (lookups == null) {
      int pool = POOLS.incrementAndGet();
      AtomicInteger threads = new AtomicInteger();
      ThreadFactory factory =
          r -> {
            Thread t = new Thread(r, "stowage-cas-" + pool + "-lookup-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
          };
      lookups = Executors.newFixedThreadPool(lookupParallelism, factory);
    }
    return lookups;
  }

  /**
   * Starts a builder for a content-addressed store over {@code storage}.
   *
   * @param storage the store that will hold the content; the caller keeps ownership
   * @return a new builder with the default options
   */
  public static Builder builder(ExternalStorage storage) {
    return new Builder(storage);
  }

  /**
   * The underlying storage.
   *
   * @return the storage given at construction
   */
  public ExternalStorage storage() {
    return storage;
  }

  /**
   * The location of the content named by {@code digest}; see the class description.
   *
   * @param digest the content's digest, of any supported algorithm
   * @return the location {@code <prefix>/<algorithm>/<hex[0..2]>/<hex[2..4]>/<hex>}, without the
   *     prefix and its {@code /} when the prefix is empty; whether or not the content is present
   */
  public String location(Digest digest) {
    String hex = digest.hex();
    String path = digest.algorithm() + "/" + hex.substring(0, 2) + "/" + hex.substring(2, 4) + "/" + hex;
    return prefix.isEmpty() ? path : prefix + "/" + path;
  }

  /**
   * Stores {@code data} once and returns its digest. The array is only read.
   *
   * @param data the content; only read, and not kept
   * @return the content's digest, whether this call stored it or found it present
   * @throws ExternalResourceException if the storage fails
   */
  public Digest put(byte[] data) {
    Objects.requireNonNull(data, "data");
    Hashes hashes = new Hashes(algorithm);
    hashes.update(data, 0, data.length);
    Digest digest = hashes.digest();
    return insert(digest, hashes.metadata(), policy -> storage.storeBytes(location(digest), data, policy)).digest();
  }

  /**
   * Stores the file's content once and returns its digest. The file is only read: once to hash
   * it, and once more to store it if it is absent.
   *
   * @param file a regular file; only read
   * @return the content's digest, whether this call stored it or found it present
   * @throws ExternalResourceException if the file cannot be read, or the storage fails
   */
  public Digest put(Path file) {
    return insert(file).digest();
  }

  /**
   * Same as {@link #put(Path)}, and says what happened: the digest, the content's MD5 metadata,
   * and whether this call stored the content or found it already present. One existence check
   * when the content is present.
   *
   * @param file a regular file; only read
   * @return the digest, the stored object's metadata, and whether this call stored the content
   * @throws ExternalResourceException if the file cannot be read, or the storage fails
   */
  public Insertion insert(Path file) {
    Objects.requireNonNull(file, "file");
    Hashes hashes = new Hashes(algorithm);
    try (InputStream in = Files.newInputStream(file)) {
      hashes.consume(in, null);
    } catch (IOException e) {
      throw new ExternalResourceException(
          "content-addressed put of " + file + " failed: cannot read it: " + e, e);
    }
    Digest digest = hashes.digest();
    return insert(digest, hashes.metadata(), policy -> storage.storePath(location(digest), file, policy));
  }

  /**
   * Stores the stream's content once and returns its digest. The stream is read to its end and
   * not closed (the caller owns it); it is spooled to a temporary file meanwhile (see the class
   * description), which is deleted before this method returns.
   *
   * @param in the content, read to its end; the caller closes it
   * @return the content's digest, whether this call stored it or found it present
   * @throws ExternalResourceException if reading the stream or the spool file fails, or the
   *     storage fails
   */
  public Digest put(InputStream in) {
    Objects.requireNonNull(in, "in");
    Path spool;
    try {
      spool = Files.createTempFile(spoolDirectory, "stowage-cas-", ".spool");
    } catch (IOException e) {
      throw new ExternalResourceException(
          "content-addressed put failed: cannot create a spool file in " + spoolDirectory + ": " + e, e);
    }
    try {
      Hashes hashes = new Hashes(algorithm);
      try (OutputStream out = Files.newOutputStream(spool)) {
        hashes.consume(in, out);
      } catch (IOException e) {
        throw new ExternalResourceException(
            "content-addressed put failed while spooling the stream to " + spool + ": " + e, e);
      }
      Digest digest = hashes.digest();
      return insert(digest, hashes.metadata(), policy -> storage.storePath(location(digest), spool, policy)).digest();
    } finally {
      try {
        Files.deleteIfExists(spool);
      } catch (IOException e) {
        Log.LOG.warn("cannot delete the spool file {}", spool, e);
      }
    }
  }

  /**
   * Opens the content named by {@code digest}, verified against it while it is read (C3): the
   * read that would report the end throws {@link org.stowage.ChangedExternalResourceException}
   * if the content's hash or size differs. The caller closes the stream.
   *
   * @param digest the content's digest
   * @return a new stream over the content, verified while it is read; the caller closes it
   * @throws org.stowage.MissingExternalResourceException if the content is absent
   */
  public InputStream get(Digest digest) {
    String location = location(digest);
    InputStream in = storage.loadStream(location);
    return VerifyingInputStream.ofDigest(
        in,
        Digest.newMessageDigest(digest.algorithm()),
        digest.hex(),
        digest.size(),
        location,
        storage + ": content-addressed get",
        "C3");
  }

  /**
   * Whether the content named by {@code digest} is present. One existence check; no read.
   *
   * @param digest the content's digest
   * @return true if an object is at the digest's location
   * @throws ExternalResourceException if the storage fails
   */
  public boolean contains(Digest digest) {
    return storage.exists(location(digest));
  }

  /**
   * The digests among {@code digests} whose content is absent, in their first order of
   * appearance, each once (C3). The checks run in parallel, in batches, on this store's lookup
   * threads.
   *
   * @param digests the digests to check, in any order, possibly with repeats; only read
   * @return the absent ones, in first-appearance order, each once; a new set, empty if all are
   *     present
   * @throws ExternalResourceException if a check fails
   */
  public Set<Digest> findMissing(Collection<Digest> digests) {
    List<Digest> unique = new ArrayList<>(new LinkedHashSet<>(digests));
    int batches = Math.min(unique.size(), lookupParallelism * 4);
    if (batches <= 1) {
      Set<Digest> missing = new LinkedHashSet<>();
      for (Digest d : unique) {
        if (!contains(d)) {
          missing.add(d);
        }
      }
      return missing;
    }
    boolean[] absent = new boolean[unique.size()];
    ExecutorService pool = lookups();
    List<Future<?>> futures = new ArrayList<>();
    int per = (unique.size() + batches - 1) / batches;
    for (int start = 0; start < unique.size(); start += per) {
      int from = start;
      int to = Math.min(unique.size(), start + per);
      futures.add(pool.submit(() -> {
        for (int i = from; i < to; i++) {
          absent[i] = !contains(unique.get(i));
        }
      }));
    }
    for (Future<?> f : futures) {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        futures.forEach(x -> x.cancel(true));
        throw new ExternalResourceException("findMissing was interrupted", e);
      } catch (ExecutionException e) {
        futures.forEach(x -> x.cancel(true));
        if (e.getCause() instanceof RuntimeException r) {
          throw r;
        }
        throw new ExternalResourceException("findMissing failed: " + e.getCause(), e.getCause());
      }
    }
    Set<Digest> missing = new LinkedHashSet<>();
    for (int i = 0; i < absent.length; i++) {
      if (absent[i]) {
        missing.add(unique.get(i));
      }
    }
    return missing;
  }

  /**
   * Deletes the content named by {@code digest}, if present. Content is shared by everything that
   * refers to it: delete only what nothing refers to.
   *
   * @param digest the content's digest
   * @return whether content was deleted
   */
  public boolean delete(Digest digest) {
    return storage.deleteIfExists(location(digest));
  }

  /**
   * Stops the lookup threads, if any were started; afterwards {@link #findMissing} of more than
   * one batch throws {@link IllegalStateException}. Does not close the underlying storage.
   * Idempotent.
   */
  @Override
  public synchronized void close() {
    closed = true;
    if (lookups != null) {
      lookups.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return "ContentAddressedStore[" + storage + ", " + (prefix.isEmpty() ? "" : prefix + "/") + algorithm + "]";
  }

  /**
   * Stores content whose digest and MD5 are known: nothing if it is present and whole; with
   * CREATE if it is absent (a concurrent put of the same content may win, which is as good);
   * replacing it if the present object is damaged.
   */
  private Insertion insert(Digest digest, Metadata ours, StoreCall store) {
    String location = location(digest);
    Metadata present = storage.findMetadata(location).orElse(null);
    if (present == null) {
      try {
        return stored(digest, ours, store.store(WritePolicy.CREATE));
      } catch (ExistingExternalResourceException raced) {
        present = storage.findMetadata(location).orElse(null);
        if (present == null) {
          return stored(digest, ours, store.store(WritePolicy.OVERWRITE));
        }
      }
    }
    if (present.equals(ours)) {
      return new Insertion(digest, present, false);
    }
    Log.LOG.warn(
        "{}: the object at {} has MD5 {} and {} bytes, but the content named {} has MD5 {} and"
            + " {} bytes: replacing the damaged object",
        this, location, present.md5(), present.size(), digest, ours.md5(), ours.size());
    return stored(digest, ours, store.store(WritePolicy.OVERWRITE));
  }

  /**
   * Checks what a store returned against the content that was hashed for its digest: the content
   * is read twice (hashed, then stored), and a file or array changed in between would leave other
   * bytes under the digest's name (rule C2). Such an object is deleted again, unless something else
   * replaced it meanwhile, and the put fails.
   */
  private Insertion stored(Digest digest, Metadata ours, Metadata stored) {
    if (stored.equals(ours)) {
      return new Insertion(digest, stored, true);
    }
    String location = location(digest);
    if (stored.equals(storage.findMetadata(location).orElse(null))) {
      storage.deleteIfExists(location);
    }
    throw new ChangedExternalResourceException(
        this + ": put of " + digest + " failed: the content changed while it was stored (it was"
            + " hashed as " + ours + ", and " + stored + " was stored; rule C2); nothing was kept",
        location);
  }

  /**
   * What a put did.
   *
   * @param digest the content's digest
   * @param metadata the stored object's MD5 and size
   * @param stored whether this call stored the content; false if it was already present and whole
   */
  public record Insertion(Digest digest, Metadata metadata, boolean stored) {}

  @FunctionalInterface
  private interface StoreCall {
    Metadata store(WritePolicy policy);
  }

  /** The content hash and MD5, computed together in one pass. */
  private static final class Hashes {
    private final String algorithm;
    private final MessageDigest content;
    private final MessageDigest md5;
    private long size;

    Hashes(String algorithm) {
      this.algorithm = algorithm;
      this.content = Digest.newMessageDigest(algorithm);
      this.md5 = Metadata.newMd5();
    }

    void update(byte[] b, int off, int len) {
      content.update(b, off, len);
      md5.update(b, off, len);
      size += len;
    }

    void consume(InputStream in, OutputStream copy) throws IOException {
      byte[] buffer = new byte[BUFFER];
      int n;
      while ((n = in.read(buffer)) >= 0) {
        update(buffer, 0, n);
        if (copy != null) {
          copy.write(buffer, 0, n);
        }
      }
    }

    Digest digest() {
      return new Digest(algorithm, HexFormat.of().formatHex(content.digest()), size);
    }

    Metadata metadata() {
      return new Metadata(HexFormat.of().formatHex(md5.digest()), size);
    }

  }

  /** Options for a {@link ContentAddressedStore}. */
  public static final class Builder {
    private final ExternalStorage storage;
    private String prefix = "cas";
    private String algorithm = Digest.SHA256;
    private Path spoolDirectory = Path.of(System.getProperty("java.io.tmpdir"));
    private int lookupParallelism = Math.max(4, Runtime.getRuntime().availableProcessors() * 2);

    private Builder(ExternalStorage storage) {
      this.storage = Objects.requireNonNull(storage, "storage");
    }

    /**
     * The location prefix under which content lives; {@code "cas"} by default, {@code ""} for the
     * storage's root.
     *
     * @param prefix empty, or a valid location without a trailing {@code /}
     * @return this builder
     * @throws org.stowage.InvalidLocationException if it is neither empty nor a valid location
     * @throws NullPointerException if {@code prefix} is null
     */
    public Builder prefix(String prefix) {
      Objects.requireNonNull(prefix, "prefix");
      if (!prefix.isEmpty()) {
        Location.of(prefix);
      }
      this.prefix = prefix;
      return this;
    }

    /**
     * The digest algorithm, {@link Digest#SHA256} (the default) or {@link Digest#SHA512}.
     *
     * @param algorithm {@code "sha256"} or {@code "sha512"}
     * @return this builder
     * @throws IllegalArgumentException if the algorithm is not one of those
     */
    public Builder algorithm(String algorithm) {
      Digest.newMessageDigest(algorithm);
      this.algorithm = algorithm;
      return this;
    }

    /**
     * Where {@link #put(InputStream)} spools streams; the JVM's temporary directory by default.
     *
     * @param directory the directory to spool streams in
     * @return this builder
     * @throws NullPointerException if {@code directory} is null
     */
    public Builder spoolDirectory(Path directory) {
      this.spoolDirectory = Objects.requireNonNull(directory, "directory");
      return this;
    }

    /**
     * How many existence checks {@link #findMissing} runs at once; at least 1.
     *
     * @param threads the most existence checks at once
     * @return this builder
     * @throws IllegalArgumentException if {@code threads} is less than 1
     */
    public Builder lookupParallelism(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("lookupParallelism must be at least 1: " + threads);
      }
      this.lookupParallelism = threads;
      return this;
    }

    /**
     * Builds the store.
     *
     * @return a new content-addressed store over the builder's storage
     */
    public ContentAddressedStore build() {
      return new ContentAddressedStore(this);
    }
  }
}
