package org.stowage.filesystem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.stowage.ExistingExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.Metadata;
import org.stowage.WritePolicy;

/** Atomic stores, temporary files, durability and concurrency within one process. */
class FileStorageAtomicityTest {
  @TempDir Path dir;
  final List<FileStorage> opened = new ArrayList<>();
  ExecutorService pool;

  FileStorage open(FileStorage.Builder builder) {
    FileStorage storage = builder.build();
    opened.add(storage);
    return storage;
  }

  @AfterEach
  void close() throws InterruptedException {
    opened.forEach(FileStorage::close);
    if (pool != null) {
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
    }
  }

  /** Yields {@code good} bytes, then fails. */
  static final class FailingStream extends InputStream {
    private final int good;
    private int position;

    FailingStream(int good) {
      this.good = good;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (position >= good) {
        throw new IOException("the source broke");
      }
      int n = Math.min(len, good - position);
      position += n;
      return n;
    }
  }

  @ParameterizedTest(name = "S2 a failed {0} store leaves nothing behind")
  @ValueSource(booleans = {false, true})
  @DisplayName("S2 a store whose source fails midway leaves no temp file and the old object intact")
  void failedStore(boolean durable) throws IOException {
    Path root = dir.resolve("store");
    FileStorage storage = open(FileStorage.builder(root).durable(durable));
    Metadata old = storage.storeBytes("keep/me.bin", Disk.utf8("old content"));
    ExternalResourceException e =
        assertThrows(
            ExternalResourceException.class,
            () -> storage.storeStream("keep/me.bin", new FailingStream(3_000_000)));
    assertTrue(e.getMessage().contains("source"), e.getMessage());
    assertThrows(
        ExternalResourceException.class,
        () -> storage.storeStream("fresh/new.bin", new FailingStream(100_000)));
    assertThrows(
        ExternalResourceException.class,
        () -> storage.storeStream("fresh2", new FailingStream(10), WritePolicy.CREATE));
    assertEquals(List.of(), Disk.tempFiles(root));
    assertArrayEquals(Disk.utf8("old content"), storage.loadBytes("keep/me.bin"));
    assertEquals(old, storage.verify("keep/me.bin"));
    assertFalse(storage.exists("fresh/new.bin"));
    assertFalse(storage.exists("fresh2"));
    try (Stream<String> listed = storage.iterContents("")) {
      assertEquals(List.of("keep/me.bin"), listed.collect(Collectors.toList()));
    }
  }

  @Test
  @DisplayName("S2 temp leftovers of crashed writers are never listed and break nothing")
  void tempLeftovers() throws IOException {
    Path root = dir.resolve("store");
    FileStorage storage = open(FileStorage.builder(root));
    storage.storeBytes("a/b.txt", Disk.utf8("b"));
    Files.write(root.resolve(".stowage-tmp-x"), Disk.utf8("partial"));
    Files.write(root.resolve("a/.stowage-tmp-y"), Disk.utf8("partial"));
    Files.createDirectories(root.resolve("c"));
    Files.write(root.resolve("c/.stowage-tmp-z"), Disk.utf8("partial"));
    try (Stream<String> listed = storage.iterContents("")) {
      assertEquals(List.of("a/b.txt"), listed.collect(Collectors.toList()));
    }
    assertTrue(storage.exists("a/b.txt"));
    storage.storeBytes("a/b.txt", Disk.utf8("b2"));
    storage.storeBytes("c/d", Disk.utf8("d"));
    storage.delete("c/d");
    assertEquals(Metadata.of(Disk.utf8("b2")), storage.verify("a/b.txt"));
    // The directory holding a leftover is not empty, so delete leaves it.
    assertTrue(Files.isDirectory(root.resolve("c")));
    assertEquals(3, Disk.tempFiles(root).size());
  }

  @Test
  @DisplayName("S2 cleanTempFilesOlderThan removes old leftovers at open, keeps recent ones")
  void cleanTempFiles() throws IOException {
    Path root = dir.resolve("store");
    Files.createDirectories(root.resolve("a"));
    Path old = root.resolve("a/.stowage-tmp-old");
    Path recent = root.resolve("a/.stowage-tmp-recent");
    Files.write(old, Disk.utf8("o"));
    Files.write(recent, Disk.utf8("r"));
    Files.setLastModifiedTime(old, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
    Path oldObject = root.resolve("a/kept.txt");
    Files.write(oldObject, Disk.utf8("k"));
    Files.setLastModifiedTime(oldObject, FileTime.from(Instant.now().minus(Duration.ofHours(2))));

    open(FileStorage.builder(root)); // cleaning is off by default
    assertTrue(Files.exists(old));
    FileStorage storage = open(FileStorage.builder(root).cleanTempFilesOlderThan(Duration.ofHours(1)));
    assertFalse(Files.exists(old));
    assertTrue(Files.exists(recent));
    assertTrue(storage.exists("a/kept.txt"));
    assertThrows(
        IllegalArgumentException.class,
        () -> FileStorage.builder(root).cleanTempFilesOlderThan(Duration.ZERO));
  }

  @Test
  @DisplayName("S2 durable mode stores, replaces, creates and deletes like the default mode")
  void durable() throws IOException {
    Path root = dir.resolve("store");
    FileStorage storage = open(FileStorage.builder(root).durable(true));
    byte[] data = Disk.content(1, 200_000);
    Metadata stored = storage.storeBytes("x/y/z.bin", data);
    assertEquals(new Metadata(Disk.md5(data), data.length), stored);
    assertNotNull(Disk.recordText(root, "x/y/z.bin"), "the record is written");
    assertEquals(stored, storage.getMetadata("x/y/z.bin"));
    storage.storeBytes("x/y/z.bin", Disk.utf8("again"));
    assertArrayEquals(Disk.utf8("again"), storage.loadBytes("x/y/z.bin"));
    storage.storeBytes("x/c", Disk.utf8("c"), WritePolicy.CREATE);
    assertThrows(
        ExistingExternalResourceException.class,
        () -> storage.storeBytes("x/c", Disk.utf8("d"), WritePolicy.CREATE));
    storage.delete("x/y/z.bin");
    storage.delete("x/c");
    assertEquals(List.of(), Disk.visibleEntries(root));
    assertEquals(List.of(), Disk.tempFiles(root));
  }

  @ParameterizedTest(name = "S5 CREATE with 8 threads, hard links {0}: one winner")
  @ValueSource(booleans = {true, false})
  @DisplayName("S5 CREATE from 8 concurrent threads lets exactly one win, and its bytes stay")
  void createRace(boolean hardLinks) throws Exception {
    Path root = dir.resolve("store");
    FileStorage storage = open(FileStorage.builder(root).hardLinks(hardLinks));
    int threads = 8;
    pool = Executors.newFixedThreadPool(threads);
    for (int round = 0; round < 20; round++) {
      String location = "race/" + round + "/object";
      CyclicBarrier start = new CyclicBarrier(threads);
      List<Future<Metadata>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        byte[] data = Disk.content(round * 100L + t, 50_000 + t);
        results.add(
            pool.submit(
                () -> {
                  start.await(10, TimeUnit.SECONDS);
                  try {
                    return storage.storeBytes(location, data, WritePolicy.CREATE);
                  } catch (ExistingExternalResourceException lost) {
                    return null;
                  }
                }));
      }
      List<Metadata> winners = new ArrayList<>();
      for (Future<Metadata> result : results) {
        Metadata m = result.get(30, TimeUnit.SECONDS);
        if (m != null) {
          winners.add(m);
        }
      }
      assertEquals(1, winners.size(), "winners of round " + round);
      assertEquals(winners.get(0), Metadata.of(storage.loadBytes(location)));
      assertEquals(winners.get(0), storage.verify(location));
    }
    assertEquals(List.of(), Disk.tempFiles(root));
  }

  @Test
  @DisplayName("T1 concurrent stores and deletes in shared directories never fail on pruning")
  void pruningRace() throws Exception {
    Path root = dir.resolve("store");
    FileStorage storage = open(FileStorage.builder(root));
    int threads = 6;
    pool = Executors.newFixedThreadPool(threads);
    CyclicBarrier start = new CyclicBarrier(threads);
    List<Future<Integer>> results = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      String location = "p/q/r/object-" + t;
      byte[] data = Disk.content(t, 1000);
      Callable<Integer> task =
          () -> {
            start.await(10, TimeUnit.SECONDS);
            int done = 0;
            for (int i = 0; i < 150; i++) {
              storage.storeBytes(location, data);
              assertArrayEquals(data, storage.loadBytes(location));
              storage.delete(location);
              done++;
            }
            return done;
          };
      results.add(pool.submit(task));
    }
    for (Future<Integer> result : results) {
      assertEquals(150, result.get(60, TimeUnit.SECONDS));
    }
    assertEquals(List.of(), Disk.visibleEntries(root));
  }

  /**
   * Enough rounds for the writers' new files to reuse freed inode numbers while readers look: the
   * case where a record of an older file with the same identity could be mistaken for a change in
   * place (prevented by the location locks).
   */
  private static final int ROUNDS = 400;

  @Test
  @DisplayName("T1 R3 readers racing overwrites see whole objects and never a false change")
  void readersDuringOverwrites() throws Exception {
    Path root = dir.resolve("store");
    FileStorage storage = open(FileStorage.builder(root));
    byte[] a = Disk.content(1, 100_000);
    byte[] b = Disk.content(2, 70_000);
    List<String> good = List.of(Disk.md5(a), Disk.md5(b));
    storage.storeBytes("shared", a);
    pool = Executors.newFixedThreadPool(4);
    CyclicBarrier start = new CyclicBarrier(4);
    List<Future<Integer>> results = new ArrayList<>();
    for (int w = 0; w < 2; w++) {
      byte[] data = w == 0 ? a : b;
      results.add(
          pool.submit(
              () -> {
                start.await(10, TimeUnit.SECONDS);
                for (int i = 0; i < ROUNDS; i++) {
                  storage.storeBytes("shared", data);
                }
                return ROUNDS;
              }));
    }
    for (int r = 0; r < 2; r++) {
      boolean verify = r == 0;
      results.add(
          pool.submit(
              () -> {
                start.await(10, TimeUnit.SECONDS);
                for (int i = 0; i < ROUNDS; i++) {
                  if (verify) {
                    assertTrue(good.contains(storage.verify("shared").md5()));
                  } else {
                    assertTrue(good.contains(Disk.md5(storage.loadBytes("shared"))));
                    assertTrue(good.contains(storage.getMetadata("shared").md5()));
                  }
                }
                return ROUNDS;
              }));
    }
    for (Future<Integer> result : results) {
      assertEquals(ROUNDS, result.get(60, TimeUnit.SECONDS));
    }
    assertTrue(good.contains(storage.verify("shared").md5()));
    assertEquals(List.of(), Disk.tempFiles(root));
  }

  @Test
  @DisplayName("T1 an interrupted caller may fail, but the storage keeps working for everyone")
  void interruptedCaller() {
    Path root = dir.resolve("store");
    FileStorage storage = open(FileStorage.builder(root));
    FileStorage other = open(FileStorage.builder(root));
    Metadata stored = storage.storeBytes("i/x", Disk.utf8("x"));
    for (int i = 0; i < 3; i++) {
      Thread.currentThread().interrupt();
      try {
        storage.getMetadata("i/x");
        storage.storeBytes("i/y", Disk.utf8("y"));
      } catch (ExternalResourceException e) {
        // NIO fails I/O of an interrupted thread; that is the caller's business
      } finally {
        Thread.interrupted();
      }
    }
    assertEquals(stored, storage.getMetadata("i/x"));
    assertEquals(stored, other.verify("i/x"));
    other.storeBytes("i/z", Disk.utf8("z"), WritePolicy.CREATE);
    assertEquals(Metadata.of(Disk.utf8("z")), storage.getMetadata("i/z"));
  }
}
