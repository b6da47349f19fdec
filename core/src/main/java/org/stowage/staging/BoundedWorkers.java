package org.stowage.staging;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A fixed pool of daemon threads fed through a bounded window, so that a listing of millions of
 * objects never queues more than {@code 8 × threads} tasks: the submitter blocks instead. The
 * first task failure is kept and rethrown by {@link #submit} and {@link #await}; later tasks are
 * skipped.
 */
final class BoundedWorkers implements AutoCloseable {
  private final ExecutorService pool;
  private final Semaphore window;
  private final int permits;
  private final AtomicReference<RuntimeException> failure = new AtomicReference<>();

  BoundedWorkers(int threads, String name) {
    AtomicLong n = new AtomicLong();
    this.pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.permits = threads * 8;
    this.window = new Semaphore(permits);
  }

  /** Runs {@code task} on a worker, waiting for room; throws an earlier task's failure. */
  void submit(Runnable task) {
    throwIfFailed();
    window.acquireUninterruptibly();
    try {
      pool.execute(() -> {
        try {
          if (failure.get() == null) {
            task.run();
          }
        } catch (RuntimeException e) {
          failure.compareAndSet(null, e);
        } finally {
          window.release();
        }
      });
    } catch (RuntimeException e) {
      window.release();
      throw e;
    }
  }

  /** Waits until every task submitted so far has ended; throws the first failure. */
  void await() {
    window.acquireUninterruptibly(permits);
    window.release(permits);
    throwIfFailed();
  }

  void throwIfFailed() {
    RuntimeException e = failure.get();
    if (e != null) {
      throw e;
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
