package org.stowage.compose;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExistingExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.WritePolicy;
import org.stowage.compose.FaultyStorage.Op;

class CachingStorageTest {
  private final FaultyStorage backing = new FaultyStorage("backing");
  private final FaultyStorage tier = new FaultyStorage("tier");
  private final List<CachingStorage> opened = new ArrayList<>();

  private CachingStorage cache(long maxBytes, long maxObjectSize) {
    CachingStorage cache = CachingStorage.builder(backing, tier, maxBytes).maxObjectSize(maxObjectSize).build();
    opened.add(cache);
    return cache;
  }

  @AfterEach
  void closeAll() {
    opened.forEach(CachingStorage::close);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  private static byte[] random(int size, long seed) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return data;
  }

  @Test
  @DisplayName("a first load fills the cache tier; the next is served from it without reading the backing store")
  void readThrough() {
    CachingStorage cache = cache(1000, 100);
    byte[] data = bytes("0123456789");
    backing.storeBytes("a/x", data);
    assertArrayEquals(data, cache.loadBytes("a/x"));
    long opens = backing.calls(Op.OPEN);
    assertArrayEquals(data, cache.loadBytes("a/x"));
    assertArrayEquals(data, cache.loadBytes("a/x", Metadata.of(data)));
    assertEquals(opens, backing.calls(Op.OPEN), "served from the cache tier");
    CachingStorage.Statistics stats = cache.statistics();
    assertEquals(2, stats.hits());
    assertEquals(1, stats.misses());
    assertEquals(1, stats.objectsCached());
    assertEquals(10, stats.bytesCached());
    assertEquals(10, tier.bytesHeld());
    assertThrows(MissingExternalResourceException.class, () -> cache.loadBytes("a/none"));
  }

  @Test
  @DisplayName("T1 a store, delete, copy or move through the cache is seen by every later load")
  void coherentAfterWrites() {
    CachingStorage cache = cache(1000, 100);
    cache.storeBytes("k", bytes("one"));
    assertArrayEquals(bytes("one"), cache.loadBytes("k"));
    cache.storeBytes("k", bytes("two"));
    assertArrayEquals(bytes("two"), cache.loadBytes("k"));
    assertArrayEquals(bytes("two"), cache.loadBytes("k"));
    cache.storeBytes("j", bytes("jay"));
    assertArrayEquals(bytes("jay"), cache.loadBytes("j"));
    cache.copy("k", "j");
    assertArrayEquals(bytes("two"), cache.loadBytes("j"));
    cache.move("j", "m");
    assertThrows(MissingExternalResourceException.class, () -> cache.loadBytes("j"));
    assertArrayEquals(bytes("two"), cache.loadBytes("m"));
    cache.delete("k");
    assertThrows(MissingExternalResourceException.class, () -> cache.loadBytes("k"));
    cache.delete("m");
    assertEquals(0, tier.bytesHeld(), "dropped copies are deleted from the cache tier");
    assertEquals(0, cache.statistics().bytesCached());
  }

  @Test
  @DisplayName("T1 a load that read the old object before a store cannot leave it cached after the store returned")
  void fillRacingAStore() throws Exception {
    CachingStorage cache = cache(1000, 100);
    backing.storeBytes("k", bytes("old"));
    FaultyStorage.Pause pause = tier.pauseAfter(Op.WRITE); // the fill has copied "old" to the tier
    CompletableFuture<byte[]> racing = CompletableFuture.supplyAsync(() -> cache.loadBytes("k"));
    pause.awaitReached();
    cache.storeBytes("k", bytes("new"));
    pause.resume();
    byte[] raced = racing.get(10, TimeUnit.SECONDS);
    assertTrue(Arrays.equals(raced, bytes("old")) || Arrays.equals(raced, bytes("new")));
    assertArrayEquals(bytes("new"), cache.loadBytes("k"));
    assertArrayEquals(bytes("new"), cache.loadBytes("k"));
    assertEquals(3, tier.bytesHeld(), "only the new copy is left in the tier");
  }

  @Test
  @DisplayName("T1 a load that read an object before a delete cannot leave it cached after the delete returned")
  void fillRacingADelete() throws Exception {
    CachingStorage cache = cache(1000, 100);
    backing.storeBytes("k", bytes("old"));
    FaultyStorage.Pause pause = tier.pauseAfter(Op.WRITE);
    CompletableFuture<byte[]> racing = CompletableFuture.supplyAsync(() -> cache.loadBytes("k"));
    pause.awaitReached();
    cache.delete("k");
    pause.resume();
    try {
      racing.get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      assertTrue(e.getCause() instanceof MissingExternalResourceException, e.toString());
    }
    assertThrows(MissingExternalResourceException.class, () -> cache.loadBytes("k"));
    assertEquals(0, tier.bytesHeld());
  }

  @Test
  @DisplayName("T1 under concurrent loads and stores, loads return only stored versions, and the last store wins")
  void concurrentLoadsAndStores() throws Exception {
    CachingStorage cache = cache(200, 100);
    List<String> locations = List.of("c/0", "c/1", "c/2");
    Set<String> written = ConcurrentHashMap.newKeySet();
    for (String l : locations) {
      written.add(l + "@init");
      cache.storeBytes(l, bytes(l + "@init"));
    }
    int writers = 3;
    int readers = 3;
    CyclicBarrier start = new CyclicBarrier(writers + readers);
    ExecutorService pool = Executors.newFixedThreadPool(writers + readers);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int id = w;
        done.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < 40; i++) {
            String l = locations.get(i % locations.size());
            String version = l + "@" + id + "-" + i;
            written.add(version);
            cache.storeBytes(l, bytes(version));
          }
          return null;
        }));
      }
      for (int r = 0; r < readers; r++) {
        done.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < 80; i++) {
            String l = locations.get(ThreadLocalRandom.current().nextInt(locations.size()));
            String got = new String(cache.loadBytes(l), UTF_8);
            assertTrue(got.startsWith(l + "@") && written.contains(got), got);
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    for (String l : locations) {
      assertArrayEquals(backing.loadBytes(l), cache.loadBytes(l), l);
      assertArrayEquals(backing.loadBytes(l), cache.loadBytes(l), l);
    }
  }

  @Test
  @DisplayName("objects larger than the maximum object size bypass the cache")
  void largeObjectsBypass() {
    CachingStorage cache = cache(1000, 100);
    byte[] big = random(101, 1);
    backing.storeBytes("big", big);
    assertArrayEquals(big, cache.loadBytes("big"));
    assertArrayEquals(big, cache.loadBytes("big", Metadata.of(big)));
    assertEquals(0, tier.bytesHeld());
    assertEquals(2, backing.calls(Op.OPEN));
    CachingStorage.Statistics stats = cache.statistics();
    assertEquals(2, stats.bypasses());
    assertEquals(0, stats.hits() + stats.misses());
    byte[] fits = random(100, 2);
    backing.storeBytes("fits", fits);
    assertArrayEquals(fits, cache.loadBytes("fits"));
    assertEquals(100, tier.bytesHeld());
  }

  @Test
  @DisplayName("R2 a cached copy damaged in the cache tier is detected, dropped, and fetched again")
  void damagedCopyIsRefetched() throws IOException {
    CachingStorage cache = cache(1000, 100);
    byte[] data = random(64, 3);
    backing.storeBytes("d", data);
    assertArrayEquals(data, cache.loadBytes("d"));
    tier.corrupt(tier.objects.firstKey());
    ChangedExternalResourceException e =
        assertThrows(ChangedExternalResourceException.class, () -> cache.loadBytes("d"));
    assertTrue(e.getMessage().contains("cached copy") && e.getMessage().contains(cache.toString()), e.getMessage());
    assertEquals(1, cache.statistics().damaged());
    assertEquals(0, tier.bytesHeld(), "the damaged copy was deleted");
    assertArrayEquals(data, cache.loadBytes("d"), "fetched again from the backing store");
    assertArrayEquals(data, cache.loadBytes("d"));
    assertEquals(2, cache.statistics().hits(), "the load that found the damage was served from the tier");

    tier.corrupt(tier.objects.firstKey());
    try (InputStream in = cache.loadStream("d", Metadata.of(data))) {
      assertThrows(ChangedExternalResourceException.class, in::readAllBytes);
    }
    assertArrayEquals(data, cache.loadBytes("d"));
  }

  @Test
  @DisplayName("R2 a cached copy that the tier lost or replaced is bypassed at once, with no error")
  void lostCopyFallsBack() {
    CachingStorage cache = cache(1000, 100);
    byte[] data = random(50, 4);
    backing.storeBytes("l", data);
    cache.loadBytes("l");
    String key = tier.objects.firstKey();
    tier.deleteIfExists(key);
    assertArrayEquals(data, cache.loadBytes("l"));
    tier.storeBytes(tier.objects.firstKey(), bytes("something else"));
    assertArrayEquals(data, cache.loadBytes("l"));
    assertEquals(1, cache.statistics().damaged(), "the replaced copy; the lost one is not told from an eviction");
    assertEquals(0, cache.statistics().hits());
  }

  @Test
  @DisplayName("R2 a verified load refuses a cached copy that the backing store replaced around the cache")
  void verifiedLoadSeesAroundTheCache() {
    CachingStorage cache = cache(1000, 100);
    cache.storeBytes("k", bytes("one"));
    cache.loadBytes("k");
    Metadata two = backing.storeBytes("k", bytes("two")); // around the cache
    assertEquals(two, cache.getMetadata("k"), "metadata comes from the backing store");
    assertArrayEquals(bytes("one"), cache.loadBytes("k"), "an unverified load may serve the old copy (documented)");
    assertThrows(ChangedExternalResourceException.class, () -> cache.loadBytes("k", two));
  }

  @Test
  @DisplayName("the bound holds and loads return the right bytes after any sequence of loads of random sizes")
  void boundHoldsForAnySequence() {
    qt().withExamples(60)
        .forAll(
            lists().of(integers().between(0, 300)).ofSize(12),
            lists().of(integers().between(0, 11)).ofSizeBetween(1, 60))
        .checkAssert((sizes, sequence) -> {
          FaultyStorage b = new FaultyStorage("b");
          FaultyStorage t = new FaultyStorage("t");
          byte[][] objects = new byte[sizes.size()][];
          for (int i = 0; i < objects.length; i++) {
            objects[i] = random(sizes.get(i), i);
            b.storeBytes("o/" + i, objects[i]);
          }
          try (CachingStorage cache = CachingStorage.builder(b, t, 700).maxObjectSize(250).build()) {
            for (int i : sequence) {
              assertArrayEquals(objects[i], cache.loadBytes("o/" + i));
              CachingStorage.Statistics stats = cache.statistics();
              assertTrue(stats.bytesCached() <= 700, stats.toString());
              assertEquals(stats.bytesCached(), t.bytesHeld(), "the tier holds exactly the indexed copies");
            }
            CachingStorage.Statistics stats = cache.statistics();
            assertEquals(sequence.size(), stats.hits() + stats.misses() + stats.bypasses());
            long large = sequence.stream().filter(i -> sizes.get(i) > 250).count();
            assertEquals(large, stats.bypasses());
          }
        });
  }

  @Test
  @DisplayName("statistics count hits, misses, bypasses and evictions")
  void statistics() {
    CachingStorage cache = cache(100, 60);
    backing.storeBytes("a", random(50, 1));
    backing.storeBytes("b", random(50, 2));
    backing.storeBytes("c", random(50, 3));
    backing.storeBytes("big", random(80, 4));
    cache.loadBytes("a"); // miss
    cache.loadBytes("b"); // miss
    cache.loadBytes("c"); // miss, evicts a
    cache.loadBytes("a"); // miss, evicts b
    cache.loadBytes("big"); // bypass
    cache.loadBytes("c"); // hit
    CachingStorage.Statistics stats = cache.statistics();
    assertEquals(new CachingStorage.Statistics(1, 4, 1, 2, 0, 2, 100, 100), stats);
    assertEquals(100, tier.bytesHeld());
  }

  @Test
  @DisplayName("a failing cache tier costs cache misses, not failed loads")
  void failingTier() {
    CachingStorage cache = cache(1000, 100);
    backing.storeBytes("x", bytes("data"));
    tier.down();
    assertArrayEquals(bytes("data"), cache.loadBytes("x"));
    assertArrayEquals(bytes("data"), cache.loadBytes("x"));
    assertEquals(2, cache.statistics().misses());
    tier.heal();
    assertArrayEquals(bytes("data"), cache.loadBytes("x"));
    assertArrayEquals(bytes("data"), cache.loadBytes("x"));
    assertEquals(1, cache.statistics().hits());
  }

  @Test
  @DisplayName("R5 I1 exists, getMetadata and listings come from the backing store")
  void queriesGoToTheBackingStore() {
    CachingStorage cache = cache(1000, 100);
    Metadata m = backing.storeBytes("p/a", bytes("a"));
    backing.storeBytes("p/b", bytes("b"));
    cache.loadBytes("p/a");
    assertTrue(cache.exists("p/b"));
    assertFalse(cache.exists("p"));
    assertEquals(m, cache.getMetadata("p/a"));
    try (Stream<String> listing = cache.iterContents("p/")) {
      assertEquals(List.of("p/a", "p/b"), listing.collect(Collectors.toList()));
    }
    assertEquals(m, cache.verify("p/a"));
    assertEquals(backing.uri("p/a"), cache.uri("p/a"));
    backing.deleteIfExists("p/a"); // around the cache
    assertFalse(cache.exists("p/a"));
  }

  @Test
  @DisplayName("S5 write policies hold through the cache")
  void writePolicies() {
    CachingStorage cache = cache(1000, 100);
    cache.storeBytes("w", bytes("first"), WritePolicy.CREATE);
    cache.loadBytes("w");
    assertThrows(ExistingExternalResourceException.class, () -> cache.storeBytes("w", bytes("second"), WritePolicy.CREATE));
    assertEquals(Metadata.of(bytes("first")), cache.storeBytes("w", bytes("second"), WritePolicy.SKIP_IF_EXISTS));
    assertThrows(ExistingExternalResourceException.class,
        () -> cache.storeBytes("w", bytes("second"), WritePolicy.FAIL_IF_DIFFERENT));
    assertArrayEquals(bytes("first"), cache.loadBytes("w"));
  }

  @Test
  @DisplayName("S2 a store whose source fails stores nothing and reports the source's own exception")
  void failingSource() {
    CachingStorage cache = cache(1000, 100);
    cache.storeBytes("s", bytes("kept"));
    cache.loadBytes("s");
    IOException broken = new IOException("broken source");
    InputStream failing = new SequenceInputStream(new ByteArrayInputStream(bytes("part")), new InputStream() {
      @Override
      public int read() throws IOException {
        throw broken;
      }
    });
    ExternalResourceException e = assertThrows(ExternalResourceException.class, () -> cache.storeStream("s", failing));
    assertSame(broken, e.getCause());
    assertTrue(e.getMessage().contains(cache.toString()), e.getMessage());
    assertArrayEquals(bytes("kept"), cache.loadBytes("s"));
  }

  @Test
  @DisplayName("T2 a failure of the backing store names the cache and keeps its cause")
  void backingFailureIsNamed() {
    CachingStorage cache = cache(1000, 100);
    backing.fail(Op.WRITE, Op.METADATA);
    ExternalResourceException e = assertThrows(ExternalResourceException.class, () -> cache.storeBytes("x", bytes("x")));
    assertTrue(e.getMessage().startsWith(cache.toString()) && e.getMessage().contains(backing.toString()), e.getMessage());
    assertTrue(e.getCause() instanceof ExternalResourceException);
    assertThrows(ExternalResourceException.class, () -> cache.getMetadata("x"));
  }

  @Test
  @DisplayName("the cache owns its tier prefix: emptied when built and when closed; both stores are closed")
  void ownsItsTierPrefix() {
    tier.storeBytes("cache/left-over", bytes("old"));
    tier.storeBytes("keep/me", bytes("mine"));
    CachingStorage cache = CachingStorage.builder(backing, tier, 1000).tierPrefix("cache/").build();
    assertFalse(tier.exists("cache/left-over"));
    backing.storeBytes("x", bytes("data"));
    cache.loadBytes("x");
    assertTrue(tier.objects.keySet().stream().anyMatch(k -> k.startsWith("cache/") && !k.equals("cache/left-over")));
    cache.close();
    assertEquals(List.of("keep/me"), List.copyOf(tier.objects.keySet()));
    assertEquals(1, tier.closeCalls);
    assertEquals(1, backing.closeCalls);
    assertThrows(IllegalStateException.class, () -> cache.loadBytes("x"));
  }

  @Test
  @DisplayName("the builder refuses a tier that is the backing store, and a maximum object size over the bound")
  void builderChecks() {
    assertThrows(IllegalArgumentException.class, () -> CachingStorage.builder(backing, backing, 100));
    assertThrows(IllegalArgumentException.class, () -> CachingStorage.builder(backing, tier, 0));
    assertThrows(IllegalArgumentException.class, () -> CachingStorage.builder(backing, tier, 100).maxObjectSize(101));
    assertThrows(org.stowage.InvalidLocationException.class, () -> CachingStorage.builder(backing, tier, 100).tierPrefix("/x"));
  }
}
