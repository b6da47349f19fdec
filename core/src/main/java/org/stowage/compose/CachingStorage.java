package org.stowage.compose;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import com.google.common.cache.RemovalNotification;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExistingExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.ListedObject;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.ObjectSource;
import org.stowage.StoredObject;
import org.stowage.VerifyingInputStream;
import org.stowage.WritePolicy;
import org.stowage.spi.BulkInputStream;

/**
 * A read-through cache in front of any store: loads are served from a faster <em>cache tier</em>
 * (a {@code MemoryStorage}, or a local {@code FileStorage} in front of S3) once an object has been
 * read, and everything else goes to the <em>backing</em> store, which stays the authority.
 *
 * <pre>{@code
 * ExternalStorage s3 = ExternalStorage.open("s3://bucket/runs?region=eu-west-1");
 * ExternalStorage cached = CachingStorage.builder(s3, new MemoryStorage(), 512L << 20) // 512 MiB
 *     .maxObjectSize(32L << 20)                                                      // 32 MiB
 *     .build();
 * }</pre>
 *
 * <p>It is itself an {@link ExternalStorage}: it composes with other decorators and keeps every
 * rule of the contract.
 *
 * <h2>What goes where</h2>
 *
 * <ul>
 *   <li><b>Loads</b> ({@code loadStream}, {@code loadBytes}, with or without expected metadata)
 *       are served from the cache tier when the object is cached. On a miss, the backing store
 *       opens the object with its metadata, in one request where it can ({@link
 *       ExternalStorage#loadObject}); an object larger than {@link Builder#maxObjectSize} is
 *       streamed on from that request (a <em>bypass</em>); a smaller one is copied into the cache
 *       tier, verified while it is copied (and hashed once: the tier's store takes the check
 *       over), and then served from there.
 *   <li><b>Stores, deletes, copies and moves</b> go to the backing store, and invalidate the
 *       location's cached copy before and after (see coherence below). A store hands the caller's
 *       content on as it is ({@link ExternalStorage#storeSource}), so the backing store sees the
 *       caller's array or file, and hashes nothing again; copies and moves are the backing
 *       store's own.
 *   <li><b>{@code exists}, {@code getMetadata}, listings, {@code verify} and {@code uri}</b> go to
 *       the backing store: it is the authority on what is stored, and these are the calls that
 *       tell. {@code verify} re-reads the backing store's object.
 * </ul>
 *
 * <h2>Bound</h2>
 *
 * <p>The cache's index is a Guava {@link Cache} bounded by weight, each object weighing its size
 * in bytes (empty objects weigh one): the objects it indexes never add up to more than {@code
 * maxBytes}. Its eviction (least recently used, as Guava approximates it) removes an object from
 * the index, and its removal listener has the object deleted from the cache tier by the thread
 * that caused the eviction, right after. So the cache tier holds the indexed objects, plus, for a
 * moment, objects being filled or being deleted: at most {@code maxBytes} plus one {@code
 * maxObjectSize} per load filling concurrently. A cache tier with a bound of its own (a bounded
 * {@code MemoryStorage}) should allow that much; when the tier refuses a fill, the load is served
 * from the backing store, and a warning is logged.
 *
 * <h2>Verification</h2>
 *
 * <p>A cached copy is made from a verified read of the backing store (against the backing store's
 * metadata), and every load from the cache tier is verified again against that metadata while it
 * is read. What the cache tier can tell before the first byte (the copy is missing, or its
 * metadata differs) makes the load fall back to the backing store at once. Damage found only at
 * the end of the read (the tier's bytes were changed behind its back) throws {@link
 * ChangedExternalResourceException} from the read that reaches the end, as every verified read
 * does, never returning the damaged bytes as good; the copy is evicted, and the next load reads
 * the backing store. A verified load ({@code loadStream(location, expected)}) is verified against
 * the caller's metadata as well, as on any store.
 *
 * <h2>Coherence</h2>
 *
 * <p>For writes made through this cache, loads are linearizable per location (rule T1): a load
 * that starts after a store, delete, copy or move of its location returned sees that write (or a
 * later one), never an older cached copy. A store first invalidates the location, then writes the
 * backing store, then invalidates again; a load that fills the cache records the copy in the index
 * only if no write of its location started or ended while it read the backing store, and does not
 * fill at all while such a write is in progress. Concurrent loads of one uncached object read the
 * backing store once: the others wait for that fill and share it.
 *
 * <p>Writes made to the backing store <em>around</em> the cache (by another process, another
 * cache, or directly) are not seen by loads of an object already cached: give the builder {@link
 * Builder#expireAfterWrite} to bound how long such a copy can be served. {@code getMetadata},
 * {@code exists} and listings always see them.
 *
 * <h2>The cache tier</h2>
 *
 * <p>The cache owns every object under its {@linkplain Builder#tierPrefix tier prefix} (the whole
 * tier by default): it deletes them when it is built (leftovers of a previous run, which it has no
 * index for) and when it is closed. Give it a tier, or a prefix, of its own; one cache per tier
 * prefix. Cached copies are stored under generated names, not under their locations.
 *
 * <h2>Lifecycle</h2>
 *
 * <p>The cache owns both stores: {@link #close()} empties the cache tier, then closes the cache
 * tier and the backing store.
 */
public final class CachingStorage extends ExternalStorage {
  /** The logger, asked for at its first message (see {@code ExternalStorage.Log}). */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(CachingStorage.class);
  }
  /** Room left in a location for the generated part of a cache tier name. */
  private static final int KEY_ROOM = 48;

  private final ExternalStorage backing;
  private final ExternalStorage tier;
  private final long maxBytes;
  private final long maxObjectSize;
  private final String tierPrefix;
  private final Cache<String, Entry> index;
  /** Guards {@link #active} and every change to {@link #index} that a fill must not miss. */
  private final Object lock = new Object();
  /** Locations with a write or a fill in progress; guarded by {@link #lock}. */
  private final Map<String, Activity> active = new HashMap<>();
  /** Names of cache tier objects no longer indexed, to delete outside any lock. */
  private final Queue<String> doomed = new ConcurrentLinkedQueue<>();
  private final AtomicLong fillCounter = new AtomicLong();
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder bypasses = new LongAdder();
  private final LongAdder evictions = new LongAdder();
  private final LongAdder damaged = new LongAdder();

  private CachingStorage(Builder b) {
    this.backing = b.backing;
    this.tier = b.tier;
    this.maxBytes = b.maxBytes;
    this.maxObjectSize = b.maxObjectSize;
    this.tierPrefix = b.tierPrefix;
    CacheBuilder<String, Entry> cache =
        CacheBuilder.newBuilder()
            .concurrencyLevel(1) // one segment: the whole bound is available to every object
            .maximumWeight(maxBytes)
            .weigher((String location, Entry entry) -> (int) Math.max(1, entry.metadata().size()))
            .removalListener(this::removed);
    if (b.expireAfterWrite != null) {
      cache.expireAfterWrite(b.expireAfterWrite);
    }
    this.index = cache.build();
    purgeTier();
  }

  /**
   * Starts building a cache of {@code backing} in {@code tier}, holding at most {@code maxBytes}
   * bytes of cached objects.
   *
   * @param backing the store that holds the objects, the authority on what is stored
   * @param tier the store that holds the cached copies; everything under the tier prefix belongs to
   *     the cache
   * @param maxBytes the most bytes of cached objects the tier may hold, positive
   * @return a new builder with the default options
   * @throws IllegalArgumentException if {@code maxBytes} is not positive, or the two stores are
   *     one
   */
  public static Builder builder(ExternalStorage backing, ExternalStorage tier, long maxBytes) {
    return new Builder(backing, tier, maxBytes);
  }

  /**
   * What the cache has done since it was built, and what it holds now.
   *
   * <p>Every load counts once, as a hit, a miss or a bypass. A load that waited for another
   * load's fill and was then served from the cache tier is a hit.
   *
   * @param hits loads served from the cache tier (including a load that found the copy damaged only
   *     at its end)
   * @param misses loads served from the backing store of objects small enough to cache (including
   *     loads of absent objects, and loads that found a cached copy damaged or gone)
   * @param bypasses loads of objects larger than the maximum object size, streamed from the
   *     backing store without caching
   * @param evictions objects dropped to keep the bound, or expired (not those invalidated by
   *     writes, or dropped as damaged)
   * @param damaged cached copies found changed or damaged in the cache tier, and dropped (a copy
   *     the tier no longer holds is dropped too, but not counted: a concurrent write or eviction
   *     deletes copies as well)
   * @param objectsCached objects indexed now
   * @param bytesCached total size of the objects indexed now; never more than {@code maxBytes}
   * @param maxBytes the bound
   */
  public record Statistics(
      long hits,
      long misses,
      long bypasses,
      long evictions,
      long damaged,
      long objectsCached,
      long bytesCached,
      long maxBytes) {}

  /**
   * The counters and the current content of the cache. Counting the content takes a pass over the
   * index (one step per cached object).
   *
   * @return a snapshot of the counters and of the cached objects' count and bytes, taken now
   */
  public Statistics statistics() {
    index.cleanUp();
    drainDoomed();
    long objects = 0;
    long bytes = 0;
    for (Entry entry : index.asMap().values()) {
      objects++;
      bytes += entry.metadata().size();
    }
    return new Statistics(
        hits.sum(), misses.sum(), bypasses.sum(), evictions.sum(), damaged.sum(), objects, bytes, maxBytes);
  }

  /**
   * The backing store, the authority on what is stored.
   *
   * @return the backing store given to the builder
   */
  public ExternalStorage backing() {
    return backing;
  }

  /**
   * The store that holds the cached copies.
   *
   * @return the cache tier given to the builder
   */
  public ExternalStorage tier() {
    return tier;
  }

  /** Names the cache and both of its stores. */
  @Override
  public String toString() {
    return "CachingStorage[" + backing + " cached in " + tier + "]";
  }

  // ---------------------------------------------------------------------------------------------
  // Loads

  @Override
  protected InputStream openObject(Location location) throws IOException {
    String loc = location.value();
    try {
      Entry entry = index.getIfPresent(loc);
      if (entry != null) {
        InputStream cached = openCached(loc, entry);
        if (cached != null) {
          hits.increment();
          return cached;
        }
      }
      return openUncached(loc);
    } finally {
      drainDoomed();
    }
  }

  /**
   * Opens the cached copy, verifying as it is read; {@code null} (and the entry dropped) if the
   * cache tier shows before the first byte that the copy is gone, damaged, or not the one indexed.
   */
  private InputStream openCached(String loc, Entry entry) {
    try {
      Metadata recorded = tier.getMetadata(entry.key());
      if (!recorded.equals(entry.metadata())) {
        dropDamaged(loc, entry, "the cache tier records MD5 " + recorded.md5() + " and " + recorded.size()
            + " bytes for it, but " + entry.metadata().md5() + " and " + entry.metadata().size() + " were cached");
        return null;
      }
      return new CachedCopyStream(tier.loadStream(entry.key()), loc, entry);
    } catch (MissingExternalResourceException e) {
      // Dropped by a concurrent write or eviction, or lost by the tier: either way, not here.
      Log.LOG.debug("{}: the cached copy of {} is gone from the cache tier", this, quote(loc));
      forget(loc, entry);
      return null;
    } catch (ChangedExternalResourceException e) {
      dropDamaged(loc, entry, e.getMessage());
      return null;
    } catch (ExternalResourceException e) {
      Log.LOG.warn("{}: the cache tier failed to open the cached copy of {}; loading from {}", this, quote(loc), backing, e);
      forget(loc, entry);
      return null;
    }
  }

  private InputStream openUncached(String loc) throws IOException {
    Fill fill = null;
    Fill joined = null;
    synchronized (lock) {
      Activity activity = active.get(loc);
      if (activity == null || activity.writers == 0) {
        if (activity != null && activity.fill != null) {
          joined = activity.fill;
        } else {
          if (activity == null) {
            activity = new Activity();
            active.put(loc, activity);
          }
          fill = new Fill();
          activity.fill = fill;
        }
      }
    }
    if (joined != null) {
      return afterJoining(loc, joined);
    }
    if (fill == null) { // a write of this location is in progress: do not cache what we read
      misses.increment();
      return passThrough(loc);
    }
    Outcome outcome = Outcome.NOT_CACHED;
    try {
      outcome = fill(loc, fill);
    } finally {
      synchronized (lock) {
        Activity activity = active.get(loc);
        if (activity.fill == fill) {
          activity.fill = null;
        }
        if (activity.idle()) {
          active.remove(loc);
        }
      }
      fill.done.complete(outcome);
    }
    switch (outcome.kind) {
      case ABSENT:
        misses.increment();
        return null;
      case BYPASS:
        bypasses.increment();
        return fill.bypassed != null ? fill.bypassed : passThrough(loc);
      case CACHED:
        {
          misses.increment();
          InputStream cached = openCached(loc, outcome.entry);
          return cached != null ? cached : passThrough(loc);
        }
      default:
        misses.increment();
        return passThrough(loc);
    }
  }

  /**
   * Copies the object into the cache tier, verified against the backing store's metadata, and
   * indexes the copy unless a write of the location overlapped.
   */
  private Outcome fill(String loc, Fill fill) {
    StoredObject opened;
    try {
      opened = Tiers.open(backing, loc); // one request where the backing store can (an S3 GET)
    } catch (ExternalResourceException e) {
      throw Tiers.renamed(this, e);
    }
    if (opened == null) {
      return Outcome.ABSENT;
    }
    Metadata metadata = opened.metadata();
    if (metadata.size() > maxObjectSize) {
      fill.bypassed = opened.stream(); // the filler reads it, rather than opening the object again
      return Outcome.BYPASS;
    }
    String key = newKey();
    try (InputStream in = opened.stream()) {
      // A verified stream: the tier's store takes its check over and hashes nothing again.
      tier.storeStream(key, in, WritePolicy.OVERWRITE);
    } catch (ExternalResourceException | IOException e) {
      // A cache tier that refuses (full, failing) costs a cache miss, not a failed load.
      Log.LOG.warn("{}: could not cache {} in {}; loading from {}", this, quote(loc), tier, backing, e);
      return Outcome.NOT_CACHED;
    }
    Entry entry = new Entry(metadata, key);
    synchronized (lock) {
      if (!fill.spoiled) {
        index.put(loc, entry);
        return new Outcome(Kind.CACHED, entry);
      }
    }
    doomed.add(key);
    return Outcome.NOT_CACHED;
  }

  private InputStream afterJoining(String loc, Fill joined) throws IOException {
    Outcome outcome;
    try {
      outcome = joined.done.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for another load of " + quote(loc) + " to fill the cache");
    } catch (ExecutionException e) {
      throw new AssertionError("a fill never completes exceptionally", e);
    }
    boolean spoiled;
    synchronized (lock) {
      spoiled = joined.spoiled;
    }
    if (!spoiled && outcome.kind == Kind.CACHED) {
      InputStream cached = openCached(loc, outcome.entry);
      if (cached != null) {
        hits.increment();
        return cached;
      }
    }
    if (outcome.kind == Kind.BYPASS) {
      bypasses.increment();
    } else {
      misses.increment();
    }
    // A fill that a write overlapped may have seen the old state: read the backing store anew.
    return spoiled || outcome.kind != Kind.ABSENT ? passThrough(loc) : null;
  }

  private InputStream passThrough(String loc) {
    try {
      return backing.loadStream(loc);
    } catch (MissingExternalResourceException e) {
      return null;
    } catch (ExternalResourceException e) {
      throw Tiers.renamed(this, e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Writes

  @Override
  protected boolean writeObject(Location location, ObjectSource source, boolean replaceExisting) {
    String loc = location.value();
    beginWrite(loc);
    try {
      return Tiers.store(this, backing, loc, source, replaceExisting);
    } finally {
      endWrite(loc);
    }
  }

  @Override
  protected boolean deleteObject(Location location) {
    String loc = location.value();
    beginWrite(loc);
    try {
      return backing.deleteIfExists(loc);
    } catch (ExternalResourceException e) {
      throw Tiers.renamed(this, e);
    } finally {
      endWrite(loc);
    }
  }

  /** Copies within the backing store, with its fast copy where it has one. */
  @Override
  protected Metadata copyObject(Location from, Location to, boolean replaceExisting) {
    return inBacking(replaceExisting, policy -> backing.copy(from.value(), to.value(), policy), to.value());
  }

  /** Moves within the backing store, with its rename where it has one. */
  @Override
  protected Metadata moveObject(Location from, Location to, boolean replaceExisting) {
    return inBacking(replaceExisting, policy -> backing.move(from.value(), to.value(), policy),
        from.value(), to.value());
  }

  /**
   * Runs a copy or move in the backing store under {@code OVERWRITE} ({@code replaceExisting}) or
   * {@code CREATE}, with every location in {@code written} marked as being written (their cached
   * copies dropped, fills spoiled) while it runs. Returns {@code null} for a refused {@code
   * CREATE}, as the hooks must.
   */
  private Metadata inBacking(
      boolean replaceExisting, java.util.function.Function<WritePolicy, Metadata> call, String... written) {
    for (String loc : written) {
      beginWrite(loc);
    }
    try {
      return call.apply(replaceExisting ? WritePolicy.OVERWRITE : WritePolicy.CREATE);
    } catch (ExistingExternalResourceException e) {
      if (!replaceExisting) {
        return null;
      }
      throw Tiers.renamed(this, e);
    } catch (ExternalResourceException e) {
      throw Tiers.renamed(this, e);
    } finally {
      for (int i = written.length - 1; i >= 0; i--) {
        endWrite(written[i]);
      }
    }
  }

  /**
   * Marks a write of {@code loc} as in progress: spoils a fill under way (it will not be indexed),
   * keeps new fills from starting, and drops the cached copy.
   */
  private void beginWrite(String loc) {
    synchronized (lock) {
      Activity activity = active.computeIfAbsent(loc, k -> new Activity());
      activity.writers++;
      if (activity.fill != null) {
        activity.fill.spoiled = true;
      }
      index.invalidate(loc);
    }
    drainDoomed();
  }

  /** Ends a write of {@code loc}; drops the cached copy again. */
  private void endWrite(String loc) {
    synchronized (lock) {
      Activity activity = active.get(loc);
      activity.writers--;
      if (activity.fill != null) {
        activity.fill.spoiled = true;
      }
      index.invalidate(loc);
      if (activity.idle()) {
        active.remove(loc);
      }
    }
    drainDoomed();
  }

  // ---------------------------------------------------------------------------------------------
  // What the backing store answers

  @Override
  protected boolean objectExists(Location location) {
    try {
      return backing.exists(location.value());
    } catch (ExternalResourceException e) {
      throw Tiers.renamed(this, e);
    }
  }

  @Override
  protected Metadata objectMetadata(Location location) {
    try {
      return backing.findMetadata(location.value()).orElse(null);
    } catch (ExternalResourceException e) {
      throw Tiers.renamed(this, e);
    }
  }

  @Override
  protected OpenObject openWithMetadata(Location location) {
    try {
      StoredObject opened = Tiers.open(backing, location.value());
      return opened == null ? null : new OpenObject(opened.stream(), opened.metadata());
    } catch (ExternalResourceException e) {
      throw Tiers.renamed(this, e);
    }
  }

  @Override
  protected Stream<String> listObjects(String prefix) {
    return listObjects(prefix, "");
  }

  /** The backing store's listing from {@code startAfter}. */
  @Override
  protected Stream<String> listObjects(String prefix, String startAfter) {
    try {
      return backing.iterContents(prefix, startAfter);
    } catch (ExternalResourceException e) {
      throw Tiers.renamed(this, e);
    }
  }

  /**
   * The backing store's listing from {@code startAfter} with the content it reads (rule I8): the
   * backing store is the authority on what is stored, and its core has checked the content, which
   * this core then takes as checked (no second hash).
   */
  @Override
  protected Stream<ListedObject> listObjects(String prefix, String startAfter, int maxBytes) {
    try {
      return backing.iterObjects(prefix, startAfter, maxBytes);
    } catch (ExternalResourceException e) {
      throw Tiers.renamed(this, e);
    }
  }

  @Override
  protected URI objectUri(Location location) {
    try {
      return backing.uri(location.value());
    } catch (ExternalResourceException e) {
      throw Tiers.renamed(this, e);
    }
  }

  @Override
  protected void closeStorage() throws IOException {
    index.invalidateAll();
    index.cleanUp();
    drainDoomed();
    try {
      purgeTier();
    } catch (RuntimeException e) {
      Log.LOG.warn("{}: could not empty the cache tier on close", this, e);
    }
    Tiers.closeAll(List.of(tier, backing));
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  /** Guava's removal listener: counts evictions and dooms the cache tier's copy. */
  private void removed(RemovalNotification<String, Entry> removal) {
    if (removal.wasEvicted()) {
      evictions.increment();
    }
    Entry entry = removal.getValue();
    if (entry != null) {
      doomed.add(entry.key());
    }
  }

  /** Deletes the doomed copies from the cache tier, outside any lock. */
  private void drainDoomed() {
    String key;
    while ((key = doomed.poll()) != null) {
      try {
        tier.deleteIfExists(key);
      } catch (RuntimeException e) {
        Tiers.logLeak(this, tier, key, e);
      }
    }
  }

  private void forget(String loc, Entry entry) {
    index.asMap().remove(loc, entry);
    drainDoomed();
  }

  private void dropDamaged(String loc, Entry entry, String why) {
    damaged.increment();
    Log.LOG.warn("{}: dropping the cached copy of {}: {}", this, quote(loc), why);
    forget(loc, entry);
  }

  /** Deletes everything under the tier prefix, while listing it (rule I4 allows it). */
  private void purgeTier() {
    try (Stream<String> listing = tier.iterContents(tierPrefix)) {
      listing.forEach(tier::deleteIfExists);
    }
  }

  private String newKey() {
    long n = fillCounter.incrementAndGet();
    return tierPrefix + String.format("%02x/%d", n & 0xff, n);
  }

  private static String quote(String loc) {
    return Location.quote(loc);
  }

  /** A cached copy: the backing store's metadata when it was filled, and its name in the tier. */
  private record Entry(Metadata metadata, String key) {}

  /** Writes and the fill in progress for one location. */
  private static final class Activity {
    int writers;
    Fill fill;

    boolean idle() {
      return writers == 0 && fill == null;
    }
  }

  /** A fill in progress; others loading the same location wait for it. */
  private static final class Fill {
    final CompletableFuture<Outcome> done = new CompletableFuture<>();
    boolean spoiled; // guarded by lock: a write overlapped, the copy must not be indexed
    InputStream bypassed; // the filler's own: the object it opened and found too large to cache
  }

  private enum Kind { ABSENT, BYPASS, CACHED, NOT_CACHED }

  private record Outcome(Kind kind, Entry entry) {
    static final Outcome ABSENT = new Outcome(Kind.ABSENT, null);
    static final Outcome BYPASS = new Outcome(Kind.BYPASS, null);
    static final Outcome NOT_CACHED = new Outcome(Kind.NOT_CACHED, null);
  }

  /**
   * Serves a cached copy, verified against the metadata it was filled with; drops the copy if the
   * cache tier fails or the bytes turn out damaged.
   */
  private final class CachedCopyStream extends BulkInputStream {
    private final InputStream in;
    private final String loc;
    private final Entry entry;

    CachedCopyStream(InputStream raw, String loc, Entry entry) {
      this.in = VerifyingInputStream.ofMetadata(
          raw, entry.metadata(), loc, CachingStorage.this + ": load of the cached copy " + entry.key(), "R2");
      this.loc = loc;
      this.entry = entry;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return in.read(b, off, len);
      } catch (ChangedExternalResourceException e) {
        dropDamaged(loc, entry, e.getMessage());
        throw new ChangedExternalResourceException(
            CachingStorage.this + ": the cached copy of " + quote(loc) + " in " + tier
                + " is damaged; it was dropped, and the next load reads " + backing + " (rule R2)",
            loc,
            e);
      } catch (IOException | RuntimeException e) {
        forget(loc, entry);
        throw e;
      }
    }

    @Override
    public int available() throws IOException {
      return in.available();
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /** Options of a {@link CachingStorage}. */
  public static final class Builder {
    private final ExternalStorage backing;
    private final ExternalStorage tier;
    private final long maxBytes;
    private long maxObjectSize;
    private String tierPrefix = "";
    private Duration expireAfterWrite;

    private Builder(ExternalStorage backing, ExternalStorage tier, long maxBytes) {
      this.backing = Objects.requireNonNull(backing, "backing");
      this.tier = Objects.requireNonNull(tier, "tier");
      if (backing == tier) {
        throw new IllegalArgumentException("the cache tier must be another store than the backing store: " + tier);
      }
      if (maxBytes <= 0) {
        throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
      }
      this.maxBytes = maxBytes;
      this.maxObjectSize = Math.min(Math.max(1, maxBytes / 8), Integer.MAX_VALUE);
    }

    /**
     * Objects larger than this many bytes are never cached: loads stream them from the backing
     * store (and count as bypasses). Default: an eighth of {@code maxBytes}, so that one object
     * never flushes most of the cache. At most {@code maxBytes}, and at most {@link
     * Integer#MAX_VALUE} (the largest weight Guava's cache can give one entry).
     *
     * @param bytes the largest object that may be cached, in bytes
     * @return this builder
     * @throws IllegalArgumentException if out of those bounds, or negative
     */
    public Builder maxObjectSize(long bytes) {
      if (bytes < 0 || bytes > maxBytes || bytes > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            "maxObjectSize must be between 0 and min(maxBytes, Integer.MAX_VALUE) = "
                + Math.min(maxBytes, Integer.MAX_VALUE) + ": " + bytes);
      }
      this.maxObjectSize = bytes;
      return this;
    }

    /**
     * Keeps the cached copies under this prefix of the cache tier (a listing prefix per rule L5,
     * for example {@code "cache/"}). Default: empty, the whole tier. Everything under it belongs to
     * the cache and is deleted when the cache is built and closed.
     *
     * @param prefix the tier prefix, empty or a valid location optionally ending in {@code /}
     * @return this builder
     * @throws org.stowage.InvalidLocationException if it breaks rule L5
     * @throws IllegalArgumentException if it leaves no room in a location for the generated names
     */
    public Builder tierPrefix(String prefix) {
      Location.checkPrefix(prefix);
      if (prefix.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > Location.MAX_BYTES - KEY_ROOM) {
        throw new IllegalArgumentException("the tier prefix must leave " + KEY_ROOM + " bytes of a location free");
      }
      this.tierPrefix = prefix;
      return this;
    }

    /**
     * Drops a cached copy this long after it was filled, so that writes made to the backing store
     * around the cache are seen after at most this long. Default: never (only the bound and writes
     * through the cache drop copies).
     *
     * @param duration how long a cached copy lives after it is filled; zero or more
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder expireAfterWrite(Duration duration) {
      Objects.requireNonNull(duration, "duration");
      if (duration.isNegative()) {
        throw new IllegalArgumentException("expireAfterWrite must not be negative: " + duration);
      }
      this.expireAfterWrite = duration;
      return this;
    }

    /**
     * Builds the cache, after deleting whatever the cache tier holds under the tier prefix.
     *
     * @return a new, open cache, owned by the caller
     * @throws ExternalResourceException if the cache tier cannot be listed or emptied
     */
    public CachingStorage build() {
      return new CachingStorage(this);
    }
  }
}
