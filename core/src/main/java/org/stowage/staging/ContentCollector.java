package org.stowage.staging;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.Metadata;
import org.stowage.WritePolicy;
import org.stowage.cas.ContentAddressedStore;
import org.stowage.cas.Digest;

/**
 * Garbage collection of a {@link ContentAddressedStore}: deletes the content that no reference
 * names, safely while units transfer, in this process or others, on any backend, through
 * listings, small stores and deletes only. The model and the safety argument are in
 * docs/staging.md, "Lifecycle".
 *
 * <pre>{@code
 * CollectionReport report = ContentCollector.builder(cas).dryRun(false).build().collect();
 * }</pre>
 *
 * <h2>What is kept</h2>
 *
 * <p>The <b>roots</b>: every content reference (an object outside the content tree that parses as
 * one, see {@link StorageManager}) in the content store and in the {@linkplain
 * Builder#referencesIn other stores} given, the digests given as {@linkplain Builder#root roots},
 * and the late roots of writers that committed references while the collection marked. Content
 * whose digest none of them names is garbage.
 *
 * <h2>Damaged roots: the collection refuses</h2>
 *
 * <p>Every object outside the content tree is read <b>verified</b>, against the MD5 and size the
 * store recorded when it was stored (rules R2, R3); one recorded as larger than a reference can be
 * is only looked at as far as the magic. A root is never guessed from damaged bytes: if an object
 * is {@linkplain CollectionReport.UnreadableReference.Reason#DAMAGED damaged} (the store reports it
 * changed behind its back, or its bytes do not match their record), or {@linkplain
 * CollectionReport.UnreadableReference.Reason#MALFORMED malformed} (its stored bytes begin with the
 * reference magic, {@code stowage-content-reference }, but do not parse), the content it named
 * cannot be told from garbage, so the collection <b>sweeps nothing</b>. The report lists each such
 * location with the reason ({@link CollectionReport#unreadable()}, {@link
 * CollectionReport#refused()}); a dry run returns it, a real run deletes nothing and throws {@link
 * CollectionRefusedException}, which carries it. Objects that verify and do not begin with the
 * magic are content, not roots, as before. The fix is the user's: find them all with a {@link
 * ReferenceCheck}; restore each damaged reference (rerun the unit that wrote it, or store it again
 * from a copy, then {@link ReferenceCheck#relink relink} it if its content moved), or delete it if
 * what it held may go; then collect again.
 *
 * <h2>Steps</h2>
 *
 * <ol>
 *   <li>Write a marker, {@code <prefix>/collections/<id>}, in state {@code marking}, and renew it
 *       (its lease) until the end.
 *   <li>Mark: list the stores once (the content store in two disjoint parts at once, rule I7: its
 *       main content tree on a thread of its own, the rest on the calling thread), handing the
 *       locations in batches to {@code parallelism} workers; they sort every object outside the
 *       content tree by its content, verified: as listed with it ({@code iterObjects}, rule I8),
 *       else read (whole if the store recorded at most 1,024 bytes for it, else its first 26 bytes); note
 *       the unreadable ones, and put the digest of each reference in a Bloom filter, and note each
 *       content object in a Bloom filter and a local spool file.
 *   <li>Seal: set the marker to {@code sweeping}; then read the late roots writers left, verified
 *       (a damaged or malformed one counts as an unreadable reference).
 *   <li>Check the references' content (dangling references are reported, never fixed).
 *   <li>If any object was an unreadable reference, stop: no sweep (see above).
 *   <li>Sweep: each spooled content object whose digest the filter does not hold is garbage: its
 *       size is read, and unless this is a dry run it is deleted.
 *   <li>Delete the late roots and the marker.
 * </ol>
 *
 * <p><b>Memory</b> is two Bloom filters (referenced digests; present content), about 1.2 bytes
 * per object each at the default false-positive rate of 1%, whatever the store's size; a false
 * positive keeps some garbage, never deletes live content. Beside them, a bounded window of
 * listed objects ({@code 8 × parallelism} batches of at most 128, each object with at most 1,024
 * bytes of content): at most {@code parallelism} MiB. Local disk: 33 bytes per content
 * object and about 80 bytes plus the location per reference listed before its content, in the
 * spool directory, deleted at the end.
 *
 * <p><b>Killed midway</b>, a collection leaves its marker and spool files and may have deleted
 * part of the garbage; every deletion was of content that nothing referenced, so rerunning is
 * safe and finishes the job. A rerun deletes markers abandoned for three leases.
 *
 * <p>Not thread-safe; one {@code collect()} at a time per instance. Collections in several
 * processes may run at once. The content store and the reference stores stay the caller's.
 */
public final class ContentCollector {
  /** The logger, asked for at its first message (see {@code ExternalStorage.Log}). */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(ContentCollector.class);
  }
  /** How many dangling references a report lists (all are counted). */
  public static final int MAX_LISTED_DANGLING = 1000;
  /** How many unreadable references a report lists (all are counted). */
  public static final int MAX_LISTED_UNREADABLE = 1000;
  /** How many unreadable references a {@link CollectionRefusedException}'s message names. */
  private static final int NAMED_IN_MESSAGE = 10;
  private static final int PROGRESS_EVERY = 10_000;
  private static final DateTimeFormatter ID_TIME =
      DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final ContentAddressedStore cas;
  private final ContentLayout layout;
  private final ScanOptions scan;
  private final Set<Digest> roots;
  private final boolean dryRun;
  private final double falsePositiveRate;
  private final Duration lease;
  private final Consumer<Progress> listener;

  private ContentCollector(Builder b) {
    this.cas = b.cas;
    this.layout = new ContentLayout(b.cas);
    this.scan = b.scan.freeze();
    this.roots = Set.copyOf(b.roots);
    this.dryRun = b.dryRun;
    this.falsePositiveRate = b.falsePositiveRate;
    this.lease = b.lease;
    this.listener = b.listener;
  }

  /**
   * Starts a builder for a collection of {@code cas}; a dry run unless told otherwise.
   *
   * @param cas the content-addressed store to collect; its storage is scanned for references too,
   *     and it stays the caller's
   * @return a new builder, set for a dry run, with the other defaults
   */
  public static Builder builder(ContentAddressedStore cas) {
    return new Builder(cas);
  }

  /** The phases a {@link Progress} reports. */
  public enum Phase {
    /** Listing the stores and reading references. */
    MARK,
    /** Checking the references' content and deciding, and deleting, garbage. */
    SWEEP,
    /** Finished; the counts are final. */
    DONE
  }

  /**
   * Where a collection is, as told to the {@linkplain Builder#listener listener}.
   *
   * @param phase the phase
   * @param objectsListed objects listed so far
   * @param references references found so far
   * @param contentChecked content objects swept so far (kept or garbage)
   * @param garbage garbage content objects found so far
   * @param deleted content objects deleted so far
   */
  public record Progress(Phase phase, long objectsListed, long references, long contentChecked, long garbage, long deleted) {}

  /**
   * Runs one collection; see the class description.
   *
   * @return what it found and did
   * @throws CollectionRefusedException if this is not a dry run and the stores hold unreadable
   *     references (damaged or malformed, see the class description): nothing was deleted; the
   *     exception carries the report
   * @throws ExternalResourceException if a store fails, or the collection lost its lease (it
   *     stops deleting at once); what was deleted until then was garbage, and a rerun is safe
   * @throws IllegalStateException if a store is closed
   */
  public CollectionReport collect() {
    long started = System.nanoTime();
    ExternalStorage storage = cas.storage();
    clearAbandonedMarkers(storage);
    String id = ID_TIME.format(Instant.now()) + "-" + UUID.randomUUID().toString().substring(0, 8);
    String marker = layout.collections() + id;
    Run run = new Run(storage, marker);
    try {
      run.start();
      run.mark();
      run.seal();
      run.checkDangling();
      if (run.unreadableCount.get() == 0) {
        run.sweep();
      }
      CollectionReport report = run.report(Duration.ofNanos(System.nanoTime() - started));
      listener.accept(run.progress(Phase.DONE));
      if (report.refused()) {
        Log.LOG.warn("{}: {}", cas, report);
        if (!dryRun) {
          throw new CollectionRefusedException(toString(), report, NAMED_IN_MESSAGE);
        }
      } else {
        Log.LOG.info("{}: {}", cas, report);
      }
      return report;
    } finally {
      run.finish();
    }
  }

  private void clearAbandonedMarkers(ExternalStorage storage) {
    for (String marker : CollectionFence.markers(storage, layout)) {
      CollectionMarker m = CollectionFence.read(storage, marker);
      if (m != null && m.abandonedAt(System.currentTimeMillis())) {
        Log.LOG.warn("{}: deleting the marker of an abandoned collection, {}", cas, marker);
        deleteLateRoots(storage, marker);
        storage.deleteIfExists(marker);
      }
    }
  }

  private static void deleteLateRoots(ExternalStorage storage, String marker) {
    try (Stream<String> roots = storage.iterContents(CollectionFence.rootsPrefix(marker))) {
      roots.forEach(storage::deleteIfExists);
    }
  }

  @Override
  public String toString() {
    return "ContentCollector[" + cas + (dryRun ? ", dry run" : "") + "]";
  }

  /** One collection's state. */
  private final class Run {
    private final ExternalStorage storage;
    private final String marker;
    private final AtomicLong listed = new AtomicLong();
    private final AtomicLong references = new AtomicLong();
    private final AtomicLong contentObjects = new AtomicLong();
    private final AtomicLong checked = new AtomicLong();
    private final AtomicLong garbage = new AtomicLong();
    private final AtomicLong garbageBytes = new AtomicLong();
    private final AtomicLong deleted = new AtomicLong();
    private final AtomicLong deletedBytes = new AtomicLong();
    private final AtomicLong danglingCount = new AtomicLong();
    private final List<CollectionReport.DanglingReference> dangling = new ArrayList<>();
    private final AtomicLong unreadableCount = new AtomicLong();
    private final List<CollectionReport.UnreadableReference> unreadable = new ArrayList<>();
    private final DigestFilter referenced;
    private final DigestFilter present;
    private BoundedWorkers workers;
    private ScheduledExecutorService renewer;
    private volatile CollectionMarker.State state = CollectionMarker.State.MARKING;
    private volatile long renewedNanos;
    private volatile boolean lapsed;
    private boolean markerWritten;
    private ContentSpool contentSpool;
    private Path referenceSpool;
    private DataOutputStream referenceOut;

    Run(ExternalStorage storage, String marker) {
      this.storage = storage;
      this.marker = marker;
      this.referenced = new DigestFilter(scan.filterCapacity(), falsePositiveRate);
      this.present = new DigestFilter(scan.filterCapacity(), falsePositiveRate);
    }

    void start() {
      contentSpool = new ContentSpool(scan.spoolDirectory(), "gc-content");
      try {
        referenceSpool = Files.createTempFile(scan.spoolDirectory(), "stowage-gc-references-", ".spool");
        referenceOut = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(referenceSpool), 1 << 16));
      } catch (IOException e) {
        throw new ExternalResourceException(
            ContentCollector.this + ": cannot create a spool file in " + scan.spoolDirectory() + ": " + e, e);
      }
      workers = new BoundedWorkers(scan.parallelism(), "stowage-gc-worker");
      renewedNanos = System.nanoTime();
      storage.storeBytes(marker, markerNow().toBytes(), WritePolicy.CREATE);
      markerWritten = true;
      long period = Math.max(1, lease.toMillis() / 4);
      renewer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "stowage-gc-lease");
        t.setDaemon(true);
        return t;
      });
      renewer.scheduleWithFixedDelay(this::renew, period, period, TimeUnit.MILLISECONDS);
    }

    private CollectionMarker markerNow() {
      return new CollectionMarker(state, System.currentTimeMillis(), lease.toMillis());
    }

    /** Renews the lease; once it has lapsed it is never renewed again (the collection stops). */
    private synchronized void renew() {
      if (lapsed || System.nanoTime() - renewedNanos >= lease.toNanos()) {
        lapsed = true;
        return;
      }
      long issued = System.nanoTime();
      try {
        storage.storeBytes(marker, markerNow().toBytes(), WritePolicy.OVERWRITE);
        renewedNanos = issued;
      } catch (RuntimeException e) {
        Log.LOG.warn("{}: cannot renew the collection marker {}", cas, marker, e);
      }
    }

    /** Throws unless the lease holds: called before every delete and before sealing. */
    private void checkLease() {
      if (lapsed || System.nanoTime() - renewedNanos >= lease.toNanos()) {
        lapsed = true;
        throw new ExternalResourceException(
            ContentCollector.this + ": the collection's lease (" + lease + ") lapsed, its marker " + marker
                + " could not be renewed in time; it stopped deleting, and writers may now take it for"
                + " abandoned. What it deleted was garbage; run it again", marker, null);
      }
    }

    void mark() {
      scan.scanAll(storage, layout, this::content, this::reference, this::unreadable, workers, this::listedSoFar);
      workers.await();
      for (Digest root : roots) {
        referenced.put(ContentLayout.key(root));
      }
      try {
        referenceOut.close();
      } catch (IOException e) {
        throw new ExternalResourceException(ContentCollector.this + ": cannot write the spool file " + referenceSpool + ": " + e, e);
      }
      listener.accept(progress(Phase.MARK));
    }

    /** Told the running count of objects listed, on the collecting thread. */
    private void listedSoFar(long count) {
      long before = listed.getAndSet(count);
      if (count / PROGRESS_EVERY != before / PROGRESS_EVERY) {
        listener.accept(progress(Phase.MARK));
      }
    }

    private void content(String key) {
      present.put(key);
      contentObjects.incrementAndGet();
      contentSpool.add(key);
    }

    private void reference(ExternalStorage store, String location, ContentReference reference) {
      String key = ContentLayout.key(reference.digest());
      referenced.put(key);
      references.incrementAndGet();
      // Spooled for the dangling check, which looks up those whose key the present filter lacks
      // once the listing has ended. A filter only gains keys, so a key it holds already will be
      // skipped then: no need to spool it (where content sorts before references, most are).
      if (store == storage && !present.mightContain(key) && layout.contentKey(reference.contentLocation()) != null) {
        synchronized (referenceOut) {
          try {
            referenceOut.writeUTF(location);
            referenceOut.writeUTF(reference.digest().toString());
          } catch (IOException e) {
            throw new ExternalResourceException(
                ContentCollector.this + ": cannot write the spool file " + referenceSpool + ": " + e, e);
          }
        }
      }
    }

    private void unreadable(ExternalStorage store, CollectionReport.UnreadableReference found) {
      Log.LOG.warn("{}: {} in {} may be a damaged content reference ({}): {}", cas, found.location(), store,
          found.reason(), found.detail());
      unreadableCount.incrementAndGet();
      synchronized (unreadable) {
        if (unreadable.size() < MAX_LISTED_UNREADABLE) {
          unreadable.add(found);
        }
      }
    }

    void seal() {
      checkLease();
      synchronized (this) {
        state = CollectionMarker.State.SWEEPING;
        storage.storeBytes(marker, markerNow().toBytes(), WritePolicy.OVERWRITE);
      }
      // A writer that read "marking" after leaving its root left it before this listing started.
      try (Stream<String> lateRoots = storage.iterContents(CollectionFence.rootsPrefix(marker))) {
        for (String root : (Iterable<String>) lateRoots::iterator) {
          for (Digest d : readLateRoot(root)) {
            referenced.put(ContentLayout.key(d));
            references.incrementAndGet();
          }
        }
      }
    }

    /**
     * The digests of the late root at {@code root}, read verified; none if it is gone. A damaged or
     * malformed late root is noted as unreadable (no sweep then), like a damaged reference.
     */
    private List<Digest> readLateRoot(String root) {
      byte[] bytes;
      try (org.stowage.StoredObject object = storage.loadObject(root)) {
        bytes = object.stream().readAllBytes();
      } catch (org.stowage.MissingExternalResourceException e) {
        return List.of();
      } catch (org.stowage.ChangedExternalResourceException e) {
        unreadable(storage, new CollectionReport.UnreadableReference(
            root, CollectionReport.UnreadableReference.Reason.DAMAGED, "a late root: " + e.getMessage()));
        return List.of();
      } catch (IOException e) {
        throw new ExternalResourceException(storage + ": cannot read the late root " + root + ": " + e, root, e);
      }
      try {
        return CollectionFence.parseLateRoot(bytes);
      } catch (IllegalArgumentException e) {
        unreadable(storage, new CollectionReport.UnreadableReference(
            root, CollectionReport.UnreadableReference.Reason.MALFORMED, "a late root: " + e.getMessage()));
        return List.of();
      }
    }

    void checkDangling() {
      try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(referenceSpool), 1 << 16))) {
        while (true) {
          String location;
          try {
            location = in.readUTF();
          } catch (EOFException end) {
            break;
          }
          String digestText = in.readUTF();
          // algorithm:hex:size, written by reference(): its key is all but the size; parsed only
          // for the few whose content the listing did not see
          String key = digestText.substring(0, digestText.lastIndexOf(':'));
          if (present.mightContain(key)) {
            continue;
          }
          Digest digest = Digest.parse(digestText);
          workers.submit(() -> {
            if (storage.findMetadata(layout.location(key)).isEmpty() && storage.exists(location)) {
              danglingCount.incrementAndGet();
              synchronized (dangling) {
                if (dangling.size() < MAX_LISTED_DANGLING) {
                  dangling.add(new CollectionReport.DanglingReference(location, digest));
                }
              }
            }
          });
        }
      } catch (IOException e) {
        throw new ExternalResourceException(ContentCollector.this + ": cannot read the spool file " + referenceSpool + ": " + e, e);
      }
      workers.await();
      if (danglingCount.get() > 0) {
        Log.LOG.warn("{}: {} references name content that is absent (see the report; run a ReferenceCheck)",
            cas, danglingCount.get());
      }
    }

    void sweep() {
      contentSpool.forEach(key -> {
        if (checked.incrementAndGet() % PROGRESS_EVERY == 0) {
          listener.accept(progress(Phase.SWEEP));
        }
        if (!referenced.mightContain(key)) {
          workers.submit(() -> sweepOne(layout.location(key)));
        }
      });
      workers.await();
      listener.accept(progress(Phase.SWEEP));
    }

    private void sweepOne(String location) {
      Optional<Metadata> metadata = storage.findMetadata(location);
      if (metadata.isEmpty()) {
        return; // deleted meanwhile
      }
      garbage.incrementAndGet();
      garbageBytes.addAndGet(metadata.get().size());
      if (dryRun) {
        return;
      }
      checkLease();
      if (storage.deleteIfExists(location)) {
        deleted.incrementAndGet();
        deletedBytes.addAndGet(metadata.get().size());
      }
    }

    Progress progress(Phase phase) {
      return new Progress(phase, listed.get(), references.get(), checked.get(), garbage.get(), deleted.get());
    }

    CollectionReport report(Duration elapsed) {
      List<CollectionReport.DanglingReference> listedDangling;
      synchronized (dangling) {
        listedDangling = new ArrayList<>(dangling);
      }
      List<CollectionReport.UnreadableReference> listedUnreadable;
      synchronized (unreadable) {
        listedUnreadable = new ArrayList<>(unreadable);
      }
      listedUnreadable.sort(java.util.Comparator.comparing(CollectionReport.UnreadableReference::location));
      return new CollectionReport(
          dryRun, listed.get(), references.get(), referenced.keys(), contentObjects.get(),
          garbage.get(), garbageBytes.get(), deleted.get(), deletedBytes.get(), danglingCount.get(),
          listedDangling, unreadableCount.get(), listedUnreadable, referenced.bytes() + present.bytes(), elapsed);
    }

    void finish() {
      if (renewer != null) {
        renewer.shutdownNow();
      }
      if (workers != null) {
        workers.close();
      }
      if (contentSpool != null) {
        contentSpool.close();
      }
      try {
        if (referenceOut != null) {
          referenceOut.close();
        }
        if (referenceSpool != null) {
          Files.deleteIfExists(referenceSpool);
        }
      } catch (IOException e) {
        Log.LOG.warn("{}: cannot delete the spool file {}", cas, referenceSpool, e);
      }
      if (markerWritten) {
        try {
          deleteLateRoots(storage, marker);
          storage.deleteIfExists(marker);
        } catch (RuntimeException e) {
          Log.LOG.warn("{}: cannot delete the collection marker {}; writers will take it for abandoned after"
              + " {} leases", cas, marker, CollectionMarker.ABANDONED_AFTER_LEASES, e);
        }
      }
    }
  }

  /** Options for a {@link ContentCollector}. */
  public static final class Builder {
    private final ContentAddressedStore cas;
    private final ScanOptions.Settings scan = new ScanOptions.Settings();
    private final Set<Digest> roots = new LinkedHashSet<>();
    private boolean dryRun = true;
    private double falsePositiveRate = ScanOptions.DEFAULT_FALSE_POSITIVE_RATE;
    private Duration lease = Duration.ofMinutes(2);
    private Consumer<Progress> listener = p -> {};

    private Builder(ContentAddressedStore cas) {
      this.cas = Objects.requireNonNull(cas, "cas");
    }

    /**
     * Whether to only report (true, the default) or also delete the garbage (false). A dry run
     * also writes its marker, so that its report is as a real run's would have been.
     *
     * @param dryRun true to only report, false to delete the garbage too
     * @return this builder
     */
    public Builder dryRun(boolean dryRun) {
      this.dryRun = dryRun;
      return this;
    }

    /**
     * Also scans {@code store} for references to this content (a second store whose managers put
     * content here). The content store itself is always scanned.
     *
     * @param store a further store to scan for references; it stays the caller's
     * @return this builder
     * @throws NullPointerException if {@code store} is null
     */
    public Builder referencesIn(ExternalStorage store) {
      scan.referencesIn(store);
      return this;
    }

    /**
     * Keeps the content named by {@code digest}, referenced or not.
     *
     * @param digest the digest of content to keep
     * @return this builder
     * @throws NullPointerException if {@code digest} is null
     */
    public Builder root(Digest digest) {
      roots.add(Objects.requireNonNull(digest, "digest"));
      return this;
    }

    /**
     * Keeps the content of every digest of {@code digests}.
     *
     * @param digests the digests of content to keep; only read
     * @return this builder
     * @throws NullPointerException if {@code digests} or one of its elements is null
     */
    public Builder roots(java.util.Collection<Digest> digests) {
      digests.forEach(this::root);
      return this;
    }

    /**
     * About how many objects the stores hold (2<sup>20</sup> by default): sizes the Bloom
     * filters' first stage. Too small costs a little more memory per object, never safety.
     *
     * @param objects the expected number of objects, at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code objects} is less than 1
     */
    public Builder expectedObjects(long objects) {
      scan.expectedObjects(objects);
      return this;
    }

    /**
     * The Bloom filters' false-positive rate, 0.01 by default: about that fraction of the garbage
     * is kept for the next collection. Memory grows with {@code -ln(rate)}.
     *
     * @param rate the false-positive rate, above 0 and below 0.5
     * @return this builder
     * @throws IllegalArgumentException if {@code rate} is not above 0 and below 0.5
     */
    public Builder falsePositiveRate(double rate) {
      if (!(rate > 0 && rate < 0.5)) {
        throw new IllegalArgumentException("falsePositiveRate must be in (0, 0.5): " + rate);
      }
      this.falsePositiveRate = rate;
      return this;
    }

    /**
     * How many reads, metadata look-ups and deletes run at once; at least 1.
     *
     * @param threads the most operations at once, at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code threads} is less than 1
     */
    public Builder parallelism(int threads) {
      scan.parallelism(threads);
      return this;
    }

    /**
     * The lease of the collection's marker, 2 minutes by default: the marker is renewed every
     * quarter lease; a collection that could not renew it for a whole lease stops deleting; a
     * writer takes a marker not renewed for three leases for abandoned. Safe as long as the clocks
     * of the processes sharing the store differ by less than one lease.
     *
     * @param lease the marker's lease, positive
     * @return this builder
     * @throws IllegalArgumentException if {@code lease} is zero or negative
     */
    public Builder lease(Duration lease) {
      if (lease.isNegative() || lease.isZero()) {
        throw new IllegalArgumentException("lease must be positive: " + lease);
      }
      this.lease = lease;
      return this;
    }

    /**
     * Where the spool files go; the JVM's temporary directory by default.
     *
     * @param directory the directory for spool files, deleted when the collection ends (a killed
     *     one leaves them)
     * @return this builder
     * @throws NullPointerException if {@code directory} is null
     */
    public Builder spoolDirectory(Path directory) {
      scan.spoolDirectory(directory);
      return this;
    }

    /**
     * Told the progress every 10,000 objects listed or swept and at the end of each phase, on the
     * collecting thread. It must not throw.
     *
     * @param listener the consumer of progress reports
     * @return this builder
     * @throws NullPointerException if {@code listener} is null
     */
    public Builder listener(Consumer<Progress> listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Builds the collector.
     *
     * @return a new collector; nothing is read or deleted until it collects
     */
    public ContentCollector build() {
      return new ContentCollector(this);
    }
  }
}
