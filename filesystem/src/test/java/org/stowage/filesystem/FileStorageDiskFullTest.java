package org.stowage.filesystem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.stowage.ExternalResourceException;
import org.stowage.Metadata;
import org.stowage.WritePolicy;

/**
 * A full disk (rule S2): FileStorage on a 4 MiB tmpfs that the test fills. A store that does not
 * fit fails with an error that says so, and leaves the previous object, its record and the
 * directory as they were; a store whose object fits but whose metadata record does not still
 * stores an object that loads and verifies.
 *
 * <p>Needs {@code mount -t tmpfs}, that is root with CAP_SYS_ADMIN; elsewhere the tests are
 * skipped with the reason.
 */
class FileStorageDiskFullTest {
  private static final int SMALL_DISK = 4 << 20;
  private static final int PAGE = 4096;

  @TempDir Path dir;
  private Path mount;
  private boolean mounted;

  @BeforeEach
  void mountSmallDisk() throws Exception {
    mount = dir.resolve("small-disk");
    Files.createDirectories(mount);
    Command result = Command.run("mount", "-t", "tmpfs", "-o", "size=" + SMALL_DISK, "tmpfs", mount.toString());
    Assumptions.assumeTrue(
        result.exit() == 0,
        "cannot mount a small tmpfs to fill (needs root with CAP_SYS_ADMIN): " + result.output());
    mounted = true;
  }

  @AfterEach
  void unmount() throws Exception {
    if (mounted) {
      Command result = Command.run("umount", mount.toString());
      if (result.exit() != 0) {
        Command.run("umount", "-l", mount.toString());
      }
    }
  }

  /**
   * With record files, which take data blocks of the full disk. (A record in an attribute takes
   * none that a filled tmpfs refuses: tmpfs keeps attributes in memory, ext4 in the inode; there a
   * store whose object fits is recorded too.)
   */
  private FileStorage open(boolean durable) {
    return FileStorage.builder(mount.resolve("store"))
        .durable(durable)
        .extendedAttributes(false)
        .build();
  }

  @ParameterizedTest(name = "durable={0}")
  @ValueSource(booleans = {false, true})
  @DisplayName("S2 a new object too large for the disk: \"No space left on device\", nothing visible, no temp file, space given back")
  void newObjectTooLarge(boolean durable) throws Exception {
    try (FileStorage storage = open(durable)) {
      byte[] keep = Disk.content(1, 10_000);
      Metadata kept = storage.storeBytes("keep", keep);
      byte[] big = Disk.content(2, SMALL_DISK + PAGE);
      long free = Files.getFileStore(mount).getUsableSpace();
      for (WritePolicy policy : WritePolicy.values()) {
        assertNoSpace(() -> storage.storeBytes("a/big", big, policy));
        assertNoSpace(() -> storage.storeStream("a/big", new ByteArrayInputStream(big), policy));
        assertNothingLeft(storage, "a/big", List.of("keep"));
      }
      Path source = dir.resolve("big-source");
      Files.write(source, big);
      assertNoSpace(() -> storage.storePath("a/big", source));
      assertNothingLeft(storage, "a/big", List.of("keep"));
      assertArrayEquals(keep, storage.loadBytes("keep", kept));
      assertEquals(kept, storage.verify("keep"));
      assertEquals(free, Files.getFileStore(mount).getUsableSpace(), "the failed stores gave back their space");
      // And the store works again once the content fits.
      Metadata small = storage.storeBytes("a/big", keep);
      assertEquals(small, storage.verify("a/big"));
    }
  }

  @ParameterizedTest(name = "durable={0}")
  @ValueSource(booleans = {false, true})
  @DisplayName("S2 an overwrite too large for the disk keeps the previous object, its record and its bytes")
  void overwriteTooLarge(boolean durable) throws Exception {
    try (FileStorage storage = open(durable)) {
      byte[] old = Disk.content(3, 1 << 20);
      Metadata stored = storage.storeBytes("dir/obj", old);
      byte[] recordBefore = Files.readAllBytes(Disk.recordOf(storage.root(), "dir/obj"));
      byte[] big = Disk.content(4, (3 << 20) + PAGE);
      assertNoSpace(() -> storage.storeBytes("dir/obj", big));
      assertNoSpace(() -> storage.storeStream("dir/obj", new ByteArrayInputStream(big), WritePolicy.OVERWRITE));
      assertEquals(List.of(), Disk.tempFiles(storage.root()), "no temporary file is left");
      assertArrayEquals(recordBefore, Files.readAllBytes(Disk.recordOf(storage.root(), "dir/obj")),
          "the record is untouched");
      assertEquals(stored, storage.getMetadata("dir/obj"));
      assertEquals(stored, storage.verify("dir/obj"));
      assertArrayEquals(old, storage.loadBytes("dir/obj", stored));
      assertEquals(List.of("dir/obj"), list(storage));
    }
  }

  @ParameterizedTest(name = "durable={0}")
  @ValueSource(booleans = {false, true})
  @DisplayName("S2 R3 R4 the object fits but its metadata record does not: the store succeeds, and the object loads, verifies and reports its metadata")
  void recordDoesNotFit(boolean durable) throws Exception {
    try (FileStorage storage = open(durable)) {
      Metadata kept = storage.storeBytes("keep", Disk.content(5, 5000));
      byte[] data = Disk.content(6, 16 * PAGE); // whole pages: the object takes exactly what is free
      Path filler = mount.resolve("filler");
      fill(filler);
      leaveFree(filler, data.length);
      assertEquals(data.length, Files.getFileStore(mount).getUsableSpace(), "exactly the object's size is free");

      Metadata stored = storage.storeBytes("obj", data);
      assertEquals(Disk.md5(data), stored.md5());
      assertEquals(0, Files.getFileStore(mount).getUsableSpace(), "the disk is full");
      Path record = Disk.recordOf(storage.root(), "obj");
      // The record file is created before the object is published (an inode, no data block), so
      // it may be there, empty, which counts as no record.
      assertTrue(!Files.exists(record) || Files.size(record) == 0, "no room for the record");
      assertEquals(List.of(), Disk.tempFiles(storage.root()), "no temporary file is left");

      // Still full: everything reads the object and computes its metadata from its bytes.
      assertArrayEquals(data, storage.loadBytes("obj", stored));
      assertEquals(stored, storage.getMetadata("obj"));
      assertEquals(stored, storage.verify("obj"));
      try (InputStream in = storage.loadStream("obj", stored)) {
        assertArrayEquals(data, in.readAllBytes());
      }
      assertEquals(kept, storage.verify("keep"));
      assertEquals(List.of("keep", "obj"), list(storage));

      // Room again: the record is written the next time the metadata is needed.
      Files.delete(filler);
      assertEquals(stored, storage.getMetadata("obj"));
      assertTrue(Files.exists(record) && Files.size(record) > 0, "recorded once there is room");
      assertEquals(stored, storage.verify("obj"));
    }
  }

  @ParameterizedTest(name = "durable={0}")
  @ValueSource(booleans = {false, true})
  @DisplayName("S2 a store into a full disk through a new directory: the error says no space, nothing is left, the previous object in another directory is intact")
  void fullDiskNewDirectory(boolean durable) throws Exception {
    try (FileStorage storage = open(durable)) {
      byte[] keep = Disk.content(7, 3 * PAGE);
      Metadata kept = storage.storeBytes("old/keep", keep);
      Path filler = mount.resolve("filler");
      fill(filler);
      assertNoSpace(() -> storage.storeBytes("new/deep/obj", Disk.content(8, PAGE)));
      assertNoSpace(() -> storage.storeBytes("old/keep", Disk.content(9, PAGE)));
      assertEquals(List.of(), Disk.tempFiles(storage.root()));
      assertFalse(storage.exists("new/deep/obj"));
      assertEquals(List.of("old"), Disk.visibleEntries(storage.root()),
          "the failed store removed the directories it made");
      assertEquals(List.of("old/keep"), list(storage));
      assertEquals(kept, storage.verify("old/keep"));
      assertArrayEquals(keep, storage.loadBytes("old/keep", kept));
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static List<String> list(FileStorage storage) {
    try (Stream<String> names = storage.iterContents()) {
      return names.collect(Collectors.toList());
    }
  }

  private static void assertNoSpace(org.junit.jupiter.api.function.Executable store) {
    ExternalResourceException e = assertThrows(ExternalResourceException.class, store);
    assertTrue(
        e.getMessage().toLowerCase(Locale.ROOT).contains("no space left on device"),
        "the error says the disk is full: " + e.getMessage());
  }

  private static void assertNothingLeft(FileStorage storage, String location, List<String> listed)
      throws IOException {
    assertFalse(storage.exists(location), "nothing is visible at " + location);
    assertEquals(listed, list(storage));
    assertEquals(List.of(), Disk.tempFiles(storage.root()), "no temporary file is left");
    assertFalse(Files.exists(Disk.recordOf(storage.root(), location)), "no record");
  }

  /** Writes {@code file} until the disk is full. */
  private static void fill(Path file) throws IOException {
    ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
    try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      while (true) {
        chunk.clear();
        try {
          while (chunk.hasRemaining()) {
            out.write(chunk);
          }
        } catch (IOException e) {
          if (!String.valueOf(e.getMessage()).contains("No space left")) {
            throw e;
          }
          break;
        }
      }
    }
    assertEquals(0, Files.getFileStore(file).getUsableSpace(), "the disk is full");
  }

  /** Shortens {@code filler} so that exactly {@code bytes} (whole pages) are free. */
  private static void leaveFree(Path filler, long bytes) throws IOException {
    try (FileChannel f = FileChannel.open(filler, StandardOpenOption.WRITE)) {
      long size = f.size() / PAGE * PAGE;
      f.truncate(size - bytes);
    }
  }

  /** A command's exit status and output. */
  private record Command(int exit, String output) {
    static Command run(String... command) throws IOException, InterruptedException {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Command(-1, "timed out: " + String.join(" ", command));
      }
      return new Command(p.exitValue(), output);
    }
  }
}
