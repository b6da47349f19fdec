package org.stowage.filesystem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.stowage.ChangedExternalResourceException;
import org.stowage.Metadata;
import org.stowage.StoredObject;

/**
 * Objects of at most {@link FileStorage#SMALL_OBJECT_BYTES} bytes are read whole without the
 * location's lock, and accepted only if their bytes hash to the record that fits the file (see
 * docs/filesystem.md, "Small objects"). These tests pin what that must not change: a reader racing
 * writers gets a whole version with its own metadata and never a false "changed"; damage on disk
 * and changes in place are reported as on the locked path.
 */
class FileStorageSmallReadTest {
  /** Enough rounds for freed inode numbers to be reused while readers look. */
  private static final int ROUNDS = 1500;

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
    List<Future<Integer>> results = new ArrayList<>();
    for (byte[] data : List.of(a, b)) {
      results.add(pool.submit(() -> {
        start.await(10, TimeUnit.SECONDS);
        for (int i = 0; i < ROUNDS; i++) {
          storage.storeBytes("x/shared", data);
        }
        return ROUNDS;
      }));
    }
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
    Disk.flipByteKeepingTime(storage.root().resolve("s/f.bin"), 1234);
    assertThrows(ChangedExternalResourceException.class, () -> storage.verify("s/f.bin"));
    assertThrows(ChangedExternalResourceException.class, () -> {
      try (StoredObject object = storage.loadObject("s/f.bin")) {
        object.stream().readAllBytes();
      }
    });
    assertThrows(ChangedExternalResourceException.class, () -> storage.loadBytes("s/f.bin", stored));
    assertEquals(stored, storage.getMetadata("s/f.bin"), "the record is kept as it is");
  }

  @Test
  @DisplayName("R3 a small object changed in place (same bytes, new time) is reported changed, as a large one is")
  void touchedInPlace() throws IOException {
    storage = FileStorage.builder(dir.resolve("store")).build();
    storage.storeBytes("t.bin", Disk.content(4, 100));
    Path file = storage.root().resolve("t.bin");
    Files.setLastModifiedTime(file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 5000));
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
}
