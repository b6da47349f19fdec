package org.stowage.filesystem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.stowage.ChangedExternalResourceException;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.StoredObject;

/**
 * Objects of at most {@link FileStorage#SMALL_OBJECT_BYTES} bytes are read whole without the
 * location's lock, and accepted only if their bytes hash to the record that fits the file (see
 * docs/filesystem.md, "Small objects"). These tests pin what that must not change: a reader racing
 * writers gets a whole version with its own metadata and never a false "changed"; damage on disk
 * and changes in place are reported as on the locked path. The small path is really taken (a
 * reader does not wait for a writer's lock), and when a directory takes the object's name between
 * its attribute read and its open (delete "q/a", store "q/a/x"), the read declines to the locked
 * path, which answers "absent", instead of failing with the directory's EISDIR.
 */
class FileStorageSmallReadTest {
  /** Enough rounds for freed inode numbers to be reused while readers look. */
  private static final int ROUNDS = 1500;
  /** Reads racing a directory that takes the object's name (it lost that race often enough). */
  private static final int DIRECTORY_RACE_ROUNDS = 100_000;

  @TempDir Path dir;
  FileStorage storage;
  ExecutorService pool;

  @AfterEach
  void close() throws InterruptedException {
    Racing.stop(pool, storage);
  }

  @ParameterizedTest(name = "versions of {0} and {1} bytes")
  @CsvSource({"3000, 3000", "1, 8192", "4096, 8193"})
  @DisplayName("T1.1 R3 readers of a small object racing overwrites get one whole version with its own metadata, never a false change")
  void readersRacingOverwrites(int sizeA, int sizeB) throws Exception {
    storage = FileStorage.builder(dir.resolve("store")).build();
    byte[] a = Disk.content(1, sizeA);
    byte[] b = Disk.content(2, sizeB);
    Map<String, byte[]> versions = Map.of(Disk.md5(a), a, Disk.md5(b), b);
    storage.storeBytes("x/shared", a);
    pool = Executors.newFixedThreadPool(5);
    CyclicBarrier start = new CyclicBarrier(5);
    List<Future<Integer>> results = new ArrayList<>(Racing.overwriters(pool, start, storage, "x/shared", ROUNDS, a, b));
    results.add(pool.submit(() -> {
      start.await(10, TimeUnit.SECONDS);
      for (int i = 0; i < ROUNDS; i++) {
        try (StoredObject object = storage.loadObject("x/shared")) {
          byte[] read = object.stream().readAllBytes();
          byte[] version = versions.get(object.metadata().md5());
          assertArrayEquals(version, read, "the bytes of the version whose metadata came with them");
          assertEquals(version.length, object.metadata().size());
        }
      }
      return ROUNDS;
    }));
    results.add(pool.submit(() -> {
      start.await(10, TimeUnit.SECONDS);
      for (int i = 0; i < ROUNDS; i++) {
        assertTrue(versions.containsKey(storage.verify("x/shared").md5()));
      }
      return ROUNDS;
    }));
    results.add(pool.submit(() -> {
      start.await(10, TimeUnit.SECONDS);
      for (int i = 0; i < ROUNDS; i++) {
        try (InputStream in = storage.loadStream("x/shared", Metadata.of(a))) {
          in.readAllBytes();
        } catch (ChangedExternalResourceException expectedWhenBIsThere) {
          // a verified load against A's metadata fails while B is stored: a real difference
        }
      }
      return ROUNDS;
    }));
    for (Future<Integer> result : results) {
      assertEquals(ROUNDS, result.get(120, TimeUnit.SECONDS));
    }
    assertTrue(versions.containsKey(storage.verify("x/shared").md5()));
    assertEquals(List.of(), Disk.tempFiles(dir.resolve("store")));
  }

  @Test
  @DisplayName("R2 R4 a byte flipped on disk in a small object, time set back, is caught by verify and by verified loads")
  void flippedByte() throws IOException {
    storage = FileStorage.builder(dir.resolve("store")).build();
    byte[] data = Disk.content(3, 4096);
    Metadata stored = storage.storeBytes("s/f.bin", data);
    Disk.assertFlipCaught(storage, "s/f.bin", stored, 1234);
  }

  @Test
  @DisplayName("R3 a small object changed in place (same bytes, new time) is reported changed, as a large one is")
  void touchedInPlace() throws IOException {
    storage = FileStorage.builder(dir.resolve("store")).build();
    storage.storeBytes("t.bin", Disk.content(4, 100));
    Path file = storage.root().resolve("t.bin");
    Disk.touch(file);
    ChangedExternalResourceException e =
        assertThrows(ChangedExternalResourceException.class, () -> storage.verify("t.bin"));
    assertTrue(e.getMessage().contains("R3"), e.getMessage());
    assertThrows(ChangedExternalResourceException.class, () -> storage.loadObject("t.bin").close());
  }

  @Test
  @DisplayName("R3 a small object whose record is a record file (attributes off) loads verified through the locked path")
  void recordFiles() throws IOException {
    storage = FileStorage.builder(dir.resolve("store")).extendedAttributes(false).build();
    byte[] data = Disk.content(5, 2000);
    Metadata stored = storage.storeBytes("r/f.bin", data);
    try (StoredObject object = storage.loadObject("r/f.bin")) {
      assertEquals(stored, object.metadata());
      assertArrayEquals(data, object.stream().readAllBytes());
    }
    Disk.flipByteKeepingTime(storage.root().resolve("r/f.bin"), 10);
    assertThrows(ChangedExternalResourceException.class, () -> storage.verify("r/f.bin"));
  }

  @Test
  @DisplayName("T1 a verified read of a small recorded object does not wait for a writer holding the location's lock (the small path is taken); a large one does")
  void smallReadTakesNoLock() throws Exception {
    storage = FileStorage.builder(dir.resolve("store")).build();
    byte[] small = Disk.content(8, 8192);
    byte[] large = Disk.content(9, 8193);
    storage.storeBytes("s", small);
    storage.storeBytes("l", large);
    java.lang.reflect.Field field = FileStorage.class.getDeclaredField("locks");
    field.setAccessible(true);
    LocationLocks locks = (LocationLocks) field.get(storage);
    pool = Executors.newFixedThreadPool(2);
    java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    Future<?> holder = pool.submit(() -> locks.withLock(org.stowage.Location.of("s"), () -> {
      locks.withLock(org.stowage.Location.of("l"), () -> {
        held.countDown();
        try {
          release.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return null;
      });
      return null;
    }));
    assertTrue(held.await(10, TimeUnit.SECONDS));
    Future<?> largeVerify = pool.submit(() -> storage.verify("l"));
    try {
      assertEquals(Disk.md5(small), storage.verify("s").md5(), "answered while the lock is held");
      assertThrows(java.util.concurrent.TimeoutException.class, () -> largeVerify.get(200, TimeUnit.MILLISECONDS),
          "a large object's verify waits for the lock");
    } finally {
      release.countDown();
    }
    holder.get(10, TimeUnit.SECONDS);
    assertEquals(Disk.md5(large), ((Metadata) largeVerify.get(10, TimeUnit.SECONDS)).md5());
  }

  @Test
  @DisplayName("T1 R1 the small read at the moment a directory has taken the file's name (after its attribute was read) declines, never throws")
  void smallReadOfDirectoryDeclines() throws Exception {
    storage = FileStorage.builder(dir.resolve("store")).build();
    byte[] data = Disk.content(7, 100);
    storage.storeBytes("q/a", data);
    Path file = storage.root().resolve("q/a");
    BasicFileAttributes fileAttributes =
        Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    UserDefinedFileAttributeView fileView =
        Files.getFileAttributeView(file, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    ByteBuffer record = ByteBuffer.allocate(1024);
    fileView.read("stowage.record", record);
    // The state the race produces between readAttribute and FileChannel.open: the path is a
    // directory now. The attribute read is simulated by giving the directory the file's record,
    // as the getxattr that ran a moment earlier on the file returned it.
    Path directory = storage.root().resolve("q/d");
    Files.createDirectory(directory);
    Files.getFileAttributeView(directory, UserDefinedFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
        .write("stowage.record", record.flip());
    Resolver.Located at =
        new Resolver.Located(directory, fileAttributes, directory.getParent(), 0, null, storage.root(), false);
    Method small = FileStorage.class.getDeclaredMethod("readSmallWithoutLock", org.stowage.Location.class, Resolver.Located.class);
    small.setAccessible(true);
    try {
      assertNull(small.invoke(storage, org.stowage.Location.of("q/a"), at), "declined: the locked path decides");
    } catch (InvocationTargetException e) {
      throw new AssertionError("the small read threw instead of declining: " + e.getCause(), e.getCause());
    }
  }

  @Test
  @DisplayName("T1 R1 a small read racing a delete and a directory taking the name reports absence, never an I/O error")
  void readRacingFileReplacedByDirectory() throws Exception {
    storage = FileStorage.builder(dir.resolve("store")).build();
    byte[] data = Disk.content(7, 100);
    storage.storeBytes("q/keep", data); // keeps q from being pruned
    storage.storeBytes("q/a", data);
    pool = Executors.newFixedThreadPool(2);
    CyclicBarrier start = new CyclicBarrier(2);
    AtomicBoolean done = new AtomicBoolean();
    List<Future<?>> results = new ArrayList<>();
    results.add(pool.submit(() -> {
      start.await(10, TimeUnit.SECONDS);
      while (!done.get()) {
        storage.delete("q/a");
        storage.storeBytes("q/a/x", data); // q/a is now a directory
        storage.delete("q/a/x"); // prunes q/a
        storage.storeBytes("q/a", data);
      }
      return null;
    }));
    results.add(pool.submit(() -> {
      start.await(10, TimeUnit.SECONDS);
      try {
        for (int i = 0; i < DIRECTORY_RACE_ROUNDS; i++) {
          try (StoredObject object = storage.loadObject("q/a")) {
            assertEquals(data.length, object.stream().readAllBytes().length);
          } catch (MissingExternalResourceException absent) {
            // deleted meanwhile: fine
          }
        }
      } finally {
        done.set(true);
      }
      return null;
    }));
    for (Future<?> result : results) {
      result.get(300, TimeUnit.SECONDS); // throws ExecutionException carrying the reader's failure
    }
  }
}
