package org.stowage.filesystem;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** For tests that race threads against a {@link FileStorage}: writers of one object, and the clean-up after. */
final class Racing {
  private Racing() {}

  /**
   * Starts one writer per version on {@code pool}: each waits at {@code start} (with the test's
   * readers), then stores its version at {@code location} {@code rounds} times; its future gives
   * {@code rounds}, or the writer's failure.
   */
  static List<Future<Integer>> overwriters(ExecutorService pool, CyclicBarrier start, FileStorage storage,
      String location, int rounds, byte[]... versions) {
    List<Future<Integer>> writers = new ArrayList<>();
    for (byte[] version : versions) {
      writers.add(pool.submit(() -> {
        start.await(10, TimeUnit.SECONDS);
        for (int i = 0; i < rounds; i++) {
          storage.storeBytes(location, version);
        }
        return rounds;
      }));
    }
    return writers;
  }

  /** After a test: stops its threads, if it started any, then closes its storage, if it opened one. */
  static void stop(ExecutorService pool, FileStorage storage) throws InterruptedException {
    if (pool != null) {
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS), "the test's threads stopped");
    }
    if (storage != null) {
      storage.close();
    }
  }
}
