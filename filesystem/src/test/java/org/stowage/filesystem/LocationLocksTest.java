package org.stowage.filesystem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.Location;

/** The two-location locks that renames take (rules T1 and M2). */
class LocationLocksTest {
  @TempDir Path dir;

  @Test
  @DisplayName("T1 M2 threads locking the same pairs in opposite orders never deadlock, and exclude each other")
  void oppositeOrders() throws Exception {
    LocationLocks locks = new LocationLocks(dir.resolve("lock"));
    // Pairs of locations whose slots fall in different JVM stripes and different file offsets,
    // so that taking them in argument order would let two threads each hold one and wait for the
    // other.
    List<Location[]> pairs = new ArrayList<>();
    for (int i = 0; pairs.size() < 4; i++) {
      Location a = Location.of("x/" + i);
      Location b = Location.of("y/" + i);
      if (LocationLocks.slotOf(a.value()) % 64 != LocationLocks.slotOf(b.value()) % 64) {
        pairs.add(new Location[] {a, b});
      }
    }
    int threads = 8;
    int rounds = 3000;
    AtomicInteger[] inside = new AtomicInteger[pairs.size()];
    for (int p = 0; p < inside.length; p++) {
      inside[p] = new AtomicInteger();
    }
    AtomicInteger overlaps = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CyclicBarrier start = new CyclicBarrier(threads);
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        boolean reversed = t % 2 == 1;
        workers.add(pool.submit(() -> {
          start.await(60, TimeUnit.SECONDS);
          for (int i = 0; i < rounds; i++) {
            int p = i % inside.length;
            Location[] pair = pairs.get(p);
            Location first = reversed ? pair[1] : pair[0];
            Location second = reversed ? pair[0] : pair[1];
            locks.withLocks(first, second, () -> {
              if (inside[p].incrementAndGet() != 1) {
                overlaps.incrementAndGet();
              }
              Thread.onSpinWait();
              inside[p].decrementAndGet();
              return null;
            });
          }
          return null;
        }));
      }
      for (Future<?> worker : workers) {
        try {
          worker.get(60, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
          throw new AssertionError("deadlock: a worker made no progress for a minute", e);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(0, overlaps.get(), "two threads held the locks of one pair at once");
  }

  @Test
  @DisplayName("T1 two locations that share a slot are locked once, without failing")
  void sharedSlot() throws Exception {
    LocationLocks locks = new LocationLocks(dir.resolve("lock"));
    Location a = Location.of("same");
    assertTrue(locks.withLocks(a, a, () -> true), "a pair of one slot runs its step");
    // And the slot is free again afterwards, for single and paired locks.
    assertTrue(locks.withLock(a, () -> true));
    assertTrue(locks.withLocks(a, Location.of("other"), () -> true));
  }
}
