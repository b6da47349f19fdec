package org.stowage.filesystem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.ExternalStorage;
import org.stowage.Metadata;
import org.stowage.WritePolicy;
import org.stowage.testkit.AdoptPathChecks;

/**
 * Rule M3 against {@link FileStorage}, and how it adopts: by a rename on the same filesystem (the
 * object is the very file, with a valid R3 record), by the copying default across filesystems and
 * for a file with other hard links.
 */
class FileStorageAdoptTest extends AdoptPathChecks {
  @TempDir Path dir;
  private FileStorage storage;

  @Override
  protected ExternalStorage storage() {
    if (storage == null) {
      storage = new FileStorage(dir.resolve("store"));
    }
    return storage;
  }

  @AfterEach
  void close() {
    if (storage != null) {
      storage.close();
    }
  }

  private static Object inode(Path p) throws IOException {
    return Files.getAttribute(p, "unix:ino", LinkOption.NOFOLLOW_LINKS);
  }

  private static boolean hasUnixView() {
    return java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("unix");
  }

  @Test
  @DisplayName("M3 on one filesystem the file is renamed into place: same inode, recorded metadata, under every policy that stores")
  void renamesOnOneFilesystem() throws IOException {
    assumeTrue(hasUnixView(), "needs the unix attribute view");
    storage();
    for (WritePolicy policy : WritePolicy.values()) {
      byte[] content = new byte[70_000];
      new Random(policy.ordinal()).nextBytes(content);
      Path source = Files.write(dir.resolve("scratch-" + policy), content);
      Object inode = inode(source);
      String location = "adopted/" + policy + "/file.bin";
      Metadata stored = storage.adoptPath(location, source, policy);
      Path object = storage.root().resolve(location);
      assertFalse(Files.exists(source, LinkOption.NOFOLLOW_LINKS), policy + ": the scratch name is gone");
      assertEquals(inode, inode(object), policy + ": renamed, not copied");
      assertEquals(1, Files.getAttribute(object, "unix:nlink"), policy + ": no second name of the object left");
      assertEquals(Metadata.of(content), stored);
      try (FileStorage reopened = new FileStorage(storage.root())) {
        assertEquals(stored, reopened.getMetadata(location), policy + ": R3 record valid for the renamed file");
        assertArrayEquals(content, reopened.loadBytes(location, stored));
      }
    }
  }

  @Test
  @DisplayName("M3 a location taken between an adoption's look and its lock: CREATE refuses, the file is kept without the record attribute set on it")
  void refusedAfterRecordingKeepsTheFileUnrecorded() throws Exception {
    assumeTrue(hasUnixView(), "needs the unix attribute view");
    storage();
    byte[] content = "scratch output".getBytes(StandardCharsets.UTF_8);
    Path source = Files.write(dir.resolve("scratch-out.txt"), content);
    String location = "late/out.txt";
    Path target = storage.root().resolve(location);
    Throwable failure = adoptWhileLocked(location, source, WritePolicy.CREATE, () -> {
      Files.createDirectories(target.getParent());
      Files.write(target, "another writer's".getBytes(StandardCharsets.UTF_8));
    });
    assertEquals(org.stowage.ExistingExternalResourceException.class,
        failure == null ? null : failure.getClass(), String.valueOf(failure));
    assertArrayEquals(content, Files.readAllBytes(source), "the file is kept");
    assertNull(Disk.recordAttributeBytes(source), "without the record attribute the adoption set on it");
    assertArrayEquals("another writer's".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(target));
  }

  @Test
  @DisplayName("M3 a file changed between an adoption's hashing and its lock: refused, the file is kept without the record attribute set on it")
  void changedAfterRecordingKeepsTheFileUnrecorded() throws Exception {
    assumeTrue(hasUnixView(), "needs the unix attribute view");
    storage();
    byte[] content = "scratch output, touched".getBytes(StandardCharsets.UTF_8);
    Path source = Files.write(dir.resolve("scratch-touched.txt"), content);
    String location = "late/touched.txt";
    Throwable failure = adoptWhileLocked(location, source, WritePolicy.OVERWRITE, () -> Disk.touch(source));
    assertTrue(failure instanceof org.stowage.ExternalResourceException
        && failure.getMessage().contains("changed while it was hashed"), String.valueOf(failure));
    assertArrayEquals(content, Files.readAllBytes(source), "the file is kept");
    assertNull(Disk.recordAttributeBytes(source), "without the record attribute the adoption set on it");
    assertFalse(storage.exists(location), "nothing stored");
  }

  /** What ran while the test held the location's lock, as another writer would. */
  @FunctionalInterface
  private interface WhileLocked {
    void run() throws IOException;
  }

  /**
   * Adopts {@code source} on another thread while this one holds the location's lock: once the
   * adoption has set the record attribute (after hashing, before its own lock), runs {@code
   * meanwhile}, then lets it go on. Returns what the adoption threw, or null.
   */
  private Throwable adoptWhileLocked(String location, Path source, WritePolicy policy, WhileLocked meanwhile)
      throws Exception {
    java.util.concurrent.atomic.AtomicReference<Throwable> failure =
        new java.util.concurrent.atomic.AtomicReference<>();
    Thread adopter = new Thread(() -> {
      try {
        storage.adoptPath(location, source, policy);
      } catch (Throwable t) {
        failure.set(t);
      }
    });
    new LocationLocks(storage.root().toRealPath().resolve(".stowage").resolve("lock"))
        .withLock(org.stowage.Location.of(location), () -> {
          adopter.start();
          long deadline = System.nanoTime() + 30_000_000_000L;
          while (Disk.recordAttributeBytes(source) == null) {
            if (System.nanoTime() > deadline || !adopter.isAlive()) {
              throw new AssertionError("the adoption never recorded the file: " + failure.get());
            }
            Thread.onSpinWait();
          }
          meanwhile.run();
          return null;
        });
    adopter.join(30_000);
    assertFalse(adopter.isAlive(), "the adoption ended");
    return failure.get();
  }

  @Test
  @DisplayName("M3 a file with another hard link is copied, so writing through that link never changes the object")
  void hardLinkedSourceIsCopied() throws IOException {
    assumeTrue(hasUnixView(), "needs the unix attribute view");
    storage();
    Path source = Files.writeString(dir.resolve("linked"), "original", StandardCharsets.UTF_8);
    Path other = Files.createLink(dir.resolve("other-name"), source);
    Metadata stored = storage.adoptPath("linked", source, WritePolicy.OVERWRITE);
    assertFalse(Files.exists(source), "the adopted name is gone");
    assertNotEquals(inode(other), inode(storage.root().resolve("linked")), "copied, not renamed");
    Files.writeString(other, "changed later", StandardCharsets.UTF_8);
    assertArrayEquals("original".getBytes(StandardCharsets.UTF_8), storage.loadBytes("linked", stored));
  }

  @Test
  @DisplayName("M3 a file on another filesystem (EXDEV: /dev/shm, a tmpfs) falls back to copy then delete")
  void otherFilesystemFallsBackToCopy() throws IOException {
    Path shm = Path.of("/dev/shm");
    assumeTrue(hasUnixView() && Files.isDirectory(shm) && Files.isWritable(shm), "needs a writable /dev/shm");
    storage();
    assumeTrue(!Files.getAttribute(shm, "unix:dev").equals(Files.getAttribute(storage.root(), "unix:dev")),
        "/dev/shm is on the store's filesystem here");
    Path scratch = Files.createTempDirectory(shm, "stowage-adopt-test-");
    try {
      byte[] content = new byte[200_000];
      new Random(7).nextBytes(content);
      Path source = Files.write(scratch.resolve("out.bin"), content);
      Metadata stored = storage.adoptPath("exdev/out.bin", source, WritePolicy.CREATE);
      assertFalse(Files.exists(source), "deleted after the copy was committed");
      assertEquals(Metadata.of(content), stored);
      assertArrayEquals(content, storage.loadBytes("exdev/out.bin", stored));
    } finally {
      try (var files = Files.walk(scratch)) {
        for (Path p : (Iterable<Path>) files.sorted(java.util.Comparator.reverseOrder())::iterator) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
