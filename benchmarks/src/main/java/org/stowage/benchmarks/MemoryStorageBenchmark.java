package org.stowage.benchmarks;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.stowage.Metadata;
import org.stowage.memory.MemoryStorage;

/**
 * Benchmark 4: {@link MemoryStorage} stores and verified loads of small objects (4 KiB), in
 * operations per second, against the least a hand-written verified map must do. Run from one
 * thread ({@link MemoryOneThreadBenchmark}) and from two ({@link MemoryTwoThreadsBenchmark}),
 * which share one store and one map.
 *
 * <ul>
 *   <li>{@code store}: {@code storeBytes} over one of {@value #KEYS} locations. Baseline {@code
 *       storeBaseline}: copy the array, MD5 it, put the copy and its digest in a {@link
 *       ConcurrentHashMap}.
 *   <li>{@code loadVerified}: {@code loadBytes(location, expected)}. Baseline {@code
 *       loadBaseline}: get from the map, copy the array, MD5 it and compare with the stored digest.
 * </ul>
 *
 * <p>The copies are part of both sides because a store must not share arrays with its callers.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public abstract class MemoryStorageBenchmark {
  static final int KEYS = 1024;

  /** The size of each object. */
  @Param("4096")
  public int objectBytes;

  private MemoryStorage storage;
  private ConcurrentHashMap<String, Entry> map;
  private String[] locations;
  private byte[] data;
  private Metadata metadata;

  /** A baseline map entry: the bytes and their MD5. */
  record Entry(byte[] data, byte[] md5) {}

  /** One benchmark thread's position in the keys, and its own MD5 for the baselines. */
  @State(Scope.Thread)
  public static class Cursor {
    int next;
    MessageDigest md5;

    /** Starts each thread at a random key, so that two threads rarely write the same one. */
    @Setup(Level.Trial)
    public void setUp() {
      next = ThreadLocalRandom.current().nextInt(KEYS);
      md5 = BenchData.md5();
    }

    int nextIndex() {
      return next++ & (KEYS - 1);
    }
  }

  /** Fills the store and the map with the same {@value #KEYS} objects. */
  @Setup(Level.Trial)
  public void setUp() {
    storage = new MemoryStorage();
    map = new ConcurrentHashMap<>();
    data = BenchData.randomBytes(objectBytes, 4);
    locations = new String[KEYS];
    byte[] digest = BenchData.md5().digest(data);
    for (int i = 0; i < KEYS; i++) {
      locations[i] = String.format("objects/o%05d.bin", i);
      metadata = storage.storeBytes(locations[i], data);
      map.put(locations[i], new Entry(data.clone(), digest));
    }
    if (!metadata.md5().equals(HexFormat.of().formatHex(digest))) {
      throw new IllegalStateException("MemoryStorage returned " + metadata);
    }
  }

  /** Stowage: a store with its MD5. */
  @Benchmark
  public Metadata store(Cursor cursor) {
    return storage.storeBytes(locations[cursor.nextIndex()], data);
  }

  /** Baseline: copy, MD5, and a map put. */
  @Benchmark
  public Entry storeBaseline(Cursor cursor) {
    byte[] copy = data.clone();
    return map.put(locations[cursor.nextIndex()], new Entry(copy, cursor.md5.digest(copy)));
  }

  /** Stowage: a load verified against the MD5 and size. */
  @Benchmark
  public byte[] loadVerified(Cursor cursor) {
    return storage.loadBytes(locations[cursor.nextIndex()], metadata);
  }

  /** Baseline: a map get, a copy, and an MD5 compared with the stored one. */
  @Benchmark
  public byte[] loadBaseline(Cursor cursor) {
    Entry entry = map.get(locations[cursor.nextIndex()]);
    byte[] copy = entry.data.clone();
    if (!MessageDigest.isEqual(cursor.md5.digest(copy), entry.md5)) {
      throw new IllegalStateException("the map's entry changed");
    }
    return copy;
  }

  /** Drops the objects. */
  @TearDown(Level.Trial)
  public void tearDown() {
    storage.close();
  }
}
