package org.stowage.staging;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.InvalidLocationException;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.WritePolicy;
import org.stowage.cas.ContentAddressedStore;

/**
 * Moves one unit of work's outputs from its scratch directory into durable storage, under the
 * run's namespace, and hands stored objects back verified. gufe's {@code StorageManager}, with its
 * flaws fixed.
 *
 * <h2>Namespace and handles</h2>
 *
 * <p>Every file registered is stored at {@code <dag>/<unit>/<filename>} ({@code
 * <dag>/<unit>/attempt-<n>/<filename>} when the builder gives an attempt number). {@link
 * #register} returns that location: the handle a unit passes on to later units, which load it with
 * {@link #load} or {@link #open}. The dag and unit labels must each be one valid location segment;
 * a filename must be a valid relative location, so {@code ..} or an absolute name can never leave
 * the namespace.
 *
 * <h2>Transfer</h2>
 *
 * <p>{@link #transfer()} stores every registered file:
 *
 * <ul>
 *   <li>It first checks that every registered file exists; if any is missing, it stores nothing
 *       and throws one {@link MissingOutputsException} naming all of them.
 *   <li>Files go in parallel, on at most {@code parallelism} threads (by default one per
 *       processor, at least 2 and at most 8), each hashed in the pass that stores it. The threads are daemons
 *       shared by every manager of the JVM, created by the first transfer and ended after a minute
 *       unused. From {@value #PARALLEL_SCAN_THRESHOLD} files on, with a {@code parallelism} of 2
 *       or more, the check that every file exists runs on them too.
 *   <li>It is resumable: a file whose object is already stored with the same MD5 (after a crash,
 *       or a retry) is not stored again; it is hashed to know that, and reported as not uploaded.
 *       A transfer of 8 files or more lists the namespace once and looks
 *       up only the files listed.
 *   <li>If some files fail, the others are still stored; the exception thrown after all have been
 *       tried carries the first failure as its cause and the others as suppressed.
 * </ul>
 *
 * <h2>Moving at close</h2>
 *
 * <p>Under {@link ScratchPolicy#DELETE_AFTER_TRANSFER}, the transfer that {@link #close()} runs
 * moves each file into the store with {@link ExternalStorage#adoptPath} instead of copying it
 * (scratch is deleted right after anyway): a {@code FileStorage} on the same filesystem renames
 * it, other stores copy it and then delete it. Before the first file moves, every registered file
 * has been checked, and the files about to move have been noted, with their sizes, in a journal in
 * scratch ({@code .stowage-moves}); each file's MD5 is noted once it is stored. A transfer killed
 * halfway so leaves each file in scratch or stored under the namespace, never lost, and a retry
 * (a new manager over the same scratch directory, in any process) counts a file that is gone from
 * scratch as transferred if the journal names it and the store holds it with the MD5 the journal
 * noted (or, if the kill came between the store and its note, with the size noted and an object
 * that passes {@link ExternalStorage#verify}). An explicit {@link #transfer()} always copies: the
 * unit may still use its files. In content-addressed mode nothing moves: the content goes into the
 * content-addressed store by a copy (it must be hashed with SHA-256 first, and is often present
 * already), and the scratch file is deleted with scratch.
 *
 * <h2>Content-addressed mode</h2>
 *
 * <p>With {@link Builder#contentAddressed}, content goes into a {@link ContentAddressedStore} and
 * the namespaced location holds a small reference to its digest; identical outputs of any units
 * and runs are stored once. {@link #load} and {@link #open} resolve references transparently, and
 * verify the content against its SHA-256.
 *
 * <h2>Loading</h2>
 *
 * <p>{@link #load} and {@link #open} take any location in the store. They verify while reading:
 * against the MD5 recorded when this manager transferred the location, otherwise as an {@link
 * OutputReader} over the store does (against the store's metadata, resolving content
 * references). A damaged object raises {@link org.stowage.ChangedExternalResourceException}; it is
 * never returned as good data. A program that holds only the store and the handles reads them
 * with an {@link OutputReader}; no manager or scratch directory is needed.
 *
 * <h2>Closing</h2>
 *
 * <p>{@link #close()} transfers, then applies the {@link ScratchPolicy}. Used with
 * try-with-resources around a unit's code, a failure of the unit's own code is the exception that
 * propagates; a transfer failure at close is attached to it as suppressed, never in its place.
 *
 * <p>Thread-safe; transfers are serialised.
 */
public final class StorageManager implements AutoCloseable {
  /** The logger, asked for at its first message (see {@code ExternalStorage.Log}). */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(StorageManager.class);
  }

  private final Path scratchDir;
  private final ExternalStorage storage;
  private final String namespace;
  private final ScratchPolicy scratchPolicy;
  private final ContentAddressedStore cas;
  private final int parallelism;
  private final OutputReader reader;
  private final MoveJournal journal;
  /** Registered files: location to relative scratch path, in registration order. */
  private final Map<String, String> registered = new LinkedHashMap<>();
  /** What this manager stored: location to what its content should verify against. */
  private final Map<String, Recorded> recorded = new ConcurrentHashMap<>();
  private boolean closed;
  private TransferReport lastTransfer; // guarded by this

  /**
   * A manager that stores registered files of {@code scratchDir} into {@code storage} under
   * {@code dagLabel/unitLabel/}, keeping scratch after transfer.
   *
   * @param scratchDir the directory the unit writes its files in
   * @param storage the store to transfer into; the caller keeps ownership
   * @param dagLabel the run's label, one location segment
   * @param unitLabel the unit's label, one location segment
   * @throws InvalidLocationException if a label is not one valid location segment
   */
  public StorageManager(Path scratchDir, ExternalStorage storage, String dagLabel, String unitLabel) {
    this(builder(scratchDir, storage, dagLabel, unitLabel));
  }

  private StorageManager(Builder b) {
    this.scratchDir = b.scratchDir.toAbsolutePath().normalize();
    this.storage = b.storage;
    this.namespace =
        b.dagLabel + "/" + b.unitLabel + (b.attempt == 0 ? "" : "/attempt-" + b.attempt);
    this.scratchPolicy = b.scratchPolicy;
    this.cas = b.cas;
    this.parallelism = b.parallelism;
    this.reader = new OutputReader(storage, cas != null ? cas.storage() : storage);
    this.journal = new MoveJournal(scratchDir);
  }

  /**
   * Starts a builder.
   *
   * @param scratchDir the directory the unit writes its files in
   * @param storage the store to transfer into; the caller keeps ownership
   * @param dagLabel the run's label, one location segment
   * @param unitLabel the unit's label, one location segment
   * @return a new builder with the default options
   * @throws InvalidLocationException if a label is not one valid location segment
   */
  public static Builder builder(Path scratchDir, ExternalStorage storage, String dagLabel, String unitLabel) {
    return new Builder(scratchDir, storage, dagLabel, unitLabel);
  }

  /**
   * The namespace: {@code dag/unit}, or {@code dag/unit/attempt-n}.
   *
   * @return the namespace prefix of every location this manager stores, without a trailing {@code
   *     /}
   */
  public String namespace() {
    return namespace;
  }

  /**
   * The scratch directory, absolute.
   *
   * @return the absolute scratch path
   */
  public Path scratchDir() {
    return scratchDir;
  }

  /**
   * The storage this manager stores into.
   *
   * @return the storage given at construction
   */
  public ExternalStorage storage() {
    return storage;
  }

  /**
   * Registers a file of the scratch directory, named relative to it with {@code /} separators,
   * for transfer. Registering twice is harmless. The file need not exist yet.
   *
   * @param filename the file's path relative to the scratch directory, with {@code /} separators
   * @return its location in the store: {@code namespace/filename}, the handle to pass on
   * @throws InvalidLocationException if {@code filename} is not a valid relative location (so
   *     {@code ..}, {@code /abs} and the like are refused), or the result is too long
   */
  public synchronized String register(String filename) {
    Location.of(filename);
    String location = Location.of(namespace + "/" + filename).value(); // the length, once joined
    registered.putIfAbsent(location, filename);
    return location;
  }

  /**
   * Registers a file given as a path: relative paths are taken inside the scratch directory,
   * absolute ones must lie inside it and are made relative.
   *
   * @param file the file, relative to the scratch directory or absolute inside it
   * @return its location in the store
   * @throws InvalidLocationException if the path lies outside the scratch directory (rule L4), or
   *     does not give a valid location
   */
  public String register(Path file) {
    Path absolute = scratchDir.resolve(file).toAbsolutePath().normalize();
    if (!absolute.startsWith(scratchDir) || absolute.equals(scratchDir)) {
      throw new InvalidLocationException(
          file.toString(), "the path is not inside the scratch directory " + scratchDir, "L4");
    }
    Path relative = scratchDir.relativize(absolute);
    StringBuilder name = new StringBuilder();
    for (Path part : relative) {
      name.append(name.length() == 0 ? "" : "/").append(part);
    }
    return register(name.toString());
  }

  /**
   * The registered locations, in registration order.
   *
   * @return the locations registered so far, in registration order, each once; a new list
   */
  public synchronized List<String> registered() {
    return List.copyOf(registered.keySet());
  }

  /**
   * Stores every registered file; see the class description. It copies the files, whatever the
   * scratch policy (the unit may still use them); only the last transfer, the one {@link
   * #close()} runs, moves them under {@link ScratchPolicy#DELETE_AFTER_TRANSFER}.
   *
   * @return what was done for each file
   * @throws MissingOutputsException if any registered file is missing; nothing was stored
   * @throws ExternalResourceException if storing some file failed; the others were stored
   */
  public synchronized TransferReport transfer() {
    lastTransfer = transfer(scan(new LinkedHashMap<>(registered)), NO_MOVES);
    return lastTransfer;
  }

  /**
   * The report of the last {@link #transfer()} that succeeded, including the one {@link #close()}
   * ran; empty if none has.
   *
   * @return the last successful transfer's report, or empty if none has succeeded
   */
  public synchronized java.util.Optional<TransferReport> lastTransfer() {
    return java.util.Optional.ofNullable(lastTransfer);
  }

  /**
   * Registers {@code filename} and stores it now, as a checkpoint; a later {@link #transfer()}
   * finds it stored and skips it unless it changed.
   *
   * @param filename the file's path relative to the scratch directory, with {@code /} separators
   * @return what was done
   */
  public synchronized TransferReport.Entry transferFile(String filename) {
    String location = register(filename);
    return transfer(scan(Map.of(location, registered.get(location))), NO_MOVES).files().get(0);
  }

  /**
   * Reads the whole object at {@code location} (any location in the store), verified. See the
   * class description.
   *
   * @param location any location in the store, per rule L2
   * @return a new array holding the content, verified, owned by the caller
   * @throws MissingExternalResourceException if nothing is there
   * @throws org.stowage.ChangedExternalResourceException if the bytes are not the ones expected
   */
  public byte[] load(String location) {
    try (InputStream in = open(location)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new ExternalResourceException(this + ": load of \"" + location + "\" failed: " + e, location, e);
    }
  }

  /**
   * Opens the object at {@code location} (any location in the store), verified while it is read.
   * The caller closes the stream. See the class description.
   *
   * @param location any location in the store, per rule L2
   * @return a new stream over the content, verified while it is read; the caller closes it
   * @throws MissingExternalResourceException if nothing is there
   */
  public InputStream open(String location) {
    Location.of(location);
    Recorded known = recorded.get(location);
    if (known != null) {
      return known.reference() != null
          ? reader.openContent(known.reference())
          : storage.loadStream(location, known.metadata());
    }
    return reader.open(location);
  }

  /**
   * Transfers all registered files, then applies the scratch policy. Idempotent.
   *
   * @throws MissingOutputsException if registered files are missing (scratch is kept)
   * @throws ExternalResourceException if the transfer fails (scratch is kept)
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    boolean delete = scratchPolicy == ScratchPolicy.DELETE_AFTER_TRANSFER;
    closeTransfer(delete ? ALL_MOVE : NO_MOVES, null);
    if (delete) {
      deleteTree(scratchDir);
    }
  }

  /**
   * For {@link #close()} and {@link UnitContext}: marks the manager closed and runs its last
   * transfer, moving the files whose relative names {@code moves} accepts (never in
   * content-addressed mode). Does nothing if already closed.
   *
   * @param scanned what {@link #scanScratch()} found just before, to use instead of looking at
   *     scratch again if it covers the files registered now; or {@code null}
   */
  synchronized void closeTransfer(java.util.function.Predicate<String> moves, Scan scanned) {
    if (closed) {
      return;
    }
    closed = true;
    Map<String, String> files = new LinkedHashMap<>(registered);
    lastTransfer = transfer(scanned != null && scanned.files.equals(files) ? scanned : scan(files), moves);
  }

  /** For {@link UnitContext}: the registered files' names relative to scratch. */
  synchronized java.util.Set<String> registeredFiles() {
    return java.util.Set.copyOf(registered.values());
  }

  /**
   * For {@link UnitContext}: one look at scratch for every registered file; its {@link
   * Scan#missing} is empty if a transfer can start. {@link #closeTransfer} takes it, so that
   * closing a context looks at each file once.
   */
  synchronized Scan scanScratch() {
    return scan(new LinkedHashMap<>(registered));
  }

  @Override
  public String toString() {
    return "StorageManager[" + namespace + " in " + storage + "]";
  }

  // ---------------------------------------------------------------------------------------------

  /** A transfer's choice of files to move: none (an explicit transfer, {@code KEEP}). */
  private static final java.util.function.Predicate<String> NO_MOVES = new Moves(false, true, java.util.Set.of());

  /** Every file moves ({@link #close()} under {@code DELETE_AFTER_TRANSFER}). */
  private static final java.util.function.Predicate<String> ALL_MOVE = new Moves(true, true, java.util.Set.of());

  /**
   * Which files of a transfer move out of scratch: none unless {@code move}; then all, for the
   * manager of the permanent namespace, or for another one all but those also registered as
   * permanent (the permanent manager moves those). A class rather than a lambda: a first transfer
   * bootstraps no lambda.
   *
   * @param move whether files move at all
   * @param permanent whether this manager is the permanent namespace's
   * @param alsoPermanent the relative paths also registered with the permanent manager
   */
  record Moves(boolean move, boolean permanent, java.util.Set<String> alsoPermanent)
      implements java.util.function.Predicate<String> {
    @Override
    public boolean test(String relative) {
      return move && (permanent || !alsoPermanent.contains(relative));
    }
  }

  /**
   * What one look at scratch found for the files of a transfer: one {@code stat} per file.
   *
   * @param files the files looked at: location to relative path, in registration order
   * @param sizes for each regular file present in scratch, its size, by location
   * @param missing the files neither in scratch nor moved here by an earlier transfer
   * @param done the files an earlier moving transfer took into this store, by location
   */
  record Scan(
      Map<String, String> files,
      Map<String, Long> sizes,
      Map<String, Path> missing,
      Map<String, TransferReport.Entry> done) {}

  private TransferReport transfer(Scan scan, java.util.function.Predicate<String> moves) {
    if (!scan.missing.isEmpty()) {
      throw new MissingOutputsException(toString(), scan.missing);
    }
    List<Map.Entry<String, String>> work = new ArrayList<>();
    Map<String, Long> moving = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : scan.files.entrySet()) {
      if (!scan.done.containsKey(e.getKey())) {
        work.add(e);
        if (cas == null && moves.test(e.getValue())) {
          moving.put(e.getValue(), scan.sizes.get(e.getKey()));
        }
      }
    }
    Map<String, TransferReport.Entry> stored;
    try {
      if (!moving.isEmpty()) {
        try {
          journal.moving(moving);
        } catch (IOException e) {
          throw new ExternalResourceException(
              this + ": cannot write the move journal in " + scratchDir + ", so nothing was moved: " + e, e);
        }
      }
      stored = transferAll(work, moving, scan.sizes);
    } finally {
      journal.close();
    }
    List<TransferReport.Entry> entries = new ArrayList<>(scan.files.size());
    for (String location : scan.files.keySet()) {
      TransferReport.Entry done = scan.done.get(location);
      entries.add(done != null ? done : stored.get(location));
    }
    return new TransferReport(entries);
  }

  /**
   * Looks at each file in scratch once (its attributes, following links as {@link
   * Files#isRegularFile} does). A file an earlier moving transfer took out of scratch into this
   * store (see the class description, "Moving at close") is not missing: its entry goes into
   * {@link Scan#done}.
   */
  private Scan scan(Map<String, String> files) {
    Map<String, Long> sizes = new HashMap<>();
    Map<String, Path> missing = new LinkedHashMap<>();
    Map<String, TransferReport.Entry> done = new HashMap<>();
    Map<String, MoveJournal.Moved> journalled = null;
    long[] scanned = regularFileSizes(files.values());
    int index = 0;
    for (Map.Entry<String, String> e : files.entrySet()) {
      long size = scanned[index++];
      if (size >= 0) {
        sizes.put(e.getKey(), size);
        continue;
      }
      Path path = scratchDir.resolve(e.getValue());
      if (journalled == null) {
        try {
          journalled = journal.read();
        } catch (IOException ex) {
          throw new ExternalResourceException(this + ": cannot read the move journal in " + scratchDir + ": " + ex, ex);
        }
      }
      Metadata moved = movedHere(e.getKey(), journalled.get(e.getValue()));
      if (moved == null) {
        missing.put(e.getKey(), path);
      } else {
        recorded.put(e.getKey(), new Recorded(moved, null));
        done.put(e.getKey(), new TransferReport.Entry(e.getKey(), path, moved, null, false, e.getKey()));
      }
    }
    return new Scan(files, sizes, missing, done);
  }

  /**
   * Below this many files the scan looks at them on the calling thread; from it on, on the
   * transfer's threads (one per {@code PARALLEL_SCAN_THRESHOLD / 2} files, up to {@code
   * parallelism}), since a look at a file costs a system call that walks its whole path.
   */
  static final int PARALLEL_SCAN_THRESHOLD = 64;

  /**
   * The size of each regular file of {@code relatives} in scratch, in their order, or -1 for one
   * that is not there (or not a regular file): looked at by the calling thread, or, when there
   * are many, by up to {@code parallelism} threads of the transfer pool, each taking the next file
   * until none is left.
   */
  private long[] regularFileSizes(java.util.Collection<String> relatives) {
    String[] paths = relatives.toArray(new String[0]);
    long[] sizes = new long[paths.length];
    // below PARALLEL_SCAN_THRESHOLD files this is at most 1: the caller looks alone
    int threads = Math.min(parallelism, paths.length / (PARALLEL_SCAN_THRESHOLD / 2));
    AtomicInteger next = new AtomicInteger();
    Runnable look = () -> {
      for (int i = next.getAndIncrement(); i < paths.length; i = next.getAndIncrement()) {
        sizes[i] = regularFileSize(scratchDir.resolve(paths[i]));
      }
    };
    if (threads < 2) {
      look.run();
    } else {
      // happens-before: every size a thread wrote is visible once its future is done
      onTransferThreads(threads, look, () -> next.set(paths.length), "looking at scratch");
    }
    return sizes;
  }

  /** The size of the regular file at {@code path} (links followed), or -1 if there is none. */
  private static long regularFileSize(Path path) {
    try {
      BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
      return a.isRegularFile() ? a.size() : -1;
    } catch (IOException e) {
      return -1;
    }
  }

  /**
   * The metadata of the object at {@code location} if it is the file the journal says a moving
   * transfer took there; {@code null} otherwise.
   */
  private Metadata movedHere(String location, MoveJournal.Moved moved) {
    if (moved == null) {
      return null;
    }
    Metadata present = storage.findMetadata(location).orElse(null);
    if (present == null || present.size() != moved.size()) {
      return null;
    }
    if (moved.metadata() != null) {
      return present.equals(moved.metadata()) ? present : null;
    }
    // Killed between storing the file and noting its MD5: the file left scratch only by being
    // stored here (adoptPath deletes it after the commit), so the object is it, if it is intact.
    try {
      return storage.verify(location);
    } catch (org.stowage.ChangedExternalResourceException e) {
      Log.LOG.warn("{}: {} was moved here but does not verify: {}", this, location, e.getMessage());
      return null;
    }
  }

  /**
   * Runs {@code task} on {@code threads} threads of the shared transfer pool and waits for them
   * all; {@code stop} tells the task to take no more work. If the caller is interrupted, stops the
   * task, cancels the threads (interrupting them) and throws; if a thread fails, stops the task
   * and throws its failure.
   *
   * @param what the work, for messages ("transfer")
   */
  private void onTransferThreads(int threads, Runnable task, Runnable stop, String what) {
    List<Future<?>> futures = new ArrayList<>(threads);
    try {
      for (int t = 0; t < threads; t++) {
        futures.add(TransferThreads.POOL.submit(task));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stop.run();
      for (Future<?> f : futures) {
        f.cancel(true);
      }
      throw new ExternalResourceException(this + ": " + what + " interrupted", e);
    } catch (ExecutionException e) {
      stop.run();
      throw new ExternalResourceException(this + ": " + what + " failed: " + e.getCause(), e.getCause());
    }
  }

  /**
   * Stores {@code work} on at most {@code parallelism} threads of the shared transfer pool: each
   * takes the next file in registration order until none is left, so a file's hash overlaps the
   * others' renames and records, and both cores stay busy to the last file.
   */
  private Map<String, TransferReport.Entry> transferAll(
      List<Map.Entry<String, String>> work, Map<String, Long> moving, Map<String, Long> sizes) {
    Map<String, TransferReport.Entry> stored = new LinkedHashMap<>();
    if (work.isEmpty()) {
      return stored;
    }
    Batch batch = new Batch(work, moving, sizes, listed(work));
    // Batch.run catches every failure of a file; only a failure of the batch itself fails this.
    onTransferThreads(Math.min(parallelism, work.size()), batch, batch::stop, "transfer");
    ExternalResourceException failure = null;
    int failed = 0;
    for (int i = 0; i < work.size(); i++) {
      Throwable cause = batch.failures[i];
      if (cause == null) {
        stored.put(batch.entries[i].location(), batch.entries[i]);
      } else {
        failed++;
        if (failure == null) {
          failure = new ExternalResourceException(
              this + ": transfer failed for " + work.get(i).getKey() + ": " + cause.getMessage(),
              work.get(i).getKey(), cause);
        } else {
          failure.addSuppressed(cause);
        }
      }
    }
    if (cas != null) {
      // References committed: keep a concurrent garbage collection off their content (Lifecycle).
      CollectionFence.protect(cas, new ArrayList<>(stored.values()));
    }
    if (failure != null) {
      Log.LOG.warn("{}: {} of {} files failed to transfer", this, failed, work.size());
      throw failure;
    }
    return stored;
  }

  /**
   * The files of one transfer, taken in order by its threads; each file's entry or failure is
   * kept at its index (read by the caller after every thread's future completed).
   */
  private final class Batch implements Runnable {
    private final List<Map.Entry<String, String>> work;
    private final Map<String, Long> moving;
    private final Map<String, Long> sizes;
    private final java.util.Set<String> listed;
    private final AtomicInteger next = new AtomicInteger();
    final TransferReport.Entry[] entries;
    final Throwable[] failures;
    private volatile boolean stopped;

    Batch(
        List<Map.Entry<String, String>> work,
        Map<String, Long> moving,
        Map<String, Long> sizes,
        java.util.Set<String> listed) {
      this.work = work;
      this.moving = moving;
      this.sizes = sizes;
      this.listed = listed;
      this.entries = new TransferReport.Entry[work.size()];
      this.failures = new Throwable[work.size()];
    }

    void stop() {
      stopped = true;
    }

    @Override
    public void run() {
      for (int i = next.getAndIncrement(); i < entries.length && !stopped; i = next.getAndIncrement()) {
        Map.Entry<String, String> e = work.get(i);
        try {
          boolean mayBePresent = listed == null || listed.contains(e.getKey());
          entries[i] = transferOne(
              // every file of the work was scanned, so it has a size (a missing one stops the transfer)
              e.getKey(), e.getValue(), sizes.get(e.getKey()), moving.containsKey(e.getValue()), mayBePresent);
        } catch (Throwable t) { // as a pool's future would: every failure is the file's
          failures[i] = t;
        }
      }
    }
  }

  /**
   * The threads transfers run on, shared by every manager of the JVM: created on the first
   * transfer, reused by later ones (a workflow's units often run one after another in one
   * process), ended after a minute unused. Daemon threads; each transfer bounds its own share by
   * submitting at most its {@code parallelism} tasks.
   */
  private static final class TransferThreads implements ThreadFactory {
    static final ExecutorService POOL = new ThreadPoolExecutor(
        0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), new TransferThreads());

    private final AtomicInteger count = new AtomicInteger();

    @Override
    public Thread newThread(Runnable r) {
      Thread t = new Thread(r, "stowage-transfer-" + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    }
  }

  /**
   * Below this many files a transfer looks each one up in the store; from it on, it lists the
   * namespace once and looks up only the files the listing holds.
   */
  static final int LISTING_THRESHOLD = 8;

  /**
   * A listing for the resume check stops, and each file is looked up instead, once it has passed
   * this many times the transfer's files: its cost then follows the namespace, not the transfer.
   */
  static final int LISTING_LIMIT_FACTOR = 4;

  /**
   * For the resume check: the locations of {@code work} that one listing of the namespace holds,
   * so that the files it does not hold (all of them in a first transfer) need no look-up each;
   * {@code null} (look each file up) below {@link #LISTING_THRESHOLD} files, in content-addressed
   * mode, if the listing fails, or if the namespace holds more than {@link #LISTING_LIMIT_FACTOR}
   * times the transfer's files. An object stored by someone else after the listing is
   * overwritten as it would have been had it come just after the look-up: the check only saves
   * storing a file again.
   */
  private java.util.Set<String> listed(List<Map.Entry<String, String>> work) {
    if (cas != null || work.size() < LISTING_THRESHOLD) {
      return null;
    }
    java.util.Set<String> wanted = new java.util.HashSet<>();
    for (Map.Entry<String, String> e : work) {
      wanted.add(e.getKey());
    }
    java.util.Set<String> present = new java.util.HashSet<>();
    try (java.util.stream.Stream<String> listing = storage.iterContents(namespace + "/")) {
      java.util.Iterator<String> it = listing.iterator();
      long seen = 0;
      while (it.hasNext()) {
        String location = it.next();
        if (++seen > LISTING_LIMIT_FACTOR * work.size()) {
          return null; // the namespace holds far more than this transfer: look each file up instead
        }
        if (wanted.contains(location)) {
          present.add(location);
        }
      }
      return present;
    } catch (ExternalResourceException e) {
      Log.LOG.debug("{}: cannot list {}/, so each file is looked up: {}", this, namespace, e.toString());
      return null;
    }
  }

  private TransferReport.Entry transferOne(
      String location, String relative, long scannedSize, boolean move, boolean mayBePresent)
      throws IOException {
    Path file = scratchDir.resolve(relative);
    if (cas != null) {
      ContentAddressedStore.Insertion put = cas.insert(file);
      String contentLocation = cas.location(put.digest());
      ContentReference reference = new ContentReference(put.digest(), put.metadata(), contentLocation);
      byte[] bytes = reference.toBytes();
      Metadata wanted = Metadata.of(bytes);
      if (!wanted.equals(storage.findMetadata(location).orElse(null))) {
        storage.storeBytes(location, bytes, WritePolicy.OVERWRITE);
      }
      recorded.put(location, new Recorded(put.metadata(), reference));
      return new TransferReport.Entry(location, file, put.metadata(), put.digest(), put.stored(), contentLocation);
    }
    Metadata present = mayBePresent ? storage.findMetadata(location).orElse(null) : null;
    // Resume: the same size first (the scan's stat), and only then the same MD5 (a read of the file).
    if (present != null
        && present.size() == scannedSize
        && present.equals(md5Of(file))) {
      recorded.put(location, new Recorded(present, null));
      return new TransferReport.Entry(location, file, present, null, false, location);
    }
    Metadata stored;
    if (move) {
      stored = storage.adoptPath(location, file, WritePolicy.OVERWRITE);
      journal.moved(relative, stored);
    } else {
      stored = storage.storePath(location, file, WritePolicy.OVERWRITE);
    }
    recorded.put(location, new Recorded(stored, null));
    return new TransferReport.Entry(location, file, stored, null, true, location);
  }

  private static Metadata md5Of(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return Metadata.of(in);
    } catch (IOException e) {
      throw new ExternalResourceException("cannot read " + file + ": " + e, e);
    }
  }

  static void deleteTree(Path root) {
    deleteTree(root, false);
  }

  /** Deletes a scratch directory; a failure is logged, or thrown if {@code strict}. */
  static void deleteTree(Path root, boolean strict) {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    // The move journal goes last, so that a process killed while deleting leaves it as long as
    // any file of scratch is left: a retry then still finds the files that were moved.
    Path journal = root.resolve(MoveJournal.FILE_NAME);
    try {
      Files.walkFileTree(root, new ScratchDeleter(root, journal));
      Files.deleteIfExists(journal);
      Files.deleteIfExists(root);
    } catch (IOException e) {
      if (strict) {
        throw new ExternalResourceException("cannot delete the scratch directory " + root + ": " + e, e);
      }
      Log.LOG.warn("cannot delete scratch directory {}", root, e);
    }
  }

  /**
   * Deletes a tree bottom-up without following links, except its root and the move journal (the
   * caller deletes those last). A visitor, not a stream: no stream machinery on a first transfer.
   */
  private static final class ScratchDeleter extends SimpleFileVisitor<Path> {
    private final Path root;
    private final Path journal;

    ScratchDeleter(Path root, Path journal) {
      this.root = root;
      this.journal = journal;
    }

    @Override
    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
      if (!file.equals(journal)) {
        Files.deleteIfExists(file);
      }
      return FileVisitResult.CONTINUE;
    }

    @Override
    public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
      if (e instanceof java.nio.file.NoSuchFileException) {
        return FileVisitResult.CONTINUE; // gone meanwhile
      }
      throw e;
    }

    @Override
    public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
      if (e != null) {
        throw e;
      }
      if (!dir.equals(root)) {
        Files.deleteIfExists(dir);
      }
      return FileVisitResult.CONTINUE;
    }
  }

  /**
   * What a stored location's content must verify against.
   *
   * @param metadata the content's MD5 and size
   * @param reference in content-addressed mode, the reference stored at the location
   */
  private record Recorded(Metadata metadata, ContentReference reference) {}

  /**
   * The most threads a transfer uses by default, however many processors there are: each holds a
   * backend's connection while it stores (an {@code S3Storage} pools at least 50), and the
   * threads of one namespace share its directory's lock in a {@code FileStorage}.
   */
  static final int MAX_DEFAULT_PARALLELISM = 8;

  /**
   * How many files a transfer stores at once unless {@link Builder#parallelism} says otherwise:
   * one per processor the JVM may use when the class loads, at least 2, so that one file's hash
   * overlaps another's system calls on a single core, and at most {@value #MAX_DEFAULT_PARALLELISM}.
   */
  static final int DEFAULT_PARALLELISM =
      Math.min(MAX_DEFAULT_PARALLELISM, Math.max(2, Runtime.getRuntime().availableProcessors()));

  /** Options for a {@link StorageManager}. */
  public static final class Builder {
    private final Path scratchDir;
    private final ExternalStorage storage;
    private final String dagLabel;
    private final String unitLabel;
    private int attempt;
    private ScratchPolicy scratchPolicy = ScratchPolicy.KEEP;
    private ContentAddressedStore cas;
    private int parallelism = DEFAULT_PARALLELISM;

    private Builder(Path scratchDir, ExternalStorage storage, String dagLabel, String unitLabel) {
      this.scratchDir = Objects.requireNonNull(scratchDir, "scratchDir");
      this.storage = Objects.requireNonNull(storage, "storage");
      this.dagLabel = checkLabel(dagLabel, "dag");
      this.unitLabel = checkLabel(unitLabel, "unit");
    }

    /**
     * Stores under {@code dag/unit/attempt-<n>}: each attempt of a retried unit gets its own
     * namespace, so one attempt's leftovers never pass for another's results. 0 (the default)
     * means no attempt segment.
     *
     * @param attempt the attempt number, zero or more; 0 for no attempt segment
     * @return this builder
     * @throws IllegalArgumentException if {@code attempt} is negative
     */
    public Builder attempt(int attempt) {
      if (attempt < 0) {
        throw new IllegalArgumentException("attempt must not be negative: " + attempt);
      }
      this.attempt = attempt;
      return this;
    }

    /**
     * What {@link StorageManager#close()} does with scratch; {@link ScratchPolicy#KEEP} by default.
     *
     * @param policy what closing does with scratch
     * @return this builder
     * @throws NullPointerException if {@code policy} is null
     */
    public Builder scratchPolicy(ScratchPolicy policy) {
      this.scratchPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Stores content in {@code cas} and a reference to it at each namespaced location. The caller
     * keeps ownership of {@code cas}.
     *
     * @param cas the content-addressed store to put content in; not closed by the manager
     * @return this builder
     * @throws NullPointerException if {@code cas} is null
     */
    public Builder contentAddressed(ContentAddressedStore cas) {
      this.cas = Objects.requireNonNull(cas, "cas");
      return this;
    }

    /** How many files a transfer stores at once. */
    int parallelism() {
      return parallelism;
    }

    /**
     * How many files a transfer stores at once; by default one per processor, at least 2 and at
     * most 8 (on a larger machine, ask for more to hash on every core). More threads than cores do not hash faster, and on a 2-core machine 4 threads stored 5,000
     * small files 20% slower than 2: threads that create and rename files in one directory wait
     * for each other on its lock (docs/performance.md).
     *
     * @param threads the number of files stored at once, at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code threads} is less than 1
     */
    public Builder parallelism(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("parallelism must be at least 1: " + threads);
      }
      this.parallelism = threads;
      return this;
    }

    /**
     * Builds the manager.
     *
     * @return a new manager, owned by the caller, who closes it
     */
    public StorageManager build() {
      return new StorageManager(this);
    }

    private static String checkLabel(String label, String what) {
      Location.of(label);
      if (label.indexOf('/') >= 0) {
        throw new InvalidLocationException(label, "a " + what + " label must be one segment, without \"/\"", "L2");
      }
      return label;
    }
  }
}
