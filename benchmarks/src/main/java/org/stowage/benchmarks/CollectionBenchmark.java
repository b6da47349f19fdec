package org.stowage.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
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
import org.stowage.cas.ContentAddressedStore;
import org.stowage.filesystem.FileStorage;
import org.stowage.staging.CollectionReport;
import org.stowage.staging.ContentCollector;

/**
 * Benchmark 9: a garbage collection ({@link ContentCollector}) of a {@link FileStorage} holding
 * {@code gcObjects} content objects (200,000 in the full profile) and as many content references,
 * against one listing ({@code iterContents()}) of the same store. Target: the collection takes at
 * most 1.5 times the listing, so the ratio of their speeds is at least 0.67. The forks run with
 * {@code -Xmx64m}: the collection must fit, at this scale, in 64 MiB of heap.
 *
 * <p>The store: content objects of 40 to 60 bytes under {@code cas/sha256/..} named by their real
 * SHA-256, and references under {@code run-NNN/unit-NNN/out-NNNNNN.ref} (a thousand per
 * directory), written directly as files, as another tool would, without metadata records. 2% of
 * the content is referenced by nothing, and the references that would have named it name the
 * next object instead. The collection is a dry run, so that each operation does the same work: the listing, the
 * reads of every reference, the spool, and a metadata look-up of each garbage object; it deletes
 * nothing (a delete is one {@code unlink} per garbage object, 2% of the objects). The store is
 * made once per run, in the directory the listing benchmarks share, and deleted with it. The
 * first collection of a run hashes and records every reference (they were written without
 * records); the warm-up absorbs it, and the JIT's work on the new paths, so that both operations
 * are measured warm.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2) // a collection takes 2-5 s: three of them before measuring
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms64m", "-Xmx64m"})
public class CollectionBenchmark {
  /** How many content objects, and how many references, the store holds. */
  @Param("200000")
  public int gcObjects;

  private FileStorage storage;
  private ContentAddressedStore cas;
  private long expectedGarbage;
  private CollectionReport lastReport;

  /** Opens the run's store, making it first if needed. */
  @Setup(Level.Trial)
  public void setUp() {
    Path dir = store(gcObjects);
    storage = new FileStorage(dir.resolve("store"));
    cas = new ContentAddressedStore(storage);
    expectedGarbage = IntStream.range(0, gcObjects).filter(CollectionBenchmark::isGarbage).count();
  }

  /** Stowage: one dry-run collection. */
  @Benchmark
  public long collect(Blackhole blackhole) {
    CollectionReport report = ContentCollector.builder(cas).expectedObjects(2L * gcObjects)
        .parallelism(4).build().collect();
    // A Bloom filter's false positive keeps some garbage (about 0.5% here), never more than there is.
    if (report.contentObjects() != gcObjects || report.reclaimableObjects() > expectedGarbage
        || report.reclaimableObjects() < expectedGarbage * 0.97 || report.danglingCount() != 0) {
      throw new IllegalStateException("unexpected collection of " + gcObjects + " objects: " + report);
    }
    blackhole.consume(report);
    lastReport = report;
    return report.objectsListed();
  }

  /** Baseline: one listing of the whole store. */
  @Benchmark
  public long listingBaseline(Blackhole blackhole) {
    long count;
    try (Stream<String> listing = storage.iterContents()) {
      count = listing.peek(blackhole::consume).count();
    }
    if (count != 2L * gcObjects) {
      throw new IllegalStateException("listed " + count + " objects of " + 2L * gcObjects);
    }
    return count;
  }

  /** Closes the store, and says how much heap the fork had. */
  @TearDown(Level.Trial)
  public void tearDown() {
    storage.close();
    System.out.printf("# heap: max %d MiB; last collection: %s%n", Runtime.getRuntime().maxMemory() >> 20, lastReport);
  }

  private static boolean isGarbage(int i) {
    return i % 50 == 7;
  }

  /** Content object {@code i}'s bytes. */
  private static byte[] content(int i) {
    return ("content object " + i + " " + "#".repeat(i % 21) + "\n").getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The content reference {@code r} points to: content object {@code r}, unless that one is
   * garbage; then the next one, which two references then share.
   */
  private static int target(int r) {
    return isGarbage(r) ? r + 1 : r;
  }

  /**
   * The directory of the store of {@code n} content objects and {@code n} references, made once
   * per run: under a name that {@link ListingBenchmark#deleteSharedFileStores} deletes at the end.
   */
  static synchronized Path store(int n) {
    Path dir = BenchData.baseDirectory().resolve("stowage-bench-listing-shared-gc-" + n);
    Path complete = dir.resolve("complete");
    if (Files.exists(complete)) {
      return dir;
    }
    BenchData.deleteTree(dir);
    try {
      Path root = Files.createDirectories(dir.resolve("store"));
      String[] hex = new String[n];
      String[] md5 = new String[n];
      IntStream.range(0, n).parallel().forEach(i -> {
        byte[] data = content(i);
        hex[i] = HexFormat.of().formatHex(BenchData.digest("SHA-256").digest(data));
        md5[i] = HexFormat.of().formatHex(BenchData.md5().digest(data));
        Path file = root.resolve("cas/sha256/" + hex[i].substring(0, 2) + "/" + hex[i].substring(2, 4) + "/" + hex[i]);
        write(file, data);
      });
      IntStream.range(0, n / 1000 + 1).parallel().forEach(d -> {
        for (int r = d * 1000; r < Math.min(n, (d + 1) * 1000); r++) {
          int t = target(r);
          String reference = "stowage-content-reference 1\ndigest sha256:" + hex[t] + ":" + content(t).length
              + "\nmd5 " + md5[t] + "\nlocation cas/sha256/" + hex[t].substring(0, 2) + "/"
              + hex[t].substring(2, 4) + "/" + hex[t] + "\n";
          write(root.resolve(String.format("run-%03d/unit-%03d/out-%06d.ref", r / 10_000, r / 1_000 % 10, r)),
              reference.getBytes(StandardCharsets.UTF_8));
        }
      });
      Files.createFile(complete);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make the collection store " + dir, e);
    }
    return dir;
  }

  private static void write(Path file, byte[] data) {
    try {
      Files.createDirectories(file.getParent());
      Files.write(file, data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

}
