package org.stowage.filesystem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.Metadata;
import org.stowage.WritePolicy;

/**
 * Rules R1, I3.1: every stream and listing a FileStorage hands out releases its file descriptors
 * when closed, also when abandoned half-way; and operations that fail release theirs. Counted in
 * {@code /proc/self/fd} (Linux) before and after hundreds of each; a leak of one descriptor per
 * operation shows as hundreds. {@code -Dstowage.leaks.rounds=N} for more.
 */
class FileStorageLeakTest {
  private static final int ROUNDS = Integer.getInteger("stowage.leaks.rounds", 500);

  @TempDir Path dir;
  private FileStorage storage;
  private final Random random = new Random(20250611);
  private final List<String> locations = new ArrayList<>();
  private final List<Metadata> metadata = new ArrayList<>();

  @BeforeEach
  void setUp() {
    Assumptions.assumeTrue(
        Files.isDirectory(Path.of("/proc/self/fd")), "needs /proc/self/fd to count descriptors");
    storage = new FileStorage(dir.resolve("store"));
    for (int i = 0; i < 20; i++) {
      String location = "d" + (i % 4) + "/sub" + (i % 3) + "/obj" + i;
      locations.add(location);
      metadata.add(storage.storeBytes(location, Disk.content(i, 10_000 + 5_000 * i)));
    }
  }

  /** Runs {@code round} once to warm up, then {@link #ROUNDS} times, and compares descriptors. */
  private void assertNoLeak(String what, Round round) throws Exception {
    assertNoLeak(what, ROUNDS, round);
  }

  private void assertNoLeak(String what, int rounds, Round round) throws Exception {
    round.run(0);
    long before = Disk.openDescriptors();
    for (int i = 0; i < rounds; i++) {
      round.run(i);
    }
    long after = Disk.openDescriptors();
    assertTrue(
        after - before < 10,
        what + ": " + before + " descriptors open before " + rounds + " rounds, " + after + " after");
  }

  private interface Round {
    void run(int i) throws Exception;
  }

  @Test
  @DisplayName("R1 loadStream, read part-way or not at all, then closed, releases its descriptor")
  void loadStreams() throws Exception {
    assertNoLeak("loadStream", i -> {
      try (InputStream in = storage.loadStream(locations.get(i % locations.size()))) {
        in.readNBytes(random.nextInt(12_000));
      }
    });
  }

  @Test
  @DisplayName("R2 verified loadStream, read part-way, to the end, or failing as changed, releases its descriptor")
  void verifiedLoadStreams() throws Exception {
    assertNoLeak("verified loadStream", i -> {
      int k = i % locations.size();
      try (InputStream in = storage.loadStream(locations.get(k), metadata.get(k))) {
        if (i % 3 == 0) {
          in.readAllBytes();
        } else {
          in.readNBytes(random.nextInt(12_000));
        }
      }
      Metadata wrong = new Metadata("0123456789abcdef0123456789abcdef", metadata.get(k).size());
      assertThrows(ChangedExternalResourceException.class, () -> storage.loadBytes(locations.get(k), wrong));
    });
  }

  @Test
  @DisplayName("I3.1 a listing consumed part-way, then closed, releases its directory handles")
  void listings() throws Exception {
    assertNoLeak("iterContents", i -> {
      String prefix = i % 2 == 0 ? "" : "d" + (i % 4) + "/";
      try (Stream<String> names = storage.iterContents(prefix)) {
        Iterator<String> it = names.iterator();
        for (int n = random.nextInt(6); n > 0 && it.hasNext(); n--) {
          it.next();
        }
      }
    });
    // A listing with content holds the directories on its path open (I8): closing it releases them.
    assertNoLeak("iterObjects", i -> {
      String prefix = i % 2 == 0 ? "" : "d" + (i % 4) + "/";
      try (Stream<org.stowage.ListedObject> objects = storage.iterObjects(prefix, "", 8192)) {
        Iterator<org.stowage.ListedObject> it = objects.iterator();
        for (int n = random.nextInt(6); n > 0 && it.hasNext(); n--) {
          it.next();
        }
      }
    });
  }

  @Test
  @DisplayName("R3 R4 getMetadata, verify and exists, intact, changed or missing, release their descriptors")
  void metadataAndVerify() throws Exception {
    String changed = "changed/obj";
    storage.storeBytes(changed, Disk.content(99, 4096));
    Disk.flipByteKeepingTime(storage.root().resolve("changed").resolve("obj"), 100);
    assertNoLeak("getMetadata/verify", i -> {
      int k = i % locations.size();
      assertEquals(metadata.get(k), storage.getMetadata(locations.get(k)));
      assertEquals(metadata.get(k), storage.verify(locations.get(k)));
      assertThrows(ChangedExternalResourceException.class, () -> storage.verify(changed));
      assertThrows(ExternalResourceException.class, () -> storage.verify("missing/obj"));
      storage.exists(locations.get(k));
    });
  }

  @Test
  @DisplayName("S2 stores that fail (source fails, CREATE refused, parent is an object) release their descriptors and temp files")
  void failedStores() throws Exception {
    assertNoLeak("failed stores", i -> {
      String location = "fail/" + (i % 7);
      assertThrows(ExternalResourceException.class,
          () -> storage.storeStream(location, new FailingStream(5_000 + i)));
      assertThrows(ExternalResourceException.class,
          () -> storage.storeBytes(locations.get(i % locations.size()), new byte[] {1}, WritePolicy.CREATE));
      assertThrows(ExternalResourceException.class,
          () -> storage.storeBytes(locations.get(i % locations.size()) + "/below", new byte[] {1}));
    });
    assertEquals(List.of(), Disk.tempFiles(storage.root()));
  }

  @Test
  @DisplayName("S1 D1 stores, overwrites, copies and deletes release their descriptors")
  void storesAndDeletes() throws Exception {
    // Six operations a round, each creating or pruning directories: a fifth of the rounds.
    assertNoLeak("stores and deletes", ROUNDS / 5, i -> {
      String location = "churn/" + (i % 5);
      storage.storeBytes(location, Disk.content(i, 3000));
      storage.storeStream(location, new java.io.ByteArrayInputStream(Disk.content(i + 1, 70_000)));
      storage.copy(location, location + "-copy");
      storage.move(location + "-copy", location + "-moved");
      storage.delete(location);
      storage.deleteIfExists(location + "-moved");
    });
    try (Stream<String> names = storage.iterContents("churn/")) {
      assertEquals(List.of(), names.collect(Collectors.toList()));
    }
  }

  /** Yields {@code good} bytes, then fails. */
  private static final class FailingStream extends InputStream {
    private int left;

    FailingStream(int good) {
      this.left = good;
    }

    @Override
    public int read() throws IOException {
      if (left-- <= 0) {
        throw new IOException("the source fails");
      }
      return 7;
    }
  }
}
