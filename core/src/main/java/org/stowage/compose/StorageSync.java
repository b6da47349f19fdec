package org.stowage.compose;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExistingExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.WritePolicy;

/**
 * Brings two stores into agreement ({@link #sync}), or moves objects from one store to another
 * ({@link #migrate}), whatever their backends.
 *
 * <pre>{@code
 * SyncReport report = StorageSync.sync(local, s3, StorageSync.Direction.SOURCE_TO_TARGET,
 *     SyncOptions.defaults().withPrefix("results/").withParallelism(16));
 * if (!report.isComplete()) { ... report.conflicts(), report.errors() ... }
 * }</pre>
 *
 * <h2>Sync</h2>
 *
 * <p>Walks both listings side by side (both are sorted, rule I2, so this takes one pass and
 * constant memory) and compares each object present on both sides by MD5 and size, through
 * {@code getMetadata}: identical objects are skipped, never re-read; the others are copied,
 * streamed and verified against the source's metadata ({@link ExternalStorage#copyTo}), so a
 * damaged object is reported as an error and never copied.
 *
 * <ul>
 *   <li>{@link Direction#SOURCE_TO_TARGET}: objects missing or different on the target are copied
 *       from the source (the source is the authority: no conflicts). Objects only on the target
 *       are left alone.
 *   <li>{@link Direction#MIRROR}: as {@code SOURCE_TO_TARGET}, and objects the source lacks are
 *       deleted from the target (checked again just before): the target ends up equal to the
 *       source. This is how to bring a mirror's secondary back in line.
 *   <li>{@link Direction#BOTH_WAYS}: objects on one side only are copied to the other. Objects on
 *       both sides with different content are conflicts, handled by the {@link ConflictRule}:
 *       {@link ConflictRule#REPORT} (the default) leaves both as they are and lists them in the
 *       report; {@link ConflictRule#SOURCE_WINS} and {@link ConflictRule#TARGET_WINS} copy one
 *       side over the other.
 * </ul>
 *
 * <p>Nothing is deleted by a sync, except from the target by {@link Direction#MIRROR}. Objects go
 * in parallel, at most {@link
 * SyncOptions#parallelism()} at once; a failure of one object is recorded in the report and does
 * not stop the others. A sync interrupted halfway (a failure, a crash) is resumed by running it
 * again: objects already copied are identical by then, so they are skipped, and none is copied
 * twice.
 *
 * <p>Why conflicts are reported by default: without a record of the last sync, two differing
 * objects say nothing about which side changed, and picking a winner would silently destroy the
 * other side's change. The caller, who knows, picks a rule.
 *
 * <h2>Migrate</h2>
 *
 * <p>Moves every object under a prefix from one store to another. For each object: copy it
 * (streamed, verified against the source's metadata), verify the target's object (by re-reading
 * it with {@code verify}, or with {@link SyncOptions#verifyByReading} false by comparing its
 * recorded metadata), check that the source still holds what was copied, and only then delete it
 * from the source. A migration interrupted at any step loses nothing: every object is, at every
 * moment, on the source, or verified on the target. An object already on the target with the
 * same content (left by an interrupted migration) is not copied again; one with other content is
 * a conflict and stays on both sides. Run it again to resume.
 *
 * <p>A migration assumes no one else writes the source under the prefix meanwhile: it re-checks
 * the source's metadata just before deleting, and keeps an object that changed, but a write
 * between that check and the delete would be lost.
 *
 * <h2>Failures</h2>
 *
 * <p>Per-object failures are collected in the report. A failure to list either store stops the
 * run: it waits for the objects under way, then throws the {@link ExternalResourceException}. If
 * the calling thread is interrupted, the run stops the same way, throws an {@link
 * ExternalResourceException} whose cause is the {@link InterruptedException}, and keeps the
 * interrupt flag set.
 */
public final class StorageSync {
  /** The logger, asked for at its first message (see {@code ExternalStorage.Log}). */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(StorageSync.class);
  }
  private static final int RACE_RETRIES = 2;

  private StorageSync() {}

  /** Which way objects go. */
  public enum Direction {
    /** From the source to the target only; objects only on the target are left alone. */
    SOURCE_TO_TARGET,
    /**
     * From the source to the target, and objects the source lacks are deleted from the target: the
     * target ends up equal to the source under the prefix (what rsync calls {@code --delete}).
     */
    MIRROR,
    /** Each side gets what the other has; differences are conflicts. */
    BOTH_WAYS
  }

  /** What a two-way sync does with an object that differs on the two sides. */
  public enum ConflictRule {
    /** Leave both, and list the object in {@link SyncReport#conflicts()}. The default. */
    REPORT,
    /** Copy the source's object over the target's. */
    SOURCE_WINS,
    /** Copy the target's object over the source's. */
    TARGET_WINS
  }

  /** What happened to one object. */
  public enum Action {
    /** Copied from the source to the target. */
    COPIED_TO_TARGET,
    /** Copied from the target to the source. */
    COPIED_TO_SOURCE,
    /** Deleted from the target, which the source lacked ({@link Direction#MIRROR}). */
    DELETED_FROM_TARGET,
    /** Identical on both sides; nothing done. */
    SKIPPED,
    /** Migrated: on the target, verified, and deleted from the source. */
    MOVED,
    /** Different on the two sides; left as it is. */
    CONFLICT,
    /** Could not be handled; see the report's errors. */
    FAILED
  }

  /**
   * One object handled.
   *
   * @param location the object's location
   * @param action what happened to it
   * @param bytes the bytes copied for it (0 if none)
   * @param handled how many objects this run has handled so far, this one included
   */
  public record Progress(String location, Action action, long bytes, long handled) {}

  /**
   * Hears about every object a sync or a migration handles, from the threads that handle them:
   * keep it short and thread-safe. What it throws is logged and otherwise ignored.
   */
  @FunctionalInterface
  public interface Listener {
    /**
     * Called once per object handled.
     *
     * @param progress the object handled, what was done with it, and the running count
     */
    void onProgress(Progress progress);
  }

  /**
   * An object that differs on the two sides, left as it is.
   *
   * @param location its location
   * @param source its metadata on the source
   * @param target its metadata on the target
   */
  public record Conflict(String location, Metadata source, Metadata target) {}

  /**
   * An object that could not be handled.
   *
   * @param location its location
   * @param error why
   */
  public record Failure(String location, RuntimeException error) {}

  /**
   * Same as {@code sync(source, target, direction, SyncOptions.defaults())}.
   *
   * @param source the store synced from
   * @param target the store synced to
   * @param direction one way, mirror, or both ways
   * @return what was done (see {@link #sync(ExternalStorage, ExternalStorage, Direction,
   *     SyncOptions)})
   */
  public static SyncReport sync(ExternalStorage source, ExternalStorage target, Direction direction) {
    return sync(source, target, direction, SyncOptions.defaults());
  }

  /**
   * Syncs the objects under {@code options.prefix()} from {@code source} to {@code target}, or
   * both ways; see the class description.
   *
   * @param source the store synced from; not closed here
   * @param target the store synced to; not closed here
   * @param direction one way, mirror, or both ways
   * @param options the prefix, parallelism, conflict rule and listener
   * @return what was done; {@link SyncReport#isComplete()} says whether both sides are now equal
   *     (as far as the direction goes)
   * @throws IllegalArgumentException if {@code source} and {@code target} are the same store
   * @throws ExternalResourceException if listing either store fails, or the thread is interrupted
   */
  public static SyncReport sync(
      ExternalStorage source, ExternalStorage target, Direction direction, SyncOptions options) {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(direction, "direction");
    Objects.requireNonNull(options, "options");
    if (source == target) {
      throw new IllegalArgumentException("cannot sync a store with itself: " + source);
    }
    String what = "sync of " + source + " and " + target;
    try (Run run = new Run(options, what);
        Stream<String> left = source.iterContents(options.prefix());
        Stream<String> right = target.iterContents(options.prefix())) {
      Iterator<SortedMerge.Pair> pairs = new SortedMerge(left.iterator(), right.iterator());
      while (pairs.hasNext()) {
        SortedMerge.Pair pair = pairs.next();
        if (!pair.left() && direction == Direction.SOURCE_TO_TARGET) {
          continue; // only on the target: not this sync's business
        }
        run.submit(pair.location(), () -> syncOne(source, target, direction, options.conflictRule(), pair, run));
      }
      run.finish();
      return new SyncReport(
          run.toTarget.sum(),
          run.toSource.sum(),
          run.deleted.sum(),
          run.skipped.sum(),
          run.bytes.sum(),
          run.conflicts(),
          run.errors());
    }
  }

  /**
   * Same as {@code migrate(prefix, from, to, SyncOptions.defaults())}.
   *
   * @param prefix a listing prefix per rule L5; empty for everything
   * @param from the store the objects leave
   * @param to the store the objects go to
   * @return what was done (see {@link #migrate(String, ExternalStorage, ExternalStorage,
   *     SyncOptions)})
   */
  public static MigrationReport migrate(String prefix, ExternalStorage from, ExternalStorage to) {
    return migrate(prefix, from, to, SyncOptions.defaults());
  }

  /**
   * Moves every object under {@code prefix} from {@code from} to {@code to}; see the class
   * description. {@code options.prefix()} is ignored.
   *
   * @param prefix a listing prefix per rule L5; empty for everything
   * @param from the store the objects leave; not closed here
   * @param to the store the objects go to; not closed here
   * @param options the parallelism, listener and verification; its prefix is ignored
   * @return what was done; {@link MigrationReport#isComplete()} says whether every object moved
   * @throws IllegalArgumentException if {@code from} and {@code to} are the same store
   * @throws ExternalResourceException if listing {@code from} fails, or the thread is interrupted
   */
  public static MigrationReport migrate(
      String prefix, ExternalStorage from, ExternalStorage to, SyncOptions options) {
    Location.checkPrefix(prefix);
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(options, "options");
    if (from == to) {
      throw new IllegalArgumentException("cannot migrate a store into itself: " + from);
    }
    String what = "migration of \"" + prefix + "\" from " + from + " to " + to;
    try (Run run = new Run(options, what); Stream<String> listing = from.iterContents(prefix)) {
      Iterator<String> locations = listing.iterator();
      while (locations.hasNext()) {
        String location = locations.next();
        run.submit(location, () -> migrateOne(from, to, location, options.verifyByReading(), run));
      }
      run.finish();
      return new MigrationReport(run.moved.sum(), run.copied.sum(), run.bytes.sum(), run.conflicts(), run.errors());
    }
  }

  private static void syncOne(
      ExternalStorage source,
      ExternalStorage target,
      Direction direction,
      ConflictRule rule,
      SortedMerge.Pair listed,
      Run run) {
    String loc = listed.location();
    for (int attempt = 0; ; attempt++) {
      // The listings say where to look; after a race, or before deleting, look everywhere.
      boolean askSource = listed.left() || attempt > 0 || direction == Direction.MIRROR;
      Metadata ms = askSource ? source.findMetadata(loc).orElse(null) : null;
      Metadata mt = listed.right() || attempt > 0 ? target.findMetadata(loc).orElse(null) : null;
      try {
        if (ms == null && mt == null) {
          return; // deleted from both since listed
        }
        if (ms != null && ms.equals(mt)) {
          run.skipped.increment();
          run.progress(loc, Action.SKIPPED, 0);
        } else if (mt == null) {
          run.copied(loc, Action.COPIED_TO_TARGET, source.copyTo(loc, target, loc, WritePolicy.CREATE));
        } else if (ms == null) {
          if (direction == Direction.BOTH_WAYS) {
            run.copied(loc, Action.COPIED_TO_SOURCE, target.copyTo(loc, source, loc, WritePolicy.CREATE));
          } else if (direction == Direction.MIRROR && target.deleteIfExists(loc)) {
            run.deleted.increment();
            run.progress(loc, Action.DELETED_FROM_TARGET, 0);
          }
        } else if (direction != Direction.BOTH_WAYS || rule == ConflictRule.SOURCE_WINS) {
          run.copied(loc, Action.COPIED_TO_TARGET, source.copyTo(loc, target, loc, WritePolicy.OVERWRITE));
        } else if (rule == ConflictRule.TARGET_WINS) {
          run.copied(loc, Action.COPIED_TO_SOURCE, target.copyTo(loc, source, loc, WritePolicy.OVERWRITE));
        } else {
          run.conflict(new Conflict(loc, ms, mt));
        }
        return;
      } catch (ExistingExternalResourceException e) {
        if (attempt >= RACE_RETRIES) {
          throw e;
        }
        // created on the other side since we looked: compare again
      }
    }
  }

  private static void migrateOne(
      ExternalStorage from, ExternalStorage to, String loc, boolean verifyByReading, Run run) {
    Metadata ms = from.findMetadata(loc).orElse(null);
    if (ms == null) {
      return; // deleted since listed: nothing to move
    }
    Metadata mt = to.findMetadata(loc).orElse(null);
    boolean copied = false;
    if (mt == null) {
      try {
        mt = from.copyTo(loc, to, loc, WritePolicy.CREATE);
        copied = true;
      } catch (ExistingExternalResourceException e) {
        mt = to.getMetadata(loc); // created on the target since we looked
      }
    }
    if (!mt.equals(ms)) {
      if (!copied) {
        run.conflict(new Conflict(loc, ms, mt));
        return;
      }
      throw new ChangedExternalResourceException(
          "migration of \"" + loc + "\": the source changed while it was copied; it stays on " + from
              + ", run the migration again",
          loc);
    }
    Metadata verified = verifyByReading ? to.verify(loc) : to.getMetadata(loc);
    if (!verified.equals(ms)) {
      throw new ChangedExternalResourceException(
          "migration of \"" + loc + "\": " + to + " holds MD5 " + verified.md5() + " and " + verified.size()
              + " bytes after the copy, but the source had " + ms.md5() + " and " + ms.size()
              + "; it stays on " + from,
          loc);
    }
    Metadata now = from.findMetadata(loc).orElse(null);
    if (now != null) {
      if (!now.equals(ms)) {
        throw new ChangedExternalResourceException(
            "migration of \"" + loc + "\": the source changed during the migration; it stays on " + from
                + ", run the migration again",
            loc);
      }
      from.deleteIfExists(loc);
    }
    run.moved.increment();
    if (copied) {
      run.copied.increment();
      run.bytes.add(ms.size());
    }
    run.progress(loc, Action.MOVED, copied ? ms.size() : 0);
  }

  /** One sync or migration under way: its threads, its bound, its counters. */
  private static final class Run implements AutoCloseable {
    private final ExecutorService pool;
    private final Semaphore slots;
    private final SyncOptions options;
    private final String what;
    private final AtomicLong handled = new AtomicLong();
    final LongAdder toTarget = new LongAdder();
    final LongAdder toSource = new LongAdder();
    final LongAdder deleted = new LongAdder();
    final LongAdder skipped = new LongAdder();
    final LongAdder moved = new LongAdder();
    final LongAdder copied = new LongAdder();
    final LongAdder bytes = new LongAdder();
    private final Queue<Conflict> conflicts = new ConcurrentLinkedQueue<>();
    private final Queue<Failure> errors = new ConcurrentLinkedQueue<>();
    private boolean finished;

    Run(SyncOptions options, String what) {
      this.options = options;
      this.what = what;
      this.slots = new Semaphore(options.parallelism() * 2);
      this.pool =
          Executors.newFixedThreadPool(
              options.parallelism(),
              new ThreadFactoryBuilder().setDaemon(true).setNameFormat("stowage-sync-%d").build());
    }

    /** Hands one object to the pool, waiting while enough are queued already (bounded memory). */
    void submit(String location, Runnable work) {
      try {
        slots.acquire();
      } catch (InterruptedException e) {
        throw interrupted(e);
      }
      pool.execute(
          () -> {
            try {
              work.run();
            } catch (RuntimeException e) {
              Log.LOG.warn("{}: {} failed", what, location, e);
              errors.add(new Failure(location, e));
              progress(location, Action.FAILED, 0);
            } finally {
              slots.release();
            }
          });
    }

    /** Waits for every object submitted. */
    void finish() {
      finished = true;
      pool.shutdown();
      try {
        while (!pool.awaitTermination(1, TimeUnit.MINUTES)) {
          Log.LOG.info("{}: still transferring; {} objects handled so far", what, handled.get());
        }
      } catch (InterruptedException e) {
        pool.shutdownNow();
        throw interrupted(e);
      }
    }

    /** On the way out after a failure: stops taking work, and waits for what is under way. */
    @Override
    public void close() {
      if (finished) {
        return;
      }
      finished = true;
      pool.shutdown();
      try {
        pool.awaitTermination(Long.MAX_VALUE, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        pool.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }

    void copied(String location, Action action, Metadata metadata) {
      (action == Action.COPIED_TO_SOURCE ? toSource : toTarget).increment();
      bytes.add(metadata.size());
      progress(location, action, metadata.size());
    }

    void conflict(Conflict conflict) {
      conflicts.add(conflict);
      progress(conflict.location(), Action.CONFLICT, 0);
    }

    void progress(String location, Action action, long transferred) {
      Progress p = new Progress(location, action, transferred, handled.incrementAndGet());
      try {
        options.listener().onProgress(p);
      } catch (RuntimeException e) {
        Log.LOG.warn("{}: the progress listener failed", what, e);
      }
    }

    List<Conflict> conflicts() {
      List<Conflict> out = new ArrayList<>(conflicts);
      out.sort(Comparator.comparing(Conflict::location, Location.UTF8_ORDER));
      return out;
    }

    List<Failure> errors() {
      List<Failure> out = new ArrayList<>(errors);
      out.sort(Comparator.comparing(Failure::location, Location.UTF8_ORDER));
      return out;
    }

    private ExternalResourceException interrupted(InterruptedException e) {
      Thread.currentThread().interrupt();
      return new ExternalResourceException(what + " was interrupted after " + handled.get() + " objects", e);
    }
  }
}
