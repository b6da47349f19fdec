package org.stowage.staging;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongConsumer;
import org.stowage.ExternalStorage;

/**
 * The options {@link ContentCollector} and {@link ReferenceCheck} share: which further stores hold
 * references, how many operations run at once, how many objects to size the Bloom filter for, and
 * where spool files go. Both public builders keep their own documented setters and delegate here,
 * so the checks and defaults are written once.
 */
record ScanOptions(List<ExternalStorage> otherStores, int parallelism, long expectedObjects, Path spoolDirectory) {
  ScanOptions {
    otherStores = List.copyOf(otherStores);
  }

  /** The Bloom filters' false-positive rate unless a collection is told another. */
  static final double DEFAULT_FALSE_POSITIVE_RATE = 0.01;

  /** The capacity of a Bloom filter of digests for this many objects (half are content). */
  long filterCapacity() {
    return Math.max(1024, expectedObjects / 2);
  }

  /**
   * Lists the content store's storage (content and references) and then every further store
   * (references only), all on {@code workers}; the caller awaits them. {@code listed} is told the
   * running count of objects listed in all of them, on the calling thread.
   */
  void scanAll(ExternalStorage contentStorage, ContentLayout layout, ReferenceScan.ContentSink content,
      ReferenceScan.ReferenceSink references, ReferenceScan.UnreadableSink unreadable, BoundedWorkers workers,
      LongConsumer listed) {
    long before = ReferenceScan.scan(contentStorage, layout, content, references, unreadable, workers, listed);
    for (ExternalStorage other : otherStores) {
      long base = before;
      before += ReferenceScan.scan(other, layout, null, references, unreadable, workers, n -> listed.accept(base + n));
    }
  }

  /** The mutable side the public builders hold; validates as they are set. */
  static final class Settings {
    private final List<ExternalStorage> otherStores = new ArrayList<>();
    private int parallelism = Math.max(4, Runtime.getRuntime().availableProcessors() * 2);
    private long expectedObjects = 1 << 20;
    private Path spoolDirectory = Path.of(System.getProperty("java.io.tmpdir"));

    void referencesIn(ExternalStorage store) {
      otherStores.add(Objects.requireNonNull(store, "store"));
    }

    void parallelism(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("parallelism must be at least 1: " + threads);
      }
      this.parallelism = threads;
    }

    void expectedObjects(long objects) {
      if (objects < 1) {
        throw new IllegalArgumentException("expectedObjects must be at least 1: " + objects);
      }
      this.expectedObjects = objects;
    }

    void spoolDirectory(Path directory) {
      this.spoolDirectory = Objects.requireNonNull(directory, "directory");
    }

    ScanOptions freeze() {
      return new ScanOptions(otherStores, parallelism, expectedObjects, spoolDirectory);
    }
  }
}
