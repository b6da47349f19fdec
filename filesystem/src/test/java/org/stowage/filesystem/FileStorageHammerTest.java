package org.stowage.filesystem;

import org.stowage.testkit.Hammer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rules T1, S2, S5: many threads in two processes hammer one root with the {@link Hammer}
 * workload; afterwards every object verifies and holds one writer's whole content, and every
 * CREATE round had exactly one winner across both processes. {@code -Dstowage.hammer.rounds=N}
 * for a longer run.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FileStorageHammerTest {
  private static final int ROUNDS = Integer.getInteger("stowage.hammer.rounds", 150);

  @TempDir Path dir;
  private Process child;

  @AfterEach
  void killChild() {
    if (child != null && child.isAlive()) {
      child.destroyForcibly();
    }
  }

  @Test
  @DisplayName("T1 S2 S5 six threads in each of two processes hammer one root: every object whole, one CREATE winner per key")
  void twoProcesses() throws Exception {
    Path root = dir.resolve("store");
    Hammer.Config config = new Hammer.Config(6, ROUNDS, 3, 70_000, 20250611L);
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        HammerChild.class.getName(), root.toString()));
    command.addAll(config.toArgs());
    try (FileStorage storage = new FileStorage(root)) {
      Hammer.warmUp(storage, 0);
      child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      BufferedReader out =
          new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("READY", out.readLine(), "the child started");
      child.getOutputStream().write("GO\n".getBytes(StandardCharsets.UTF_8));
      child.getOutputStream().flush();
      List<String> lines = new ArrayList<>(Hammer.run(storage, 0, config));
      List<String> theirs = new ArrayList<>();
      for (String line = out.readLine(); line != null && !line.equals("DONE"); line = out.readLine()) {
        theirs.add(line);
      }
      assertTrue(child.waitFor(60, TimeUnit.SECONDS));
      assertEquals(0, child.exitValue());
      long ourWins = lines.stream().filter(l -> l.startsWith("WON")).count();
      long theirWins = theirs.stream().filter(l -> l.startsWith("WON")).count();
      lines.addAll(theirs);
      assertEquals(List.of(), Hammer.check(storage, lines, config));
      assertEquals(ROUNDS, ourWins + theirWins, "one winner per round");
      assertEquals(List.of(), Disk.tempFiles(root), "no temporary file is left");
      System.out.println("FileStorageHammerTest: CREATE rounds won by this process " + ourWins
          + ", by the other " + theirWins);
    }
  }
}
