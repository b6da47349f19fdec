package org.stowage.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A look at the terminal: the commands run in a tmux pane (a real terminal), and the pane's text
 * ({@code tmux capture-pane}) shows the progress bars. Skipped, saying why, where tmux is absent.
 */
class CliTerminalIT {
  @TempDir Path dir;

  @Test
  @DisplayName("on a terminal, put, verify and get draw a progress bar on stderr")
  void barsOnATerminal() throws Exception {
    assumeTrue(tmuxAvailable(), "tmux is not installed here, so the terminal is not looked at"
        + " (apt-get install tmux); the pipe test still checks that no bar reaches a pipe");
    byte[] big = new byte[(int) Transfers.BAR_THRESHOLD + (1 << 20)];
    new Random(11).nextBytes(big);
    Files.write(dir.resolve("big.bin"), big);
    Files.createDirectory(dir.resolve("store"));
    String socket = "stowage-cli-test-" + ProcessHandle.current().pid();
    String stowage = Cli.command().stream().map(CliTerminalIT::quoted).collect(Collectors.joining(" "));
    String script =
        "cd " + quoted(dir.toString())
            + " && " + stowage + " put store big big.bin"
            + " && " + stowage + " verify store"
            + " && " + stowage + " get store big back.bin"
            + "; echo \"exit $?\"; tmux -L " + socket + " wait-for -S done; exec cat";
    try {
      tmux(socket, "new-session", "-d", "-s", "cli", "-x", "160", "-y", "30", script);
      tmux(socket, "wait-for", "done"); // the script signals once the commands have ended
      String screen = tmux(socket, "capture-pane", "-p", "-J", "-t", "cli");
      assertTrue(screen.contains("exit 0"), screen);
      assertTrue(screen.matches("(?s).*put 100% \\[=+\\] 9/9 MiB.*"), "put's bar: " + screen);
      assertTrue(screen.matches("(?s).*verify 100% \\[=+\\] 1/1 .*"), "verify's bar: " + screen);
      assertTrue(screen.matches("(?s).*get 100% \\[=+\\] 9/9 MiB.*"), "get's bar: " + screen);
      assertTrue(screen.contains("checked 1 objects: 1 sound"), screen);
      assertFalse(screen.contains("Exception"), screen);
      assertEquals(big.length, Files.size(dir.resolve("back.bin")));
    } finally {
      tmux(socket, "kill-server");
    }
  }

  private static boolean tmuxAvailable() throws InterruptedException {
    try {
      Process p = new ProcessBuilder("tmux", "-V").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor() == 0;
    } catch (IOException e) {
      return false;
    }
  }

  private static String tmux(String socket, String... args) throws IOException, InterruptedException {
    List<String> command = new java.util.ArrayList<>(List.of("tmux", "-L", socket));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("tmux " + String.join(" ", args) + " ran over 120 s");
    }
    return new String(out, UTF_8);
  }

  private static String quoted(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }
}
