package org.stowage.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.stowage.ExistingExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.WritePolicy;

/** What only the memory backend promises; the contract suite covers the rest. */
class MemoryStorageTest {
  private MemoryStorage storage = new MemoryStorage();

  @AfterEach
  void close() {
    storage.close();
  }

  @Test
  @DisplayName("copies what it is given: changing the array after storeBytes changes nothing stored")
  void copiesInput() {
    byte[] data = {1, 2, 3};
    storage.storeBytes("k", data);
    data[0] = 9;
    assertArrayEquals(new byte[] {1, 2, 3}, storage.loadBytes("k"));
  }

  @Test
  @DisplayName("hands out copies: changing a loaded array changes nothing stored")
  void copiesOutput() {
    storage.storeBytes("k", new byte[] {1, 2, 3});
    byte[] loaded = storage.loadBytes("k");
    loaded[0] = 9;
    assertArrayEquals(new byte[] {1, 2, 3}, storage.loadBytes("k"));
  }

  @Test
  @DisplayName("a store past the bound fails clearly and changes nothing")
  void boundIsEnforced() {
    storage = new MemoryStorage(10);
    storage.storeBytes("a", new byte[6]);
    ExternalResourceException e =
        assertThrows(ExternalResourceException.class, () -> storage.storeBytes("b", new byte[5]));
    assertTrue(e.getMessage().contains("bound of 10 bytes") && e.getMessage().contains("\"b\""), e.getMessage());
    assertFalse(storage.exists("b"));
    assertEquals(6, storage.usedBytes());
    // Replacing counts the space the old object frees.
    storage.storeBytes("a", new byte[10]);
    assertEquals(10, storage.usedBytes());
    storage.delete("a");
    assertEquals(0, storage.usedBytes());
  }

  @Test
  @DisplayName("an endless stream past the bound is refused without exhausting the heap")
  void endlessStreamIsRefused() {
    storage = new MemoryStorage(1 << 20);
    InputStream endless =
        new InputStream() {
          @Override
          public int read() {
            return 'x';
          }

          @Override
          public int read(byte[] b, int off, int len) {
            java.util.Arrays.fill(b, off, off + len, (byte) 'x');
            return len;
          }
        };
    assertThrows(ExternalResourceException.class, () -> storage.storeStream("k", endless));
    assertFalse(storage.exists("k"));
    assertEquals(0, storage.usedBytes());
  }

  @Test
  @DisplayName("a small stream of unknown length is stored when less than 8 KiB of room is left")
  void smallStreamInSmallRoom() {
    MemoryStorage bounded = new MemoryStorage(10);
    Metadata stored = bounded.storeStream("s", new java.io.ByteArrayInputStream(new byte[] {1, 2, 3}) {
      @Override
      public synchronized int available() {
        return 0;
      }
    });
    assertEquals(Metadata.of(new byte[] {1, 2, 3}), stored);
    assertEquals(3, bounded.usedBytes());
    assertEquals(Metadata.of(new byte[] {1, 2, 3}), bounded.copy("s", "t"), "a copy streams too");
    assertEquals(6, bounded.usedBytes());
  }

  @Test
  @DisplayName("an unknown-length stream that fits exactly in the bound is stored")
  void exactFit() {
    storage = new MemoryStorage(100_000);
    byte[] data = new byte[100_000];
    Metadata m = storage.storeStream("k", new java.io.ByteArrayInputStream(data) {
      @Override
      public synchronized int available() {
        return 0;
      }
    });
    assertEquals(100_000, m.size());
    assertEquals(100_000, storage.usedBytes());
  }

  @Test
  @DisplayName("stores every byte of arrays and unknown-length streams around the read buffer's sizes")
  void sizesAroundTheBuffer() {
    MemoryStorage bounded = new MemoryStorage(1 << 20);
    try {
      for (int size : new int[] {0, 1, 15, 16, 17, 8191, 8192, 8193, 16384, 16385, 100_000}) {
        byte[] data = new byte[size];
        new java.util.Random(size).nextBytes(data);
        Metadata expected = Metadata.of(data);
        for (MemoryStorage s : List.of(storage, bounded)) {
          String a = "array/" + size;
          String t = "stream/" + size;
          assertEquals(expected, s.storeBytes(a, data), a);
          assertEquals(expected, s.storeStream(t, new java.io.ByteArrayInputStream(data) {
            @Override
            public synchronized int available() {
              return 0; // no size hint: the store must grow its array
            }
          }), t);
          assertArrayEquals(data, s.loadBytes(a, expected), a);
          assertArrayEquals(data, s.loadBytes(t, expected), t);
        }
      }
      assertEquals(storage.usedBytes(), bounded.usedBytes());
    } finally {
      bounded.close();
    }
  }

  @Test
  @DisplayName("an unbounded store accounts for replaced, refused and deleted objects")
  void unboundedAccounting() {
    storage.storeBytes("a", new byte[6]);
    storage.storeBytes("b", new byte[4]);
    assertEquals(10, storage.usedBytes());
    storage.storeBytes("a", new byte[2]);
    assertEquals(6, storage.usedBytes());
    assertThrows(ExistingExternalResourceException.class,
        () -> storage.storeBytes("b", new byte[100], WritePolicy.CREATE));
    assertEquals(6, storage.usedBytes());
    assertEquals(4, storage.loadBytes("b").length);
    storage.storeBytes("c", new byte[5], WritePolicy.CREATE);
    assertEquals(11, storage.usedBytes());
    storage.delete("a");
    storage.delete("c");
    assertEquals(4, storage.usedBytes());
  }

  @Test
  @DisplayName("I2 lists in UTF-8 byte order, not UTF-16 order")
  void sortedListing() {
    for (String l : List.of("\uff61", "\ud83d\ude00", "a/b", "a-c", "a")) {
      storage.storeBytes(l, new byte[0]);
    }
    try (Stream<String> s = storage.iterContents()) {
      assertEquals(List.of("a", "a-c", "a/b", "\uff61", "\ud83d\ude00"), s.collect(Collectors.toList()));
    }
  }

  @Test
  @DisplayName("S5 CREATE from 8 threads at once lets exactly one win")
  void createRace() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      for (int round = 0; round < 50; round++) {
        String location = "race/" + round;
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Boolean>> results = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          byte[] data = {(byte) t};
          Callable<Boolean> writer = () -> {
            start.await();
            try {
              storage.storeBytes(location, data, WritePolicy.CREATE);
              return true;
            } catch (ExistingExternalResourceException e) {
              return false;
            }
          };
          results.add(pool.submit(writer));
        }
        start.countDown();
        int winners = 0;
        for (Future<Boolean> f : results) {
          winners += f.get() ? 1 : 0;
        }
        assertEquals(1, winners, "exactly one CREATE wins at " + location);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("M2 move re-keys the object in one step: exactly one of 8 concurrent moves wins")
  void moveRace() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      for (int round = 0; round < 50; round++) {
        String from = "src/" + round;
        Metadata stored = storage.storeBytes(from, new byte[] {(byte) round, 1, 2});
        long used = storage.usedBytes();
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Boolean>> results = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          String to = "dst/" + round + "/" + t;
          Callable<Boolean> mover = () -> {
            start.await();
            try {
              return stored.equals(storage.move(from, to, WritePolicy.CREATE));
            } catch (MissingExternalResourceException e) {
              return false;
            }
          };
          results.add(pool.submit(mover));
        }
        start.countDown();
        int winners = 0;
        for (Future<Boolean> f : results) {
          winners += f.get() ? 1 : 0;
        }
        assertEquals(1, winners, "exactly one move wins for " + from);
        assertFalse(storage.exists(from));
        assertEquals(used, storage.usedBytes(), "a move neither adds nor loses bytes");
        try (Stream<String> at = storage.iterContents("dst/" + round + "/")) {
          assertEquals(1, at.count(), "the object is at one target only");
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @DisplayName("M2 an OVERWRITE move frees the replaced object's bytes from the bound")
  void moveAccounting() {
    MemoryStorage bounded = new MemoryStorage(10);
    bounded.storeBytes("a", new byte[6]);
    bounded.storeBytes("b", new byte[4]);
    assertEquals(Metadata.of(new byte[6]), bounded.move("a", "b"));
    assertEquals(6, bounded.usedBytes());
    bounded.storeBytes("c", new byte[4]); // fits again: b's old 4 bytes were freed
    assertEquals(10, bounded.usedBytes());
    assertThrows(ExistingExternalResourceException.class,
        () -> bounded.move("c", "b", WritePolicy.CREATE));
    assertEquals(10, bounded.usedBytes());
  }

  @Test
  @DisplayName("uri names the instance and the location")
  void uri() {
    String uri = storage.uri("a b/c").toString();
    assertTrue(uri.startsWith("memory://store-") && uri.endsWith("/a%20b/c"), uri);
  }
}
