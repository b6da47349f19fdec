package org.stowage.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
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
import org.openjdk.jmh.infra.Blackhole;
import org.stowage.ExternalStorage;
import org.stowage.Location;
import org.stowage.filesystem.FileStorage;
import org.stowage.memory.MemoryStorage;

/**
 * Benchmark 7, speed: {@code iterContents()} over every object of a store (100,000 in the full
 * profile), one operation being one whole listing; the runner reports keys per second. Against
 * the raw walk of the same keys: {@link Files#walkFileTree} for {@link FileStorage} (unsorted, so
 * it does less than the sorted listing), iteration of a {@link ConcurrentSkipListMap} of the same
 * keys for {@link MemoryStorage}.
 *
 * <p>The heap a listing holds is measured apart, by {@link ListingHeapProbe}, because it needs
 * collections at chosen moments that would disturb the timing.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ListingBenchmark {
  /** {@code file} or {@code memory}. */
  @Param({"file", "memory"})
  public String backend;

  /** How many objects the store holds. */
  @Param("100000")
  public int objects;

  private Path dir;
  private ExternalStorage storage;
  private ConcurrentSkipListMap<String, Boolean> keys;

  /** Fills a store with {@link #objects} small objects (or reuses the run's file store). */
  @Setup(Level.Trial)
  public void setUp() {
    if (backend.equals("file")) {
      dir = sharedFileStore(objects);
      storage = new FileStorage(dir.resolve("store"));
    } else {
      storage = new MemoryStorage();
      populate(storage, objects);
    }
    keys = new ConcurrentSkipListMap<>(Location.UTF8_ORDER);
    IntStream.range(0, objects).forEach(i -> keys.put(location(i), Boolean.TRUE));
  }

  /**
   * The directory of a file store holding objects {@code 0} to {@code n - 1}, made once per run
   * and shared by the listing benchmarks' trials and the heap probe: creating 100,000 files takes
   * minutes on some disks, and listing only reads the tree. {@link RunBenchmarks} deletes it at the
   * end of the run ({@link #deleteSharedFileStores}); a tree left incomplete by a killed run is
   * rebuilt.
   */
  static synchronized Path sharedFileStore(int n) {
    Path dir = BenchData.baseDirectory().resolve(SHARED_PREFIX + n);
    Path complete = dir.resolve("complete");
    if (Files.exists(complete)) {
      return dir;
    }
    BenchData.deleteTree(dir);
    try {
      Files.createDirectories(dir);
      // The object files are written directly, without metadata records, as another tool may
      // write them: listing reads only the tree, and a run spends its time on the benchmarks
      // rather than on twice as many file creations.
      Path root = Files.createDirectories(dir.resolve("store"));
      IntStream.range(0, n / 1000 + 1)
          .parallel()
          .forEach(
              d -> {
                try {
                  for (int i = d * 1000; i < Math.min(n, (d + 1) * 1000); i++) {
                    Path file = root.resolve(location(i));
                    if (i % 1000 == 0) {
                      Files.createDirectories(file.getParent());
                    }
                    Files.write(file, location(i).getBytes(StandardCharsets.UTF_8));
                  }
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      Files.createFile(complete);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make the listing store " + dir, e);
    }
    return dir;
  }

  /** Deletes the shared listing stores of {@link #sharedFileStore}. */
  static void deleteSharedFileStores() {
    try (Stream<Path> dirs = Files.list(BenchData.baseDirectory())) {
      dirs.filter(d -> d.getFileName().toString().startsWith(SHARED_PREFIX))
          .forEach(BenchData::deleteTree);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final String SHARED_PREFIX = "stowage-bench-listing-shared-";

  /**
   * The location of object {@code i}: a thousand objects per directory, under a two-level
   * layout ({@code run-007/unit-003/out-000412.dat}), as a workflow's outputs are laid out.
   */
  static String location(int i) {
    return String.format("run-%03d/unit-%03d/out-%06d.dat", i / 10_000, i / 1_000 % 10, i);
  }

  /** Stores objects {@code 0} to {@code n - 1}, each holding its own location, on two threads. */
  static void populate(ExternalStorage storage, int n) {
    IntStream.range(0, n)
        .parallel()
        .forEach(i -> storage.storeBytes(location(i), location(i).getBytes(StandardCharsets.UTF_8)));
  }

  /** Stowage: the whole listing, lazily. */
  @Benchmark
  public long iterContents(Blackhole blackhole) {
    long count;
    try (Stream<String> listing = storage.iterContents()) {
      count = listing.peek(blackhole::consume).count();
    }
    return checked(count);
  }

  /** Baseline: the raw walk of the same keys. */
  @Benchmark
  public long listingBaseline(Blackhole blackhole) throws IOException {
    if (storage instanceof MemoryStorage) {
      long count = 0;
      for (String key : keys.keySet()) {
        blackhole.consume(key);
        count++;
      }
      return checked(count);
    }
    Path root = dir.resolve("store");
    long[] count = {0};
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attributes) {
            return d.getFileName().toString().startsWith(Location.RESERVED_PREFIX)
                ? FileVisitResult.SKIP_SUBTREE
                : FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
            if (attributes.isRegularFile()) {
              blackhole.consume(root.relativize(file).toString());
              count[0]++;
            }
            return FileVisitResult.CONTINUE;
          }
        });
    return checked(count[0]);
  }

  private long checked(long count) {
    if (count != objects) {
      throw new IllegalStateException("listed " + count + " objects of " + objects);
    }
    return count;
  }

  /** Closes the store; the shared file store stays for the next trial. */
  @TearDown(Level.Trial)
  public void tearDown() {
    storage.close();
  }
}
