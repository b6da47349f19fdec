package org.stowage.filesystem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.Metadata;

/**
 * Crash safety (S2): a writer killed with SIGKILL at random moments never leaves a partial or
 * damaged object behind. {@code -Dstowage.crash.kills=N} sets the number of kills (50 by
 * default; the seed is printed, and {@code -Dstowage.crash.seed} replays it).
 */
class FileStorageCrashTest {
  @TempDir Path dir;

  @Test
  @DisplayName("S2 after SIGKILL at random moments every listed object loads, verifies and is some version whole; leftovers are ignored, then cleaned")
  void killedWriterLeavesOnlyWholeObjects() throws Exception {
    int kills = Integer.getInteger("stowage.crash.kills", 50);
    long seed = Long.getLong("stowage.crash.seed", System.nanoTime());
    System.out.println("FileStorageCrashTest seed " + seed + " (replay with -Dstowage.crash.seed=" + seed + ")");
    Random random = new Random(seed);
    Path root = dir.resolve("store");
    long objectsChecked = 0;
    Path childErrors = dir.resolve("child-stderr.txt"); // each child's, replaced by the next's
    String classPath = ChildClassPath.snapshot(dir); // fixed: a rebuild meanwhile cannot break a child
    for (int kill = 0; kill < kills; kill++) {
      int opsBeforeKill = 1 + random.nextInt(12);
      Process child = new ProcessBuilder(
              Path.of(System.getProperty("java.home"), "bin", "java").toString(),
              "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-Xmx256m",
              "-cp", classPath,
              CrashChild.class.getName(), root.toString(), Long.toString(seed + kill),
              dir.resolve("scratch-" + kill).toString())
          .redirectError(childErrors.toFile())
          .start();
      try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        for (int i = 0; i < opsBeforeKill; i++) {
          String line = out.readLine();
          if (line == null) {
            // The pipe closed: the child has exited (or closed its output), so waiting for it
            // waits on that event, not on a guess of how long a loaded machine needs.
            boolean exited = child.waitFor(60, TimeUnit.SECONDS);
            fail("the child died by itself before operation " + i + " (seed " + seed + ", kill "
                + kill + "; " + (exited ? "exit status " + child.exitValue() : "still running")
                + "); the end of its standard error:\n" + tail(childErrors, 4096));
          }
        }
        child.destroyForcibly(); // SIGKILL on Unix: mid-operation, wherever the child is
        assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child did not die");
      }
      objectsChecked += checkEveryObject(root, seed, kill);
    }
    System.out.println("FileStorageCrashTest: " + kills + " kills, " + objectsChecked + " objects checked");
    if (kills >= 50) {
      try (FileStorage storage = new FileStorage(root);
          Stream<String> moved = storage.iterContents(CrashChild.MOVED)) {
        assertTrue(moved.findAny().isPresent(),
            "the children moved nothing, so moves were not tested (seed " + seed + ")");
      }
    }
    // A new storage on the same root cleans the leftovers of killed writers when asked to.
    try (FileStorage cleaning = FileStorage.builder(root).cleanTempFilesOlderThan(Duration.ofNanos(1)).build()) {
      assertTrue(cleaning.root().endsWith("store"));
      try (Stream<Path> files = Files.walk(root)) {
        List<Path> leftovers = files.filter(p -> p.getFileName().toString().startsWith(".stowage-tmp")).collect(Collectors.toList());
        assertEquals(List.of(), leftovers, "temp files left after cleaning");
      }
      checkEveryObject(root, seed, kills);
    }
  }

  /** The last {@code limit} bytes of {@code file}, as text: a failed child's last words. */
  /** The last {@code limit} bytes of {@code file} (a child's standard error), for a failure message. */
  static String tail(Path file, int limit) throws IOException {
    byte[] all = Files.exists(file) ? Files.readAllBytes(file) : new byte[0];
    int from = Math.max(0, all.length - limit);
    return (from > 0 ? "[... " + from + " bytes before]\n" : "")
        + new String(all, from, all.length - from, StandardCharsets.UTF_8);
  }

  /** Every listed object loads whole, verifies, and has metadata that matches its bytes. */
  private static long checkEveryObject(Path root, long seed, int kill) throws IOException {
    long checked = 0;
    try (FileStorage storage = new FileStorage(root); Stream<String> listing = storage.iterContents()) {
      for (String location : (Iterable<String>) listing::iterator) {
        String where = " (seed " + seed + ", after kill " + kill + ", location " + location + ")";
        assertTrue(java.util.Arrays.stream(location.split("/")).noneMatch(s -> s.startsWith(".stowage")),
            "I1: a temp or metadata file was listed" + where);
        byte[] data = storage.loadBytes(location);
        assertNull(CrashChild.problem(location, data), "S2: objects are whole" + where);
        Metadata metadata = storage.getMetadata(location);
        assertEquals(Metadata.of(data), metadata, "R3: the recorded metadata describes the bytes" + where);
        assertEquals(metadata, storage.verify(location), "R4" + where);
        checked++;
      }
    }
    return checked;
  }
}
