package org.stowage.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.stowage.ExternalStorage;
import org.stowage.filesystem.FileStorage;
import org.stowage.memory.MemoryStorage;

/**
 * Benchmark 7, memory: how much heap an {@code iterContents()} listing holds while it runs, next
 * to what collecting the same keys into a list holds (rule I3: a listing holds a page, not the
 * listing).
 *
 * <p>Method: take a store of {@code n} objects (the run's shared file store, or a memory store
 * filled by {@link ListingBenchmark#populate}); collect
 * garbage until the used heap settles and read it ({@link MemoryMXBean}); start a listing, consume
 * half of it, collect and read again, with the listing still reachable. The difference is what
 * the half-consumed listing holds. Then the same around {@code toList()} of the whole listing,
 * with the list reachable. The store's own objects are in both readings and cancel out; for
 * {@code MemoryStorage} they are the store, for {@code FileStorage} they are on disk.
 */
final class ListingHeapProbe {
  /** The largest acceptable ratio of heap held while listing to heap held by a list of all keys. */
  static final double RATIO_LIMIT = 0.1;

  /** Heap held while listing that passes whatever the list holds: a page's worth. */
  static final long PAGE_BYTES = 256 * 1024;

  private ListingHeapProbe() {}

  /**
   * What was measured, in bytes of heap.
   *
   * @param backend {@code file} or {@code memory}
   * @param objects how many objects the store held
   * @param heldWhileIterating the heap a half-consumed listing holds
   * @param heldByList the heap a list of all keys holds
   */
  record Result(String backend, int objects, long heldWhileIterating, long heldByList) {
    /** {@code heldWhileIterating / heldByList}. */
    double ratio() {
      return heldByList <= 0 ? Double.NaN : (double) heldWhileIterating / heldByList;
    }

    /**
     * Whether the listing held a page, not the listing: at most {@link #RATIO_LIMIT} of what the
     * list held, or less than {@link #PAGE_BYTES} (below which readings of the used heap are
     * noise, and which is where small stores end up).
     */
    boolean holdsAPage() {
      return heldWhileIterating <= PAGE_BYTES || ratio() <= RATIO_LIMIT;
    }
  }

  /**
   * Measures a {@code backend} store of {@code n} objects: for {@code file}, the run's shared
   * listing store ({@link ListingBenchmark#sharedFileStore}).
   */
  static Result measure(String backend, int n) {
    ExternalStorage opened;
    if (backend.equals("file")) {
      opened = new FileStorage(ListingBenchmark.sharedFileStore(n).resolve("store"));
    } else {
      opened = new MemoryStorage();
      ListingBenchmark.populate(opened, n);
    }
    try (ExternalStorage storage = opened) {
      long iterating = heldDuringIteration(storage, n);
      long list = heldByList(storage, n);
      return new Result(backend, n, iterating, list);
    }
  }

  private static long heldDuringIteration(ExternalStorage storage, int n) {
    long before = settledHeapUsed();
    try (Stream<String> listing = storage.iterContents()) {
      Iterator<String> it = listing.iterator();
      for (int i = 0; i < n / 2; i++) {
        it.next();
      }
      long during = settledHeapUsed();
      Reference.reachabilityFence(it);
      Reference.reachabilityFence(listing);
      int rest = 0;
      while (it.hasNext()) {
        it.next();
        rest++;
      }
      if (n / 2 + rest != n) {
        throw new IllegalStateException("listed " + (n / 2 + rest) + " objects of " + n);
      }
      return Math.max(0, during - before);
    }
  }

  private static long heldByList(ExternalStorage storage, int n) {
    long before = settledHeapUsed();
    List<String> all;
    try (Stream<String> listing = storage.iterContents()) {
      all = listing.toList();
    }
    long after = settledHeapUsed();
    if (all.size() != n) {
      throw new IllegalStateException("listed " + all.size() + " objects of " + n);
    }
    Reference.reachabilityFence(all);
    return Math.max(0, after - before);
  }

  /** Collects until two readings in a row agree within 64 KiB (at most ten times); the last. */
  static long settledHeapUsed() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long last = Long.MIN_VALUE;
    for (int i = 0; i < 10; i++) {
      System.gc();
      long used = memory.getHeapMemoryUsage().getUsed();
      if (Math.abs(used - last) < 64 * 1024) {
        return used;
      }
      last = used;
    }
    return last;
  }
}
