package org.stowage.filesystem;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.cas.ContentAddressedStore;
import org.stowage.staging.CollectionReport;
import org.stowage.staging.ContentCollector;
import org.stowage.staging.ReferenceCheck;
import org.stowage.staging.StorageManager;

/**
 * A garbage collection killed with SIGKILL between two deletes, then run again: no reference ever
 * dangles, and the rerun finishes the job. {@code -Dstowage.gc.kills=N} sets the number of kills
 * (3 by default; the seed is printed, and {@code -Dstowage.gc.seed} replays the kill points).
 */
class FileStorageCollectionCrashTest {
  @TempDir Path dir;

  @Test
  @DisplayName("GC killed midway with SIGKILL, then rerun: every reference still loads, and the rerun reclaims the rest")
  void killedCollectionIsSafeToRerun() throws Exception {
    int kills = Integer.getInteger("stowage.gc.kills", 3);
    long seed = Long.getLong("stowage.gc.seed", System.nanoTime());
    System.out.println("FileStorageCollectionCrashTest seed " + seed + " (replay with -Dstowage.gc.seed=" + seed + ")");
    Random random = new Random(seed);
    Path root = dir.resolve("store");
    Path spool = Files.createDirectories(dir.resolve("spool"));
    Map<String, String> references = new HashMap<>();
    long killedAfterDeletes = 0;
    Path childErrors = dir.resolve("child-stderr.txt"); // each child's, replaced by the next's
    String classPath = ChildClassPath.snapshot(dir); // fixed: a rebuild meanwhile cannot break a child
    for (int kill = 0; kill < kills; kill++) {
      String where = " (seed " + seed + ", kill " + kill + ")";
      int garbage = 40 + random.nextInt(40);
      try (FileStorage storage = new FileStorage(root)) {
        ContentAddressedStore cas = new ContentAddressedStore(storage);
        for (int i = 0; i < garbage; i++) {
          cas.put(("garbage " + kill + " " + i + " " + random.nextLong()).getBytes(UTF_8));
        }
        Path scratch = Files.createDirectories(dir.resolve("scratch-" + kill));
        StorageManager m = StorageManager.builder(scratch, storage, "run", "unit-" + kill).contentAddressed(cas).build();
        for (int i = 0; i < 20; i++) {
          String content = "kept " + random.nextInt(30); // shared with earlier rounds' references, at times
          Files.writeString(scratch.resolve("f" + i), content);
          references.put(m.register("f" + i), content);
        }
        m.transfer();
      }
      int deletesBeforeKill = 1 + random.nextInt(garbage - 1);
      Process child = new ProcessBuilder(
              Path.of(System.getProperty("java.home"), "bin", "java").toString(),
              "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-Xmx128m",
              "-cp", classPath,
              CollectingChild.class.getName(), root.toString(), spool.toString())
          .redirectError(childErrors.toFile())
          .start();
      try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), UTF_8))) {
        int deletes = 0;
        while (deletes < deletesBeforeKill) {
          String line = out.readLine();
          if (line == null || line.equals("finished")) {
            fail("the child ended after " + deletes + " deletes, before the kill" + where
                + "; the end of its standard error:\n" + FileStorageCrashTest.tail(childErrors, 4096));
          }
          if (line.startsWith("deleted ")) {
            deletes++;
          }
        }
        child.destroyForcibly(); // SIGKILL on Unix, between two deletes or in the middle of one
        assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child did not die" + where);
        killedAfterDeletes += deletes;
      }
      checkReferences(root, references, where);
    }
    try (FileStorage storage = new FileStorage(root)) {
      ContentAddressedStore cas = new ContentAddressedStore(storage);
      CollectionReport rerun = ContentCollector.builder(cas).dryRun(false).spoolDirectory(spool).build().collect();
      assertEquals(0, rerun.danglingCount(), rerun.toString());
      assertTrue(rerun.reclaimedObjects() > 0, "the killed collections left garbage for the rerun: " + rerun);
      ReferenceCheck.Report after = ReferenceCheck.builder(cas).spoolDirectory(spool).build().check();
      assertEquals(0, after.unreferencedCount(), "the rerun reclaimed the rest (seed " + seed + ")");
      assertTrue(after.referencesIntact(), after.problems() + " (seed " + seed + ")");
    }
    checkReferences(root, references, " (seed " + seed + ", after the rerun)");
    try (var leftovers = Files.list(spool)) {
      assertEquals(2L * kills, leftovers.count(), "each killed child left its two spool files; the rerun deleted its own");
    }
    System.out.println("FileStorageCollectionCrashTest: " + kills + " kills after " + killedAfterDeletes + " deletes in all");
  }

  private static void checkReferences(Path root, Map<String, String> references, String where) {
    try (FileStorage storage = new FileStorage(root)) {
      StorageManager reader = new StorageManager(root.getParent(), storage, "check", "reader");
      for (Map.Entry<String, String> r : references.entrySet()) {
        assertArrayEquals(r.getValue().getBytes(UTF_8), reader.load(r.getKey()), r.getKey() + where);
      }
    }
  }
}
