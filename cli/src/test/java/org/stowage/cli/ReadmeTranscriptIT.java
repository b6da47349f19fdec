package org.stowage.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's "Command line" transcript is this test's expected output: its commands (the lines that
 * start with {@code $ }) run in one bash, in a fresh directory that stands for {@code /tmp/demo},
 * with {@code bin/} on the PATH, and what they print must be the transcript's other lines.
 */
class ReadmeTranscriptIT {
  private static final String DEMO = "/tmp/demo";

  @TempDir Path dir;

  @Test
  @DisplayName("README's command-line transcript is what the commands print")
  void transcript() throws Exception {
    String readme = Files.readString(Path.of(System.getProperty("stowage.readme", "../README.md")), UTF_8);
    String expected = transcript(readme);
    List<String> commands = expected.lines().filter(l -> l.startsWith("$ ")).map(l -> l.substring(2)).toList();
    assertTrue(commands.size() >= 5, "README's transcript has commands: " + expected);

    // Each command is echoed, then run with $? as the previous command left it (for "echo $?").
    StringBuilder script = new StringBuilder("exec 2>&1\nstatus=0\n");
    for (String command : commands) {
      script.append("cat <<'STOWAGE_TRANSCRIPT'\n$ ").append(command).append("\nSTOWAGE_TRANSCRIPT\n");
      script.append("(exit $status); ").append(command.replace(DEMO, dir.toString())).append("\nstatus=$?\n");
    }
    Path launcher = Path.of(System.getProperty("stowage.launcher", "../bin/stowage")).toAbsolutePath();
    ProcessBuilder bash = new ProcessBuilder("bash", "-c", script.toString()).directory(dir.toFile());
    bash.environment().put("PATH", launcher.getParent() + ":" + System.getenv("PATH"));
    bash.environment().put("STOWAGE_JAR", Cli.JAR.toString());
    bash.environment().put("STOWAGE_JAVA_OPTS", "-XX:TieredStopAtLevel=1");
    Process process = bash.start();
    process.getOutputStream().close();
    String actual = new String(process.getInputStream().readAllBytes(), UTF_8);
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
    assertEquals(expected, actual.replace(dir.toString(), DEMO));
  }

  /** The first ```text block of the "## Command line" section. */
  static String transcript(String readme) {
    int section = readme.indexOf("\n## Command line\n");
    assertTrue(section >= 0, "README has a \"## Command line\" section");
    int start = readme.indexOf("\n```text\n", section);
    int end = readme.indexOf("\n```\n", start + 1);
    assertTrue(start >= 0 && end > start && readme.indexOf("\n## ", section + 1) > start, "a ```text block in the section");
    return readme.substring(start + "\n```text\n".length(), end + 1);
  }
}
