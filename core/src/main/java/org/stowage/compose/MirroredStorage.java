package org.stowage.compose;

import com.google.common.util.concurrent.Striped;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExistingExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.InvalidLocationException;
import org.stowage.ListedObject;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.ObjectSource;
import org.stowage.StoredObject;
import org.stowage.WritePolicy;

/**
 * A primary store mirrored to one or more secondaries: writes go to the primary, then are
 * replicated; reads go to the primary, and fall back to a secondary when it fails or misses.
 *
 * <pre>{@code
 * MirroredStorage mirror = MirroredStorage.builder(primary, List.of(secondary))
 *     .replication(MirroredStorage.Replication.BACKGROUND)
 *     .listener(new MirroredStorage.ReplicationListener() {
 *       public void replicationFailed(PendingReplication p, RuntimeException cause) { alert(p, cause); }
 *     })
 *     .build();
 * }</pre>
 *
 * <p>It is itself an {@link ExternalStorage}: it composes with other decorators and keeps every
 * rule of the contract.
 *
 * <h2>Writes</h2>
 *
 * <p>A store, copy or move succeeds when the primary did it; if the primary fails, the write
 * fails and no secondary is touched. A store hands the caller's content on to the primary as it is
 * ({@link ExternalStorage#storeSource}); a copy or move is the primary's own (a server-side copy,
 * a rename). Then the
 * location is replicated to every secondary: at once, in the writing thread ({@link
 * Replication#SYNCHRONOUS}, the default), or by the mirror's own threads ({@link
 * Replication#BACKGROUND}). Replicating a location means making the secondary's object equal to
 * the primary's <em>current</em> one (copied, streamed and verified, if their MD5 differ; deleted
 * if the primary has none), so replications are idempotent, and a secondary ends up equal to the
 * primary whatever order concurrent writes replicate in.
 *
 * <p>A delete must succeed on the primary; it is then replicated like a store. It returns whether
 * an object was there as the mirror shows it: on the primary, or (if the primary missed) on an
 * up-to-date secondary.
 *
 * <h2>Failed replications</h2>
 *
 * <p>A replication that fails does not fail the write. It stays <em>pending</em>: it is reported
 * to the {@link ReplicationListener}, listed by {@link #pendingReplications()}, and retried in the
 * background with exponential backoff ({@link Builder#retryBackoff}), or at once by {@link
 * #retryPending()}. Nothing is dropped silently: when a secondary's pending replications reach
 * {@link Builder#maxPending}, the secondary is marked <em>out of sync</em> as a whole (reported to
 * the listener and by {@link #outOfSyncSecondaries()}), and the next retry reconciles it
 * completely, location by location, by walking both listings. {@link #awaitReplication} waits
 * until nothing is pending.
 *
 * <h2>Reads</h2>
 *
 * <p>Loads, {@code getMetadata}, {@code exists} and {@code verify} go to the primary. If it fails
 * (an {@link ExternalResourceException} other than missing, changed or invalid) or misses (nothing
 * is there), they go to the secondaries in order, skipping any secondary that is known to be
 * behind for that location (a replication of it is pending, or the secondary is out of sync): so
 * a read served from a secondary returns what the primary held when the location was last
 * written through the mirror. With {@link Builder#repairPrimary}, a load that the primary missed
 * and a secondary served copies the object back to the primary (only if the primary still has
 * none, and no write of the location is in progress). Listings come from the primary, or, if
 * listing it fails at once, from the first secondary with nothing pending under the prefix. {@code
 * uri} names the primary's object.
 *
 * <h2>Linearizability (rule T1)</h2>
 *
 * <p>Operations are linearizable per location when they are served by the primary, which is
 * linearizable itself. A read served by a secondary is too, for writes made through this mirror:
 * the secondary is used only if it holds what the last write of the location through the mirror
 * left on the primary. It cannot be where the primary was changed around the mirror (by another
 * process or another mirror), and where the primary lost an object that was written before this
 * mirror was built: the mirror takes its secondaries to start equal to its primary (empty, or
 * synced with {@link StorageSync} first).
 *
 * <h2>Closing</h2>
 *
 * <p>{@link #close()} stops the background threads, waiting up to {@link Builder#closeTimeout}
 * for replications under way, then tries every pending replication once more in the closing
 * thread. What is still pending then is logged at WARN, reported to {@link
 * ReplicationListener#unfinishedAtClose}, and still listed by {@link #pendingReplications()}; it
 * is not retried afterwards. Finally the mirror closes the primary and the secondaries: it owns
 * them.
 */
public final class MirroredStorage extends ExternalStorage {
  /** The logger, asked for at its first message (see {@code ExternalStorage.Log}). */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(MirroredStorage.class);
  }
  private static final int STRIPES = 1024;
  /** How often a delete that races stores deletes again on the primary before it gives up. */
  private static final int DELETE_ATTEMPTS = 8;
  private static final AtomicInteger MIRRORS = new AtomicInteger();

  /** When writes are replicated. */
  public enum Replication {
    /** In the writing thread, before the write returns. */
    SYNCHRONOUS,
    /** By the mirror's threads; the write returns once the primary has stored it. */
    BACKGROUND
  }

  /**
   * Hears about replications that fail. Called from the thread that saw the failure (a writer, a
   * background thread, a caller of {@link #retryPending()}, the closing thread): keep it short and
   * thread-safe. What it throws is logged and otherwise ignored.
   */
  public interface ReplicationListener {
    /**
     * A replication failed; it stays pending and will be retried.
     *
     * @param pending the replication, with its attempts and this failure
     * @param cause what the replication threw
     */
    default void replicationFailed(PendingReplication pending, RuntimeException cause) {}

    /**
     * A secondary's backlog was full: it is now out of sync as a whole, reads skip it, and the
     * next retry reconciles it completely.
     *
     * @param secondary the secondary now out of sync
     */
    default void outOfSync(ExternalStorage secondary) {}

    /**
     * The mirror was closed with replications still pending, or secondaries out of sync.
     *
     * @param pending the replications still pending, a snapshot
     * @param outOfSync the secondaries still out of sync, a snapshot
     */
    default void unfinishedAtClose(List<PendingReplication> pending, List<ExternalStorage> outOfSync) {}
  }

  /**
   * A location not yet replicated to a secondary.
   *
   * @param secondary the secondary that is behind
   * @param location the location
   * @param attempts how many times replicating it failed so far
   * @param lastFailure the last failure, if it was attempted
   */
  public record PendingReplication(
      ExternalStorage secondary, String location, int attempts, Optional<RuntimeException> lastFailure) {}

  private final ExternalStorage primary;
  private final List<Replicator.Secondary> secondaries;
  private final boolean repairPrimary;
  private final Duration closeTimeout;
  private final Replicator replicator;
  /**
   * The locations whose primary a store, copy, move or delete is changing right now, with how
   * many such calls are under way. Until the call has marked the secondaries behind, they still
   * look up to date while the primary already differs, so reads do not fall back to a secondary
   * for these locations: a read that missed on the primary during a delete would otherwise be
   * served the version that the delete's own store had just replaced (T1.1; found by the contract
   * suite's stress check on FileStorage tiers).
   */
  private final java.util.concurrent.ConcurrentHashMap<String, Integer> changing =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** Writers of a location hold its read lock; a repair takes its write lock, if free. */
  private final Striped<ReadWriteLock> locationLocks = Striped.lazyWeakReadWriteLock(STRIPES);
  /** Deletes of one location, one at a time (see {@link #deleteObject}). */
  private final Striped<Lock> deleteLocks = Striped.lazyWeakLock(STRIPES);

  private MirroredStorage(Builder b) {
    this.primary = b.primary;
    this.repairPrimary = b.repairPrimary;
    this.closeTimeout = b.closeTimeout;
    this.replicator =
        new Replicator(
            this, primary, b.secondaries, b.replication, b.listener, b.maxPending,
            b.initialBackoff, b.maxBackoff, b.threads, "stowage-mirror-" + MIRRORS.incrementAndGet());
    this.secondaries = replicator.secondaries();
  }

  /**
   * Starts building a mirror of {@code primary} to {@code secondaries} (one or more, tried in
   * this order for reads).
   *
   * @param primary the store that takes every write first and serves reads
   * @param secondaries the stores writes are replicated to, in the order reads try them
   * @return a new builder with the default options
   * @throws IllegalArgumentException if there is no secondary, or a store appears twice
   */
  public static Builder builder(ExternalStorage primary, List<? extends ExternalStorage> secondaries) {
    return new Builder(primary, secondaries);
  }

  /**
   * The primary store.
   *
   * @return the primary store given to the builder
   */
  public ExternalStorage primary() {
    return primary;
  }

  /**
   * The secondary stores, in the order reads try them.
   *
   * @return the secondaries, in read order; a new, unmodifiable list
   */
  public List<ExternalStorage> secondaries() {
    return secondaries.stream().map(s -> s.storage).toList();
  }

  /**
   * The replications still pending, secondary by secondary. A snapshot; still answers after
   * {@link #close()}, to tell what was left.
   *
   * @return the pending replications, a new list; empty if none
   */
  public List<PendingReplication> pendingReplications() {
    return replicator.pendingReplications();
  }

  /**
   * The secondaries marked out of sync after their backlog overflowed, until a retry reconciles
   * them.
   *
   * @return the out-of-sync secondaries, a new list; empty if none
   */
  public List<ExternalStorage> outOfSyncSecondaries() {
    return replicator.outOfSyncSecondaries();
  }

  /**
   * Retries every pending replication now, in this thread, and reconciles every secondary that is
   * out of sync (which walks the listings of the primary and of that secondary).
   *
   * @return what is still pending afterwards
   * @throws IllegalStateException if the mirror is closed
   */
  public List<PendingReplication> retryPending() {
    if (isClosed()) {
      throw new IllegalStateException(this + " is closed");
    }
    replicator.retryAll();
    return pendingReplications();
  }

  /**
   * Waits until no replication is pending and no secondary is out of sync, or until {@code
   * timeout} has passed.
   *
   * @param timeout the longest time to wait
   * @return true if everything is replicated; false on timeout
   * @throws InterruptedException if interrupted while waiting
   */
  public boolean awaitReplication(Duration timeout) throws InterruptedException {
    return replicator.awaitCaughtUp(timeout);
  }

  /** Names the mirror, its primary and its secondaries. */
  @Override
  public String toString() {
    return "MirroredStorage[" + primary + " -> " + secondaries() + "]";
  }

  // ---------------------------------------------------------------------------------------------
  // Writes

  @Override
  protected boolean writeObject(Location location, ObjectSource source, boolean replaceExisting) {
    String loc = location.value();
    boolean stored;
    Lock shared = locationLocks.get(loc).readLock();
    shared.lock();
    beginChange(loc);
    try {
      stored = Tiers.store(this, primary, loc, source, replaceExisting);
      if (stored) {
        replicator.changed(loc);
      }
    } finally {
      endChange(loc);
      shared.unlock();
    }
    if (stored) {
      replicator.replicateNow(loc);
    }
    return stored;
  }

  /**
   * Copies on the primary, with the primary's own copy (a server-side copy on S3, a link on a
   * filesystem), then replicates {@code to} as a store does. If the primary has no object at
   * {@code from} that an up-to-date secondary still holds (the primary lost it), the copy streams
   * the object from there, as any backend's default copy does.
   */
  @Override
  protected Metadata copyObject(Location from, Location to, boolean replaceExisting) throws IOException {
    Metadata copied;
    try {
      copied = onPrimary(List.of(to.value()), replaceExisting,
          policy -> primary.copy(from.value(), to.value(), policy));
    } catch (MissingExternalResourceException e) {
      return super.copyObject(from, to, replaceExisting);
    }
    return copied;
  }

  /**
   * Moves on the primary, with the primary's own move (a rename on a filesystem, a server-side
   * copy and a conditional delete on S3), then replicates both locations as a store and a delete
   * do. If the primary has no object at {@code from} that an up-to-date secondary still holds, it
   * is a copy from there and a delete, as any backend's default move is.
   */
  @Override
  protected Metadata moveObject(Location from, Location to, boolean replaceExisting) throws IOException {
    Metadata moved;
    try {
      moved = onPrimary(List.of(from.value(), to.value()), replaceExisting,
          policy -> primary.move(from.value(), to.value(), policy));
    } catch (MissingExternalResourceException e) {
      return super.moveObject(from, to, replaceExisting);
    }
    return moved;
  }

  /**
   * Runs a copy or move on the primary under {@code OVERWRITE} or {@code CREATE}, holding the
   * write locks of the {@code written} locations (their stripes in one order, so two calls never
   * wait for each other), marks them changed if it wrote, and replicates them. Returns {@code
   * null} for a refused {@code CREATE}, as the hooks must; a missing source is thrown as the
   * primary reported it.
   */
  private Metadata onPrimary(
      List<String> written, boolean replaceExisting, java.util.function.Function<WritePolicy, Metadata> call) {
    Metadata result;
    List<Lock> held = new ArrayList<>();
    for (ReadWriteLock lock : locationLocks.bulkGet(written)) {
      Lock shared = lock.readLock();
      shared.lock();
      held.add(shared);
    }
    written.forEach(this::beginChange);
    try {
      result = call.apply(Tiers.policy(replaceExisting));
      written.forEach(replicator::changed);
    } catch (ExistingExternalResourceException e) {
      if (replaceExisting) {
        throw Tiers.renamed(this, e);
      }
      return null;
    } catch (MissingExternalResourceException e) {
      throw e;
    } catch (ExternalResourceException e) {
      throw Tiers.renamed(this, e);
    } finally {
      written.forEach(this::endChange);
      for (int i = held.size() - 1; i >= 0; i--) {
        held.get(i).unlock();
      }
    }
    written.forEach(replicator::replicateNow);
    return result;
  }

  /**
   * Deletes on the primary and, if the primary missed, reports what an up-to-date secondary holds.
   * Deletes of one location take turns: otherwise a delete that missed on the primary, because a
   * concurrent delete had just removed the object there, could find the secondaries not yet marked
   * behind and report the object deleted a second time (rule D1, and T1; found by the contract
   * suite's parallel check on FileStorage tiers, FileMirroredStorageContractTest).
   */
  @Override
  protected boolean deleteObject(Location location) {
    String loc = location.value();
    boolean deleted;
    Lock turn = deleteLocks.get(loc);
    Lock shared = locationLocks.get(loc).readLock();
    turn.lock();
    shared.lock();
    beginChange(loc);
    try {
      deleted = deleteOnPrimary(loc);
      replicator.changed(loc);
    } catch (ExternalResourceException e) {
      throw Tiers.renamed(this, e);
    } finally {
      endChange(loc);
      shared.unlock();
      turn.unlock();
    }
    replicator.replicateNow(loc);
    return deleted;
  }

  /**
   * Under the location's delete turn: deletes {@code loc} on the primary and returns whether an
   * object was deleted, as a read would have seen it. When the primary has nothing but an
   * up-to-date secondary has the object, that is what reads show (the primary lost it), so it
   * counts as deleted once the secondaries are brought level, unless the primary has it again
   * by then: a store that ran between the two looks put it on the primary and replicated it, and
   * that object must be deleted for real, or two deletes would both report it (rule D1, T1; found
   * by the parallel check on FileStorage tiers).
   */
  private boolean deleteOnPrimary(String loc) {
    for (int attempt = 0; attempt < DELETE_ATTEMPTS; attempt++) {
      if (primary.deleteIfExists(loc)) {
        return true;
      }
      boolean onSecondary =
          Boolean.TRUE.equals(fromSecondaries(loc, s -> s.exists(loc) ? Boolean.TRUE : null, null));
      if (!onSecondary) {
        return false;
      }
      if (!primary.exists(loc)) {
        return true;
      }
      // A store landed on the primary meanwhile: delete it there.
    }
    throw new ExternalResourceException(
        this + ": delete of " + quote(loc) + " gave up: stores kept replacing the object while it"
            + " was deleted (" + DELETE_ATTEMPTS + " attempts); try again",
        loc,
        null);
  }

  // ---------------------------------------------------------------------------------------------
  // Reads

  @Override
  protected InputStream openObject(Location location) {
    String loc = location.value();
    return read(loc, store -> store.loadStream(loc), true);
  }

  @Override
  protected OpenObject openWithMetadata(Location location) {
    String loc = location.value();
    StoredObject opened = read(loc, store -> Tiers.open(store, loc), true);
    return opened == null ? null : new OpenObject(opened.stream(), opened.metadata());
  }

  @Override
  protected boolean objectExists(Location location) {
    String loc = location.value();
    return Boolean.TRUE.equals(read(loc, store -> store.exists(loc) ? Boolean.TRUE : null, false));
  }

  @Override
  protected Metadata objectMetadata(Location location) {
    String loc = location.value();
    return read(loc, store -> store.findMetadata(loc).orElse(null), false);
  }

  @Override
  protected Stream<String> listObjects(String prefix) {
    return listObjects(prefix, "");
  }

  /** The primary's listing from {@code startAfter}, or a secondary's that is in sync. */
  @Override
  protected Stream<String> listObjects(String prefix, String startAfter) {
    return listing(prefix, "", tier -> tier.iterContents(prefix, startAfter));
  }

  /**
   * The primary's listing from {@code startAfter} with the content it reads (rule I8), or, if it
   * cannot start, a secondary's in sync, with the content that one reads.
   */
  @Override
  protected Stream<ListedObject> listObjects(String prefix, String startAfter, int maxBytes) {
    return listing(prefix, " with content", tier -> tier.iterObjects(prefix, startAfter, maxBytes));
  }

  /**
   * {@code list} of the primary; if that cannot start, of the first secondary with nothing
   * pending under {@code prefix}, each asked once; else the primary's failure, with the others'
   * attached.
   */
  private <T> Stream<T> listing(
      String prefix, String what, java.util.function.Function<ExternalStorage, Stream<T>> list) {
    try {
      return list.apply(primary);
    } catch (InvalidLocationException e) {
      throw e;
    } catch (ExternalResourceException e) {
      for (Replicator.Secondary s : secondaries) {
        if (!s.outOfSync && s.pending.keySet().stream().noneMatch(k -> k.startsWith(prefix))) {
          try {
            Log.LOG.warn("{}: listing the primary{} failed; listing {} instead", this, what, s.storage, e);
            return list.apply(s.storage);
          } catch (ExternalResourceException other) {
            e.addSuppressed(other);
          }
        }
      }
      throw Tiers.renamed(this, e);
    }
  }

  @Override
  protected URI objectUri(Location location) {
    try {
      return primary.uri(location.value());
    } catch (ExternalResourceException e) {
      throw Tiers.renamed(this, e);
    }
  }

  private void beginChange(String loc) {
    changing.merge(loc, 1, Integer::sum);
  }

  private void endChange(String loc) {
    changing.computeIfPresent(loc, (k, n) -> n == 1 ? null : n - 1);
  }

  /** One read of one store: the answer, or {@code null} (or a missing exception) for "absent". */
  @FunctionalInterface
  private interface TierRead<T> {
    T read(ExternalStorage store);
  }

  /**
   * Reads from the primary; on a failure or a miss, from the secondaries that are up to date for
   * {@code loc}. Returns {@code null} if the object is absent.
   */
  private <T> T read(String loc, TierRead<T> read, boolean repairable) {
    ExternalResourceException primaryFailure = null;
    try {
      T answer = read.read(primary);
      if (answer != null) {
        return answer;
      }
    } catch (MissingExternalResourceException e) {
      // a miss: the secondaries may have it
    } catch (ChangedExternalResourceException | InvalidLocationException | ExistingExternalResourceException e) {
      throw Tiers.renamed(this, e);
    } catch (ExternalResourceException e) {
      primaryFailure = e;
    }
    boolean[] answered = {false};
    List<ExternalResourceException> failures = new ArrayList<>();
    // While a call changes the primary at loc, the primary's answer stands (see changing).
    T answer = changing.containsKey(loc) ? null : fromSecondaries(loc, read, new Fallback(answered, failures));
    if (answer != null) {
      if (primaryFailure != null) {
        Log.LOG.debug("{}: the primary failed for {}; served by a secondary", this, quote(loc), primaryFailure);
      } else if (repairable && repairPrimary) {
        repair(loc);
      }
      return answer;
    }
    if (primaryFailure != null && !answered[0]) {
      // Nobody up to date could answer: the primary's failure is the answer.
      ExternalResourceException thrown = Tiers.renamed(this, primaryFailure);
      failures.forEach(thrown::addSuppressed);
      throw thrown;
    }
    return null;
  }

  /** Collects what the secondaries said while falling back. */
  private record Fallback(boolean[] answered, List<ExternalResourceException> failures) {}

  /** The first answer of an up-to-date secondary, or {@code null}. */
  private <T> T fromSecondaries(String loc, TierRead<T> read, Fallback fallback) {
    for (Replicator.Secondary s : secondaries) {
      if (!Replicator.upToDate(s, loc)) {
        continue;
      }
      try {
        T answer = read.read(s.storage);
        if (fallback != null) {
          fallback.answered[0] = true;
        }
        if (answer != null) {
          return answer;
        }
      } catch (MissingExternalResourceException e) {
        if (fallback != null) {
          fallback.answered[0] = true;
        }
      } catch (ExternalResourceException e) {
        if (fallback != null) {
          fallback.failures.add(e);
        }
      }
    }
    return null;
  }

  /**
   * Copies {@code loc} back to the primary from the first up-to-date secondary that has it, if
   * the primary still has nothing and no write of the location is in progress.
   */
  private void repair(String loc) {
    Lock exclusive = locationLocks.get(loc).writeLock();
    if (!exclusive.tryLock()) {
      return; // a write is in progress: it decides what the primary holds
    }
    boolean repaired = false;
    try {
      for (Replicator.Secondary s : secondaries) {
        if (!Replicator.upToDate(s, loc)) {
          continue;
        }
        try {
          s.storage.copyTo(loc, primary, loc, WritePolicy.CREATE);
          replicator.changed(loc);
          repaired = true;
          Log.LOG.info("{}: repaired {} on the primary from {}", this, quote(loc), s.storage);
          break;
        } catch (ExistingExternalResourceException e) {
          break; // the primary has one now
        } catch (MissingExternalResourceException e) {
          // not on this one after all
        } catch (ExternalResourceException e) {
          Log.LOG.warn("{}: could not repair {} on the primary from {}", this, quote(loc), s.storage, e);
          break;
        }
      }
    } finally {
      exclusive.unlock();
    }
    if (repaired) {
      replicator.replicateNow(loc);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  @Override
  protected void closeStorage() throws IOException {
    replicator.close(closeTimeout);
    List<ExternalStorage> all = new ArrayList<>();
    all.add(primary);
    all.addAll(secondaries());
    Tiers.closeAll(all);
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  private static String quote(String loc) {
    return Location.quote(loc);
  }

  /** Options of a {@link MirroredStorage}. */
  public static final class Builder {
    private final ExternalStorage primary;
    private final List<ExternalStorage> secondaries;
    private Replication replication = Replication.SYNCHRONOUS;
    private boolean repairPrimary;
    private ReplicationListener listener = new ReplicationListener() {};
    private int maxPending = 100_000;
    private Duration initialBackoff = Duration.ofSeconds(1);
    private Duration maxBackoff = Duration.ofMinutes(5);
    private Duration closeTimeout = Duration.ofSeconds(30);
    private int threads = 2;

    private Builder(ExternalStorage primary, List<? extends ExternalStorage> secondaries) {
      this.primary = Objects.requireNonNull(primary, "primary");
      this.secondaries = List.copyOf(secondaries);
      if (this.secondaries.isEmpty()) {
        throw new IllegalArgumentException("a mirror needs at least one secondary");
      }
      Set<ExternalStorage> seen = Collections.newSetFromMap(new IdentityHashMap<>());
      seen.add(primary);
      for (ExternalStorage s : this.secondaries) {
        if (!seen.add(s)) {
          throw new IllegalArgumentException("a store appears twice in the mirror: " + s);
        }
      }
    }

    /**
     * When writes are replicated. Default: {@link Replication#SYNCHRONOUS}.
     *
     * @param replication synchronous or background replication
     * @return this builder
     */
    public Builder replication(Replication replication) {
      this.replication = Objects.requireNonNull(replication, "replication");
      return this;
    }

    /**
     * Whether a load that the primary missed and a secondary served copies the object back to the
     * primary. Default: false.
     *
     * @param repair true to copy objects served by a secondary back to the primary
     * @return this builder
     */
    public Builder repairPrimary(boolean repair) {
      this.repairPrimary = repair;
      return this;
    }

    /**
     * Who hears about failed replications. Default: nobody (they are logged at WARN).
     *
     * @param listener who hears about failed replications
     * @return this builder
     */
    public Builder listener(ReplicationListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * The most replications that may be pending for one secondary; one more marks the secondary out
     * of sync, to be reconciled as a whole. Default: 100,000.
     *
     * @param max the most pending replications per secondary, positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder maxPending(int max) {
      if (max <= 0) {
        throw new IllegalArgumentException("maxPending must be positive: " + max);
      }
      this.maxPending = max;
      return this;
    }

    /**
     * How long to wait before retrying a failed replication: {@code initial} after the first
     * failure, doubling after each further one, up to {@code max}. Default: 1 second to 5 minutes.
     *
     * @param initial the wait after the first failure, positive
     * @param max the longest wait, at least {@code initial}
     * @return this builder
     * @throws IllegalArgumentException if {@code initial} is not positive or {@code max} is less
     */
    public Builder retryBackoff(Duration initial, Duration max) {
      if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
        throw new IllegalArgumentException("need 0 < initial <= max: " + initial + ", " + max);
      }
      this.initialBackoff = initial;
      this.maxBackoff = max;
      return this;
    }

    /**
     * How many threads replicate in the background and retry. Default: 2.
     *
     * @param threads the number of background threads, positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder replicationThreads(int threads) {
      if (threads <= 0) {
        throw new IllegalArgumentException("replicationThreads must be positive: " + threads);
      }
      this.threads = threads;
      return this;
    }

    /**
     * How long {@link #close()} waits for background replications under way. Default: 30
     * seconds.
     *
     * @param timeout how long {@code close()} waits for replications under way
     * @return this builder
     */
    public Builder closeTimeout(Duration timeout) {
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("closeTimeout must not be negative: " + timeout);
      }
      this.closeTimeout = timeout;
      return this;
    }

    /**
     * Builds the mirror.
     *
     * @return a new, open mirror, owned by the caller
     */
    public MirroredStorage build() {
      return new MirroredStorage(this);
    }
  }
}
