package org.stowage.compose;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.stowage.MissingExternalResourceException;
import org.stowage.compose.FaultyStorage.Op;
import org.stowage.compose.FaultyStorage.Pause;

/**
 * Rule T1.1 for the mirror: a read never returns a version that a finished read already saw
 * replaced. The stress check on FileStorage tiers once saw it: a store of v3 had reached the
 * primary but not yet marked the secondary behind, a delete then emptied the primary, and a read
 * that missed there fell back to the secondary, which still held v2 and looked up to date.
 */
class MirroredStorageStaleReadTest {
  @Test
  @DisplayName("T1.1 a read during a store and a delete through a mirror never falls back to the version the store replaced")
  void noFallbackToAReplacedVersion() throws Exception {
    FaultyStorage primary = new FaultyStorage("primary");
    FaultyStorage secondary = new FaultyStorage("secondary");
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (MirroredStorage mirror =
        MirroredStorage.builder(primary, List.of(secondary))
            .replication(MirroredStorage.Replication.SYNCHRONOUS)
            .build()) {
      byte[] v2 = {2, 2};
      byte[] v3 = {3, 3, 3};
      mirror.storeBytes("x", v2);
      // The store of v3 stops right after the primary committed it, before the mirror marks the
      // secondary behind; a delete then stops right after it emptied the primary.
      Pause stored = primary.pauseAfter(Op.WRITE);
      CompletableFuture<?> store = CompletableFuture.runAsync(() -> mirror.storeBytes("x", v3), pool);
      stored.awaitReached();
      assertArrayEquals(v3, mirror.loadBytes("x"), "the primary holds v3 now");
      Pause deleted = primary.pauseAfter(Op.DELETE);
      CompletableFuture<?> delete = CompletableFuture.runAsync(() -> mirror.deleteIfExists("x"), pool);
      deleted.awaitReached();
      byte[] seen;
      try {
        seen = mirror.loadBytes("x");
      } catch (MissingExternalResourceException absent) {
        seen = null; // the delete's effect: fine
      }
      assertFalse(seen != null && seen.length == v2.length,
          "a read after v3 was seen returned v2, the version the store replaced");
      stored.resume();
      deleted.resume();
      store.get(10, TimeUnit.SECONDS);
      delete.get(10, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
  }
}
