package org.stowage.benchmarks;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.stowage.cas.ContentAddressedStore;
import org.stowage.cas.Digest;
import org.stowage.filesystem.FileStorage;

/**
 * Benchmark 8: content addressing over a {@link FileStorage}.
 *
 * <ul>
 *   <li>{@code putPresent}: {@link ContentAddressedStore#put(byte[])} of content (1 MiB) that is
 *       already stored, through a {@link CountingStorage}: it must write nothing (rule C2). The
 *       writes are reported as the secondary result {@code writes} (0 expected), and an iteration
 *       that saw one fails. Baseline {@code putPresentBaseline}: what any content-addressed put
 *       must at least do, a SHA-256 of the content and one {@code stat} of its path.
 *   <li>{@code findMissing}: {@link ContentAddressedStore#findMissing} of 10,000 digests, half of
 *       them present: batched and parallel on the store's lookup threads. Baseline {@code
 *       findMissingBaseline}: the same existence checks, one after the other on one thread.
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ContentAddressedBenchmark {

  /** A store holding one piece of content, watched for writes. */
  @State(Scope.Benchmark)
  public static class Present {
    /** The size of the content put again. */
    @Param("1048576")
    public int contentBytes;

    Path dir;
    Path storeRoot;
    FileStorage files;
    CountingStorage counting;
    ContentAddressedStore store;
    byte[] content;
    long writesAtStart;

    /** Puts the content once. */
    @Setup(Level.Trial)
    public void setUp() {
      dir = BenchData.newDirectory("cas-put");
      storeRoot = dir.resolve("store");
      files = new FileStorage(storeRoot);
      counting = new CountingStorage(files);
      store = new ContentAddressedStore(counting);
      content = BenchData.randomBytes(contentBytes, 8);
      store.put(content);
      writesAtStart = counting.writes();
    }

    /** Fails the iteration if anything was written since the set-up (rule C2). */
    @TearDown(Level.Iteration)
    public void checkNothingWritten() {
      long written = counting.writes() - writesAtStart;
      if (written != 0) {
        throw new IllegalStateException(
            written + " writes reached the storage while putting present content (rule C2)");
      }
    }

    /** Closes the stores and deletes everything the trial wrote. */
    @TearDown(Level.Trial)
    public void tearDown() {
      store.close();
      counting.close();
      files.close();
      BenchData.deleteTree(dir);
    }
  }

  /** A store holding half of the contents whose digests {@code findMissing} is asked about. */
  @State(Scope.Benchmark)
  public static class Digests {
    /** How many digests {@code findMissing} is asked about; half are present. */
    @Param("10000")
    public int digests;

    Path dir;
    FileStorage files;
    ContentAddressedStore store;
    List<Digest> asked;

    /** Puts every other content. */
    @Setup(Level.Trial)
    public void setUp() {
      dir = BenchData.newDirectory("cas-find");
      files = new FileStorage(dir.resolve("store"));
      store = new ContentAddressedStore(files);
      asked = new ArrayList<>(digests);
      for (int i = 0; i < digests; i++) {
        byte[] small = ("content number " + i).getBytes(StandardCharsets.UTF_8);
        asked.add(i % 2 == 0 ? store.put(small) : Digest.sha256(small));
      }
    }

    Set<Digest> checked(Set<Digest> missing) {
      if (missing.size() != digests / 2) {
        throw new IllegalStateException(missing.size() + " digests missing, expected " + digests / 2);
      }
      return missing;
    }

    /** Closes the stores and deletes everything the trial wrote. */
    @TearDown(Level.Trial)
    public void tearDown() {
      store.close();
      files.close();
      BenchData.deleteTree(dir);
    }
  }

  /** Writes seen during one iteration of {@code putPresent}: a secondary result, 0 expected. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Writes {
    /** Writes that reached the storage. */
    public long writes;

    /** Counts from zero in each iteration. */
    @Setup(Level.Iteration)
    public void reset() {
      writes = 0;
    }
  }

  /** Stowage: put content that is present; nothing may be written. */
  @Benchmark
  public Digest putPresent(Present present, Writes seen) {
    long before = present.counting.writes();
    Digest digest = present.store.put(present.content);
    seen.writes += present.counting.writes() - before;
    return digest;
  }

  /** Baseline: hash the content for its address, and check that its path exists. */
  @Benchmark
  public boolean putPresentBaseline(Present present) {
    String hex = HexFormat.of().formatHex(BenchData.digest("SHA-256").digest(present.content));
    Path path =
        present.storeRoot.resolve("cas").resolve("sha256").resolve(hex.substring(0, 2))
            .resolve(hex.substring(2, 4)).resolve(hex);
    if (!Files.exists(path)) {
      throw new IllegalStateException(path + " is missing");
    }
    return true;
  }

  /** Stowage: one batched, parallel call. */
  @Benchmark
  public Set<Digest> findMissing(Digests d) {
    return d.checked(d.store.findMissing(d.asked));
  }

  /** Baseline: the same existence checks in a sequential loop. */
  @Benchmark
  public Set<Digest> findMissingBaseline(Digests d) {
    Set<Digest> missing = new LinkedHashSet<>();
    for (Digest digest : d.asked) {
      if (!d.files.exists(d.store.location(digest))) {
        missing.add(digest);
      }
    }
    return d.checked(missing);
  }
}
