package org.stowage.compose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.stowage.compose.FaultyStorage.Op;
import org.stowage.compose.FaultyStorage.Pause;

/**
 * Rules D1 and T1 for the mirror: of two concurrent deletes of one object, one reports the
 * deletion. FileMirroredStorageContractTest's parallel check once saw both report it: the second
 * missed on the primary, which the first had just emptied, and took the secondary, not yet marked
 * behind, for the truth.
 */
class MirroredStorageDeleteRaceTest {
  @Test
  @DisplayName("D1 T1 two concurrent deletes of one object through a mirror: exactly one reports the deletion")
  void concurrentDeletes() throws Exception {
    FaultyStorage primary = new FaultyStorage("primary");
    FaultyStorage secondary = new FaultyStorage("secondary");
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (MirroredStorage mirror =
        MirroredStorage.builder(primary, List.of(secondary))
            .replication(MirroredStorage.Replication.SYNCHRONOUS)
            .build()) {
      mirror.storeBytes("x", new byte[] {1, 2, 3});
      // The first delete stops right after the primary removed the object.
      Pause pause = primary.pauseAfter(Op.DELETE);
      CompletableFuture<Boolean> first = CompletableFuture.supplyAsync(() -> mirror.deleteIfExists("x"), pool);
      pause.awaitReached();
      CompletableFuture<Boolean> second = CompletableFuture.supplyAsync(() -> mirror.deleteIfExists("x"), pool);
      // The second must not get ahead of the first with a stale answer; it may wait its turn.
      Boolean early = null;
      try {
        early = second.get(500, TimeUnit.MILLISECONDS);
      } catch (TimeoutException waiting) {
        // waits for the first delete: fine
      }
      pause.resume();
      boolean a = first.get(10, TimeUnit.SECONDS);
      boolean b = second.get(10, TimeUnit.SECONDS);
      assertEquals(1, (a ? 1 : 0) + (b ? 1 : 0),
          "one delete removed the object; the other found none (first " + a + ", second " + b
              + (early == null ? "" : ", answered before the first finished") + ")");
      assertFalse(mirror.exists("x"));
      assertFalse(secondary.exists("x"));
    } finally {
      pool.shutdownNow();
    }
  }
}
