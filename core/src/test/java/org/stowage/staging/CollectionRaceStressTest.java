package org.stowage.staging;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.ExternalStorage;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.ObjectSource;
import org.stowage.cas.ContentAddressedStore;

/**
 * Collections racing transfers: writer threads transfer files drawn from a small pool of contents
 * (so most puts are dedup hits; every fourth unit also holds one content of its own), a deleter
 * deletes finished namespaces (so contents keep becoming garbage and coming back; the units with
 * content of their own always), collections run back to back, and a checker loads live references all
 * the while. The store lists lazily and weakly consistently (I4), and every operation yields at
 * random, to shuffle interleavings. The property: a reference whose namespace was never deleted
 * always loads. {@code -Dstowage.gc.seed} replays the workload's choices (thread interleavings
 * differ from run to run); {@code -Dstowage.gc.transfers} sets the transfers per writer.
 */
class CollectionRaceStressTest {
  @TempDir Path dir;

  @Test
  @DisplayName("GC safety: collections racing puts, dedup hits, reference writes and namespace deletes never leave a live reference dangling")
  void noLiveReferenceEverDangles() throws Exception {
    long seed = Long.getLong("stowage.gc.seed", System.nanoTime());
    int transfersPerWriter = Integer.getInteger("stowage.gc.transfers", 100);
    System.out.println("CollectionRaceStressTest seed " + seed + " (replay with -Dstowage.gc.seed=" + seed + ")");
    String where = " (seed " + seed + ")";
    JitteryStorage storage = new JitteryStorage();
    ContentAddressedStore cas = new ContentAddressedStore(storage);
    int writers = 6;
    List<String> pool = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      pool.add("content " + i + " " + "x".repeat(i * 7));
    }
    /** Live namespaces: unit to (handle to expected content). */
    Map<String, Map<String, String>> live = new ConcurrentHashMap<>();
    ConcurrentLinkedQueue<String> finished = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicLong collections = new AtomicLong();
    AtomicLong reclaimed = new AtomicLong();
    AtomicLong checks = new AtomicLong();
    ExecutorService threads = Executors.newFixedThreadPool(writers + 4);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> writerFutures = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      int writer = w;
      writerFutures.add(threads.submit(() -> {
        Random random = new Random(seed * 31 + writer);
        start.await();
        for (int t = 0; t < transfersPerWriter; t++) {
          String unit = "w" + writer + "-" + t;
          Path scratch = Files.createDirectories(dir.resolve(unit));
          StorageManager m = StorageManager.builder(scratch, storage, "dag", unit).contentAddressed(cas).build();
          Map<String, String> handles = new ConcurrentHashMap<>();
          int files = 1 + random.nextInt(3);
          for (int f = 0; f < files; f++) {
            // Every fourth unit's first file is content of its own, and the deleter always deletes
            // that unit: so content becomes garbage early in every run, whatever the pool draws.
            String content = t % 4 == 0 && f == 0 ? "only in " + unit : pool.get(random.nextInt(pool.size()));
            Files.writeString(scratch.resolve("f" + f), content);
            handles.put(m.register("f" + f), content);
          }
          m.transfer();
          live.put(unit, handles);
          finished.add(unit);
        }
        return null;
      }));
    }
    Future<?> deleter = threads.submit(() -> {
      Random random = new Random(seed * 31 + 100);
      start.await();
      while (writing.get()) {
        String unit = finished.poll();
        if (unit == null) {
          Thread.yield();
          continue;
        }
        if (random.nextInt(8) > 0 || Integer.parseInt(unit.substring(unit.indexOf('-') + 1)) % 4 == 0) {
          live.remove(unit); // first forget it, then delete it: a checker never expects a deleted reference
          Namespaces.deleteUnit(storage, "dag", unit);
        }
      }
      return null;
    });
    List<Future<?>> collectors = new ArrayList<>();
    for (int c = 0; c < 2; c++) {
      collectors.add(threads.submit(() -> {
        start.await();
        while (writing.get()) {
          CollectionReport r = ContentCollector.builder(cas).dryRun(false).parallelism(3)
              .lease(Duration.ofMinutes(5)).spoolDirectory(dir).build().collect();
          collections.incrementAndGet();
          reclaimed.addAndGet(r.reclaimedObjects());
        }
        return null;
      }));
    }
    Future<?> checker = threads.submit(() -> {
      Random random = new Random(seed * 31 + 200);
      StorageManager reader = new StorageManager(dir, storage, "check", "reader");
      start.await();
      while (writing.get()) {
        List<String> units = new ArrayList<>(live.keySet());
        if (units.isEmpty()) {
          Thread.yield();
          continue;
        }
        String unit = units.get(random.nextInt(units.size()));
        Map<String, String> handles = live.get(unit);
        if (handles == null) {
          continue;
        }
        for (Map.Entry<String, String> h : handles.entrySet()) {
          try {
            assertArrayEquals(h.getValue().getBytes(UTF_8), reader.load(h.getKey()));
            checks.incrementAndGet();
          } catch (MissingExternalResourceException e) {
            if (live.containsKey(unit)) {
              violations.add(h.getKey() + ": " + e.getMessage());
            }
          }
        }
      }
      return null;
    });
    start.countDown();
    for (Future<?> f : writerFutures) {
      f.get(5, TimeUnit.MINUTES);
    }
    writing.set(false);
    deleter.get(1, TimeUnit.MINUTES);
    for (Future<?> f : collectors) {
      f.get(1, TimeUnit.MINUTES);
    }
    checker.get(1, TimeUnit.MINUTES);
    threads.shutdownNow();

    CollectionReport last = ContentCollector.builder(cas).dryRun(false).spoolDirectory(dir).build().collect();
    StorageManager reader = new StorageManager(dir, storage, "check", "reader");
    for (Map<String, String> handles : live.values()) {
      for (Map.Entry<String, String> h : handles.entrySet()) {
        try {
          assertArrayEquals(h.getValue().getBytes(UTF_8), reader.load(h.getKey()), h.getKey() + where);
        } catch (MissingExternalResourceException e) {
          violations.add("at the end, " + h.getKey() + ": " + e.getMessage());
        }
      }
    }
    ReferenceCheck.Report check = ReferenceCheck.builder(cas).spoolDirectory(dir).build().check();
    System.out.printf("CollectionRaceStressTest: %d collections, %d objects reclaimed, %d loads checked,"
        + " %d live units; last collection: %s%n", collections.get(), reclaimed.get() + last.reclaimedObjects(),
        checks.get(), live.size(), last);
    assertEquals(List.of(), List.copyOf(violations), "dangling live references" + where);
    assertTrue(check.referencesIntact(), check.problems() + where);
    assertEquals(0, last.danglingCount(), last + where);
    assertEquals(0, check.unreferencedCount(), "the last collection left no garbage" + where);
    assertTrue(collections.get() >= 2, "collections ran while units transferred" + where);
    assertTrue(reclaimed.get() > 0, "collections reclaimed content meanwhile, so deletes raced the writers" + where);
  }

  /**
   * A store over a skip-list map whose listings are lazy and weakly consistent, as rule I4 allows,
   * and whose operations yield at random. Each location's bytes and metadata change together.
   */
  static final class JitteryStorage extends ExternalStorage {
    private record Stored(byte[] data, Metadata metadata) {}

    private final ConcurrentSkipListMap<String, Stored> objects = new ConcurrentSkipListMap<>(Location.UTF8_ORDER);

    private static void jitter() {
      int n = ThreadLocalRandom.current().nextInt(8);
      for (int i = 0; i < n; i++) {
        Thread.yield();
      }
    }

    /** Stalls about {@code micros}, yielding: a slow request, not a synchronisation. */
    private static void stall(long micros) {
      long until = System.nanoTime() + micros * 1000;
      while (System.nanoTime() < until) {
        Thread.yield();
      }
    }

    @Override
    protected boolean writeObject(Location location, ObjectSource source, boolean replaceExisting) throws IOException {
      jitter();
      byte[] data = source.stream().readAllBytes();
      Stored stored = new Stored(data, source.metadata());
      if (!location.value().startsWith("cas/") && ThreadLocalRandom.current().nextInt(4) == 0) {
        stall(ThreadLocalRandom.current().nextInt(3000)); // a reference write that takes its time
      }
      jitter();
      if (replaceExisting) {
        objects.put(location.value(), stored);
        return true;
      }
      return objects.putIfAbsent(location.value(), stored) == null;
    }

    @Override
    protected InputStream openObject(Location location) {
      jitter();
      Stored s = objects.get(location.value());
      return s == null ? null : new ByteArrayInputStream(s.data());
    }

    @Override
    protected boolean objectExists(Location location) {
      jitter();
      return objects.containsKey(location.value());
    }

    @Override
    protected Metadata objectMetadata(Location location) {
      jitter();
      Stored s = objects.get(location.value());
      return s == null ? null : s.metadata();
    }

    @Override
    protected OpenObject openWithMetadata(Location location) {
      jitter();
      Stored s = objects.get(location.value());
      return s == null ? null : new OpenObject(new ByteArrayInputStream(s.data()), s.metadata());
    }

    @Override
    protected boolean deleteObject(Location location) {
      jitter();
      return objects.remove(location.value()) != null;
    }

    @Override
    protected Stream<String> listObjects(String prefix) {
      jitter();
      return objects.tailMap(prefix, true).keySet().stream()
          .takeWhile(k -> k.startsWith(prefix))
          .peek(k -> jitter());
    }

    @Override
    protected URI objectUri(Location location) {
      return URI.create("jittery:/" + location.value());
    }

    @Override
    public String toString() {
      return "JitteryStorage";
    }
  }
}
