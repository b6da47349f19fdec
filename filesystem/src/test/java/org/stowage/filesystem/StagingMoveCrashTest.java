package org.stowage.filesystem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.Metadata;
import org.stowage.staging.ScratchPolicy;
import org.stowage.staging.StorageManager;
import org.stowage.staging.TransferReport;

/**
 * Moving transfers (rule M3 through {@link StorageManager}) killed with SIGKILL at random moments
 * keep both promises of docs/staging.md, "Moving transfers": every file is in scratch, whole, or
 * stored under its handle with its MD5, never lost; and a retry, by a new manager over the same
 * scratch directory in another process (this one), completes without reporting a missing output.
 * {@code -Dstowage.staging.crash.kills=N} sets the number of kills (20 by default); the seed is
 * printed, and {@code -Dstowage.staging.crash.seed} replays it. The killed child's stderr is in
 * every failure message.
 */
class StagingMoveCrashTest {
  @TempDir Path dir;

  @Test
  @DisplayName("M3 a moving transfer killed at random moments loses no file, and a retry completes without missing outputs")
  void killedMovingTransfersLoseNothing() throws Exception {
    int kills = Integer.getInteger("stowage.staging.crash.kills", 20);
    long seed = Long.getLong("stowage.staging.crash.seed", System.nanoTime());
    System.out.println("StagingMoveCrashTest seed " + seed + " (replay with -Dstowage.staging.crash.seed=" + seed + ")");
    Random random = new Random(seed);
    Path root = dir.resolve("store");
    int resumed = 0;
    int checked = 0;
    String classPath = ChildClassPath.snapshot(dir); // fixed: a rebuild meanwhile cannot break a child
    for (int kill = 0; kill < kills; kill++) {
      long childSeed = seed + kill;
      Path scratchParent = Files.createDirectories(dir.resolve("scratch-" + kill));
      Path stderr = dir.resolve("child-" + kill + ".err");
      Process child = new ProcessBuilder(
              Path.of(System.getProperty("java.home"), "bin", "java").toString(),
              "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-Xmx256m",
              "-cp", classPath,
              MovingTransferChild.class.getName(), root.toString(), scratchParent.toString(), Long.toString(childSeed))
          .redirectError(stderr.toFile())
          .start();
      int linesBeforeKill = 1 + random.nextInt(6);
      try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        for (int i = 0; i < linesBeforeKill; i++) {
          if (out.readLine() == null) {
            child.waitFor(30, TimeUnit.SECONDS);
            fail("the child died by itself before line " + i + " (seed " + seed + ", kill " + kill + "); its stderr:\n"
                + Files.readString(stderr));
          }
        }
        child.destroyForcibly(); // SIGKILL on Unix, wherever the child is
        assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child did not die");
      }
      String where = " (seed " + seed + ", kill " + kill + "); the child's stderr:\n" + Files.readString(stderr);
      try (FileStorage storage = new FileStorage(root)) {
        for (int round = 0; Files.exists(scratchParent.resolve("round-" + round)) || Files.exists(scratchParent.resolve("round-" + round + ".generated")); round++) {
          Path scratch = scratchParent.resolve("round-" + round);
          String unit = MovingTransferChild.unit(childSeed, round);
          if (!Files.exists(scratchParent.resolve("round-" + round + ".generated"))) {
            // Killed while writing its files: the manager never ran.
            try (var stored = storage.iterContents("crash/" + unit + "/")) {
              assertEquals(0, stored.count(), "nothing stored before the transfer began" + where);
            }
            continue;
          }
          // Promise 1: each file in scratch, whole, or stored here with its MD5.
          boolean someInScratch = false;
          for (int i = 0; i < MovingTransferChild.FILES; i++) {
            byte[] expected = MovingTransferChild.content(childSeed, round, i);
            String name = MovingTransferChild.name(i);
            Path file = scratch.resolve(name);
            String location = "crash/" + unit + "/" + name;
            if (Files.exists(file)) {
              someInScratch = true;
              assertArrayEquals(expected, Files.readAllBytes(file), "a file left in scratch is whole: " + file + where);
            } else {
              assertTrue(storage.exists(location), "a file gone from scratch is stored: " + location + where);
              assertArrayEquals(expected, storage.loadBytes(location, Metadata.of(expected)),
                  "stored with its MD5: " + location + where);
            }
            checked++;
          }
          // Promise 2: a retry in another process completes without a missing output.
          if (Files.exists(scratch) && (someInScratch || Files.exists(scratch.resolve(".stowage-moves")))) {
            StorageManager retry = StorageManager.builder(scratch, storage, "crash", unit)
                .scratchPolicy(ScratchPolicy.DELETE_AFTER_TRANSFER)
                .build();
            for (int i = 0; i < MovingTransferChild.FILES; i++) {
              retry.register(MovingTransferChild.name(i));
            }
            retry.close();
            TransferReport report = retry.lastTransfer().orElseThrow();
            for (int i = 0; i < MovingTransferChild.FILES; i++) {
              byte[] expected = MovingTransferChild.content(childSeed, round, i);
              assertEquals(Metadata.of(expected), report.files().get(i).metadata(), "the retry reports the content's MD5" + where);
              assertArrayEquals(expected, storage.loadBytes("crash/" + unit + "/" + MovingTransferChild.name(i), Metadata.of(expected)),
                  "stored after the retry" + where);
            }
            assertFalse(Files.exists(scratch), "the retry deleted scratch" + where);
            resumed++;
          }
        }
      }
    }
    System.out.println("StagingMoveCrashTest: " + kills + " kills, " + checked + " files checked, " + resumed + " transfers resumed");
    if (kills >= 10) {
      assertTrue(resumed > 0, "no kill landed in a transfer, so resuming was not tested (seed " + seed + ")");
    }
  }
}
