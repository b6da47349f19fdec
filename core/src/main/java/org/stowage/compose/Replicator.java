package org.stowage.compose;

import com.google.common.util.concurrent.Striped;
import com.google.common.util.concurrent.ThreadFactoryBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Lock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stowage.ExternalStorage;
import org.stowage.Location;
import org.stowage.compose.MirroredStorage.PendingReplication;
import org.stowage.compose.MirroredStorage.Replication;
import org.stowage.compose.MirroredStorage.ReplicationListener;

/**
 * The replication of a {@link MirroredStorage}: which locations each secondary is behind on, and
 * the work that brings it level, in the writing thread ({@link Replication#SYNCHRONOUS}) or on
 * the mirror's threads ({@link Replication#BACKGROUND}), with retries and backoff, the bounded
 * backlog, and the reconciling of a secondary out of sync by walking both listings. The mirror
 * tells it which locations changed on the primary; reads ask it which secondaries are up to date.
 */
final class Replicator {
  /** The logger, asked for at its first message (see {@code ExternalStorage.Log}). */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(MirroredStorage.class);
  }
  private static final int STRIPES = 1024;

  private final Object owner;
  private final ExternalStorage primary;
  private final List<Secondary> secondaries;
  private final Replication replication;
  private final ReplicationListener listener;
  private final int maxPending;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final ScheduledThreadPoolExecutor executor;
  /** Serialises the replications of one location to one secondary. */
  private final Striped<Lock> replicationLocks = Striped.lazyWeakLock(STRIPES);
  /** Notified whenever a replication completes or a secondary gets back in sync. */
  private final Object progress = new Object();

  /**
   * @param owner the mirror, named in log messages
   * @param threadNames the prefix of the replication threads' names
   */
  Replicator(
      Object owner,
      ExternalStorage primary,
      List<ExternalStorage> secondaryStores,
      Replication replication,
      ReplicationListener listener,
      int maxPending,
      Duration initialBackoff,
      Duration maxBackoff,
      int threads,
      String threadNames) {
    this.owner = owner;
    this.primary = primary;
    List<Secondary> list = new ArrayList<>();
    for (int i = 0; i < secondaryStores.size(); i++) {
      list.add(new Secondary(i, secondaryStores.get(i)));
    }
    this.secondaries = List.copyOf(list);
    this.replication = replication;
    this.listener = listener;
    this.maxPending = maxPending;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
    this.executor =
        new ScheduledThreadPoolExecutor(
            threads, new ThreadFactoryBuilder().setDaemon(true).setNameFormat(threadNames + "-%d").build());
    executor.setRemoveOnCancelPolicy(true);
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  /** The secondaries, in the order reads try them. */
  List<Secondary> secondaries() {
    return secondaries;
  }

  /** What {@link MirroredStorage#pendingReplications()} returns. */
  List<PendingReplication> pendingReplications() {
    List<PendingReplication> out = new ArrayList<>();
    for (Secondary s : secondaries) {
      s.pending.forEach((location, task) -> out.add(task.snapshot(s, location)));
    }
    out.sort((a, b) -> Location.UTF8_ORDER.compare(a.location(), b.location()));
    return out;
  }

  /** What {@link MirroredStorage#outOfSyncSecondaries()} returns. */
  List<ExternalStorage> outOfSyncSecondaries() {
    return secondaries.stream().filter(s -> s.outOfSync).map(s -> s.storage).toList();
  }

  /** Reconciles every secondary out of sync and retries every pending replication, in this thread. */
  void retryAll() {
    for (Secondary s : secondaries) {
      if (s.outOfSync) {
        reconcile(s);
      }
      for (String location : new ArrayList<>(s.pending.keySet())) {
        replicate(s, location, false);
      }
    }
  }

  /** What {@link MirroredStorage#awaitReplication} waits for. */
  boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (progress) {
      while (!caughtUp()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(progress, left);
      }
      return true;
    }
  }

  /**
   * Stops the threads, waiting up to {@code timeout} for replications under way; then tries each
   * pending replication once more in this thread, and reports what is left.
   */
  void close(Duration timeout) {
    executor.shutdown();
    boolean stopped = false;
    try {
      stopped = executor.awaitTermination(timeout.toNanos(), TimeUnit.NANOSECONDS);
      if (!stopped) {
        Log.LOG.warn("{}: replications still running after {}; closing anyway", owner, timeout);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!stopped) {
      executor.shutdownNow();
    } else {
      // One last attempt of each pending replication, in this thread.
      for (Secondary s : secondaries) {
        for (String location : new ArrayList<>(s.pending.keySet())) {
          replicate(s, location, false);
        }
      }
    }
    List<PendingReplication> left = pendingReplications();
    List<ExternalStorage> outOfSync = outOfSyncSecondaries();
    if (!left.isEmpty() || !outOfSync.isEmpty()) {
      Log.LOG.warn("{}: closed with {} replications pending (first: {}) and {} secondaries out of sync; sync them"
              + " with StorageSync.sync(primary, secondary, Direction.MIRROR)",
          owner, left.size(), left.subList(0, Math.min(10, left.size())), outOfSync.size());
      notifyListener(() -> listener.unfinishedAtClose(left, outOfSync));
    }
  }

  /** Records that {@code loc} changed on the primary: each secondary is now behind for it. */
  void changed(String loc) {
    for (Secondary s : secondaries) {
      boolean[] overflow = {false};
      boolean[] submit = {false};
      s.pending.compute(
          loc,
          (k, task) -> {
            if (task == null) {
              if (s.size.incrementAndGet() > maxPending) {
                s.size.decrementAndGet();
                overflow[0] = true;
                return null;
              }
              task = new Task();
            }
            task.version++;
            if (replication == Replication.BACKGROUND && !task.queued) {
              task.queued = true;
              submit[0] = true;
            }
            return task;
          });
      if (overflow[0]) {
        markOutOfSync(s);
      }
      if (submit[0]) {
        schedule(s, loc, Duration.ZERO);
      }
    }
  }

  /** Replicates {@code loc} to every secondary now, under SYNCHRONOUS replication. */
  void replicateNow(String loc) {
    if (replication == Replication.SYNCHRONOUS) {
      for (Secondary s : secondaries) {
        replicate(s, loc, false);
      }
    }
  }

  /**
   * Makes {@code s} equal to the primary at {@code loc}, if a replication of it is pending;
   * repeats while writes come in meanwhile; records a failure for a retry.
   */
  private void replicate(Secondary s, String loc, boolean queuedRun) {
    Lock lock = replicationLocks.get(s.index + "/" + loc);
    lock.lock();
    try {
      while (true) {
        long[] seen = {-1};
        s.pending.computeIfPresent(
            loc,
            (k, task) -> {
              if (queuedRun) {
                task.queued = false;
              }
              seen[0] = task.version;
              return task;
            });
        if (seen[0] < 0) {
          return; // nothing pending
        }
        try {
          Tiers.makeEqual(primary, s.storage, loc);
        } catch (RuntimeException e) {
          failed(s, loc, e);
          return;
        }
        boolean[] done = {false};
        s.pending.computeIfPresent(
            loc,
            (k, task) -> {
              if (task.version == seen[0]) {
                done[0] = true;
                return null;
              }
              return task;
            });
        if (done[0]) {
          s.size.decrementAndGet();
          signalProgress();
          return;
        }
        // written again while we copied: once more, with the newer version
      }
    } finally {
      lock.unlock();
    }
  }

  private void failed(Secondary s, String loc, RuntimeException cause) {
    PendingReplication[] snapshot = {null};
    boolean[] retry = {false};
    s.pending.computeIfPresent(
        loc,
        (k, task) -> {
          task.attempts++;
          task.lastFailure = cause;
          if (!task.queued) {
            task.queued = true;
            retry[0] = true;
          }
          snapshot[0] = task.snapshot(s, k);
          return task;
        });
    if (snapshot[0] == null) {
      return; // replicated by someone else meanwhile
    }
    Log.LOG.warn("{}: replicating {} to {} failed (attempt {}); it stays pending",
        owner, Location.quote(loc), s.storage, snapshot[0].attempts(), cause);
    notifyListener(() -> listener.replicationFailed(snapshot[0], cause));
    if (retry[0]) {
      schedule(s, loc, backoff(snapshot[0].attempts()));
    }
  }

  private void schedule(Secondary s, String loc, Duration delay) {
    try {
      executor.schedule(() -> replicate(s, loc, true), delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // closing: the closing thread makes a last attempt and reports what is left
      s.pending.computeIfPresent(loc, (k, task) -> {
        task.queued = false;
        return task;
      });
    }
  }

  private Duration backoff(int attempts) {
    Duration delay = initialBackoff;
    for (int i = 1; i < attempts && delay.compareTo(maxBackoff) < 0; i++) {
      delay = delay.multipliedBy(2);
    }
    return delay.compareTo(maxBackoff) > 0 ? maxBackoff : delay;
  }

  private void markOutOfSync(Secondary s) {
    boolean first;
    boolean schedule;
    synchronized (s) {
      s.overflows++;
      first = !s.outOfSync;
      s.outOfSync = true;
      schedule = !s.reconcileQueued;
      s.reconcileQueued = true;
    }
    if (first) {
      Log.LOG.warn("{}: more than {} replications to {} are pending; it is out of sync until reconciled",
          owner, maxPending, s.storage);
      notifyListener(() -> listener.outOfSync(s.storage));
    }
    if (schedule) {
      scheduleReconcile(s, initialBackoff);
    }
  }

  private void scheduleReconcile(Secondary s, Duration delay) {
    try {
      executor.schedule(
          () -> {
            synchronized (s) {
              s.reconcileQueued = false;
            }
            reconcile(s);
          },
          delay.toNanos(),
          TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      synchronized (s) {
        s.reconcileQueued = false;
      }
    }
  }

  /**
   * Makes {@code s} equal to the primary everywhere, walking both listings; clears the out of sync
   * mark unless it overflowed again meanwhile.
   */
  private void reconcile(Secondary s) {
    long overflowsBefore;
    synchronized (s) {
      overflowsBefore = s.overflows;
    }
    try (Stream<String> left = primary.iterContents(); Stream<String> right = s.storage.iterContents()) {
      Iterator<SortedMerge.Pair> pairs = new SortedMerge(left.iterator(), right.iterator());
      while (pairs.hasNext()) {
        String loc = pairs.next().location();
        Lock lock = replicationLocks.get(s.index + "/" + loc);
        lock.lock();
        try {
          Tiers.makeEqual(primary, s.storage, loc);
        } finally {
          lock.unlock();
        }
      }
    } catch (RuntimeException e) {
      int attempts;
      boolean schedule;
      synchronized (s) {
        attempts = ++s.reconcileFailures;
        schedule = !s.reconcileQueued && !executor.isShutdown();
        s.reconcileQueued |= schedule;
      }
      Log.LOG.warn("{}: reconciling {} failed (attempt {}); it stays out of sync", owner, s.storage, attempts, e);
      if (schedule) {
        scheduleReconcile(s, backoff(attempts));
      }
      return;
    }
    synchronized (s) {
      if (s.overflows == overflowsBefore) {
        s.outOfSync = false;
        s.reconcileFailures = 0;
      }
    }
    Log.LOG.info("{}: reconciled {}", owner, s.storage);
    signalProgress();
  }

  private boolean caughtUp() {
    for (Secondary s : secondaries) {
      if (s.outOfSync || !s.pending.isEmpty()) {
        return false;
      }
    }
    return true;
  }

  private void signalProgress() {
    synchronized (progress) {
      progress.notifyAll();
    }
  }

  private void notifyListener(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      Log.LOG.warn("{}: the replication listener failed", owner, e);
    }
  }

  /** Whether {@code s} holds what the primary held when {@code loc} was last written through the mirror. */
  static boolean upToDate(Secondary s, String loc) {
    return !s.outOfSync && !s.pending.containsKey(loc);
  }

  /** One secondary and what it is behind on. */
  static final class Secondary {
    final int index;
    final ExternalStorage storage;
    final ConcurrentHashMap<String, Task> pending = new ConcurrentHashMap<>();
    final AtomicInteger size = new AtomicInteger();
    volatile boolean outOfSync;
    long overflows; // guarded by this
    boolean reconcileQueued; // guarded by this
    int reconcileFailures; // guarded by this

    Secondary(int index, ExternalStorage storage) {
      this.index = index;
      this.storage = storage;
    }
  }

  /** A pending replication; changed only inside the pending map's compute calls. */
  private static final class Task {
    long version;
    int attempts;
    RuntimeException lastFailure;
    boolean queued; // a background run is scheduled

    PendingReplication snapshot(Secondary s, String location) {
      return new PendingReplication(s.storage, location, attempts, Optional.ofNullable(lastFailure));
    }
  }
}
