package org.stowage.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
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
import org.stowage.filesystem.FileStorage;

/**
 * Benchmark 3: {@link FileStorage} stores and loads of small objects (4 KiB), in operations per
 * second, against raw {@code java.nio.file} code on the same filesystem.
 *
 * <ul>
 *   <li>{@code store}: {@code storeBytes} over one of {@value #KEYS} locations (so each store
 *       replaces an object, as steady-state writers do), atomic (temp file and rename), with its
 *       MD5 and metadata record. Baseline {@code storeBaseline}: write a temp file, then {@code
 *       Files.move(ATOMIC_MOVE)} over the target: the least code that is atomic too. For
 *       information, {@code storeFloorBaseline}: the floor of the rules, that code plus the MD5
 *       and a record attribute on the temporary file (what no store that keeps S1, S2 and R3 can
 *       skip; on tmpfs the MD5 of 4 KiB alone costs most of a raw store).
 *   <li>{@code storeNew}: {@code storeBytes} to a location never used before (a thousand per
 *       directory), as a workflow writes its outputs: this also creates the object's metadata
 *       record. Baselines: {@code storeNewPlainBaseline}, a plain {@code Files.write} of the final
 *       file, creating its directories (not atomic: what gufe does); {@code storeNewBaseline}, a
 *       temp file and {@code Files.move} to a new name, same layout (atomic, for information);
 *       {@code storeNewFloorBaseline}, the floor of the rules in the same layout.
 *   <li>{@code load}: {@code loadBytes(location)}. Baseline {@code loadBaseline}: {@code
 *       Files.readAllBytes} of the same object file.
 *   <li>{@code loadVerified}: {@code loadBytes(location, expected)}, checked against its MD5.
 *       Baseline {@code loadVerifiedBaseline}: {@code Files.readAllBytes} plus an MD5 of the bytes.
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SmallFileBenchmark {
  static final int KEYS = 256;

  /** The size of each object. */
  @Param("4096")
  public int objectBytes;

  private Path dir;
  private FileStorage storage;
  private Path rawDir;
  private String[] locations;
  private Path[] objectFiles;
  private Path[] rawTargets;
  private byte[] data;
  private Metadata metadata;
  private MessageDigest md5;
  private byte[] expectedMd5;
  private int next;
  private int fresh;
  private Path rawNewDir;

  /** Stores {@value #KEYS} objects, and prepares the raw baseline's directory alongside. */
  @Setup(Level.Trial)
  public void setUp() throws IOException {
    dir = BenchData.newDirectory("small-files");
    storage = new FileStorage(dir.resolve("store"));
    rawDir = Files.createDirectories(dir.resolve("raw").resolve("objects"));
    rawNewDir = Files.createDirectories(dir.resolve("raw").resolve("new"));
    data = BenchData.randomBytes(objectBytes, 3);
    locations = new String[KEYS];
    objectFiles = new Path[KEYS];
    rawTargets = new Path[KEYS];
    for (int i = 0; i < KEYS; i++) {
      locations[i] = String.format("objects/o%05d.bin", i);
      metadata = storage.storeBytes(locations[i], data);
      objectFiles[i] = Path.of(storage.uri(locations[i]));
      rawTargets[i] = rawDir.resolve(String.format("o%05d.bin", i));
      Files.write(rawTargets[i], data);
    }
    md5 = BenchData.md5();
    expectedMd5 = HexFormat.of().parseHex(metadata.md5());
  }

  private int nextIndex() {
    return next++ & (KEYS - 1);
  }

  /** Stowage: an atomic store, with MD5 and metadata record. */
  @Benchmark
  public Metadata store() {
    return storage.storeBytes(locations[nextIndex()], data);
  }

  /** Baseline: write a temp file next to the target, then rename it over the target. */
  @Benchmark
  public Path storeBaseline() throws IOException {
    Path target = rawTargets[nextIndex()];
    Path temp =
        rawDir.resolve(".tmp-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()));
    Files.write(temp, data, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    return Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Stowage: an atomic store to a new location, with MD5 and a new metadata record. */
  @Benchmark
  public Metadata storeNew() {
    int i = fresh++;
    return storage.storeBytes(String.format("new/d%05d/o%03d.bin", i / 1000, i % 1000), data);
  }

  /** Baseline: a temp file renamed to a new name, in the same layout. */
  @Benchmark
  public Path storeNewBaseline() throws IOException {
    int i = fresh++;
    Path target = rawNewDir.resolve(String.format("d%05d", i / 1000));
    if (i % 1000 == 0) {
      Files.createDirectories(target);
    }
    Path temp =
        target.resolve(".tmp-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()));
    Files.write(temp, data, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    Path name = target.resolve(String.format("o%03d.bin", i % 1000));
    return Files.move(temp, name, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Baseline, the floor of the rules for a replacing store: what {@code storeBaseline} does, plus
   * the MD5 of the content (S1) and its record in an extended attribute of the temporary file
   * before the rename (R3). No lock, no check of the directories or the target, no version.
   */
  @Benchmark
  public Path storeFloorBaseline() throws IOException {
    return storeAtomically(rawDir, rawTargets[nextIndex()]);
  }

  /**
   * Baseline, the floor of the rules for a store to a new location: as above, in the new layout,
   * with the directory work of {@code storeNewPlainBaseline} ({@code Files.createDirectories} on
   * every store), so that the two differ only by what the rules add.
   */
  @Benchmark
  public Path storeNewFloorBaseline() throws IOException {
    int i = fresh++;
    Path dir = Files.createDirectories(rawNewDir.resolve(String.format("d%05d", i / 1000)));
    return storeAtomically(dir, dir.resolve(String.format("o%03d.bin", i % 1000)));
  }

  private Path storeAtomically(Path dir, Path target) throws IOException {
    String md5Hex = HexFormat.of().formatHex(md5.digest(data));
    Path temp =
        dir.resolve(".tmp-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()));
    Files.write(temp, data, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    BenchData.writeRecordAttribute(temp, md5Hex);
    return Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Baseline: a plain write of the final file into the same layout, creating its directories
   * ({@code Files.createDirectories}, then {@code Files.write}), as gufe stores: not atomic, no
   * hash, no record.
   */
  @Benchmark
  public Path storeNewPlainBaseline() throws IOException {
    int i = fresh++;
    Path target = Files.createDirectories(rawNewDir.resolve(String.format("d%05d", i / 1000)));
    return Files.write(target.resolve(String.format("o%03d.bin", i % 1000)), data);
  }

  /** Stowage: an unverified load. */
  @Benchmark
  public byte[] load() {
    return storage.loadBytes(locations[nextIndex()]);
  }

  /** Baseline: read the same object file. */
  @Benchmark
  public byte[] loadBaseline() throws IOException {
    return Files.readAllBytes(objectFiles[nextIndex()]);
  }

  /** Stowage: a load verified against the object's MD5 and size. */
  @Benchmark
  public byte[] loadVerified() {
    return storage.loadBytes(locations[nextIndex()], metadata);
  }

  /** Baseline: read the same object file and hash it. */
  @Benchmark
  public byte[] loadVerifiedBaseline() throws IOException {
    byte[] bytes = Files.readAllBytes(objectFiles[nextIndex()]);
    if (!MessageDigest.isEqual(md5.digest(bytes), expectedMd5)) {
      throw new IllegalStateException("the object file changed");
    }
    return bytes;
  }

  /** Closes the store and deletes everything the trial wrote. */
  @TearDown(Level.Trial)
  public void tearDown() {
    storage.close();
    BenchData.deleteTree(dir);
  }
}
