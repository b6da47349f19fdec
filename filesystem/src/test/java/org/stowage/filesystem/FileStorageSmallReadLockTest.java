package org.stowage.filesystem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.StoredObject;

/**
 * The lock-free read of small objects (docs/filesystem.md, "Small objects are read without the
 * lock"): it is really taken (a reader does not wait for a writer's lock), and when a directory
 * takes the object's name between its attribute read and its open (delete "q/a", store "q/a/x"),
 * the read declines to the locked path, which answers "absent", instead of failing with the
 * directory's EISDIR.
 */
class FileStorageSmallReadLockTest {
  private static final int ROUNDS = 100_000;

  @TempDir Path dir;
  FileStorage storage;
  ExecutorService pool;

  @AfterEach
  void close() throws InterruptedException {
    if (pool != null) {
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
    }
    if (storage != null) {
      storage.close();
    }
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
        for (int i = 0; i < ROUNDS; i++) {
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
