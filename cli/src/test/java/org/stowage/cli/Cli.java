package org.stowage.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the packaged {@code stowage.jar} as a separate process, through pipes. */
final class Cli {
  /** The jar under test, from failsafe's {@code stowage.jar} property. */
  static final Path JAR = Path.of(System.getProperty("stowage.jar", "target/stowage.jar")).toAbsolutePath();

  private Cli() {}

  /** What a run gave: its exit code, and its stdout and stderr as UTF-8. */
  record Result(int exit, String out, String err, byte[] outBytes) {
    /** For assertion messages. */
    String describe() {
      return "exit " + exit + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
    }
  }

  /** The java command line that runs the jar (a quick-starting JVM) with {@code args}. */
  static List<String> command(String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-jar");
    command.add(JAR.toString());
    command.addAll(List.of(args));
    return command;
  }

  /** Runs {@code stowage args} in {@code dir}, with nothing on stdin. */
  static Result run(Path dir, String... args) throws IOException, InterruptedException {
    return run(dir, Map.of(), null, args);
  }

  /**
   * Runs {@code stowage args} in {@code dir}, with {@code env} added to the environment and
   * {@code stdin} (or nothing) on its standard input; stdout and stderr go through pipes (files).
   */
  static Result run(Path dir, Map<String, String> env, byte[] stdin, String... args)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile(dir, ".stdout", ".txt");
    Path err = Files.createTempFile(dir, ".stderr", ".txt");
    Path in = null;
    try {
      ProcessBuilder builder = new ProcessBuilder(command(args)).directory(dir.toFile());
      builder.environment().keySet().removeIf(k -> k.startsWith("AWS_"));
      // The SDK's default chain would otherwise ask the EC2 metadata address: tests talk to
      // 127.0.0.1 only.
      builder.environment().put("AWS_EC2_METADATA_DISABLED", "true");
      builder.environment().put("AWS_SHARED_CREDENTIALS_FILE", dir.resolve(".no-aws-credentials").toString());
      builder.environment().put("AWS_CONFIG_FILE", dir.resolve(".no-aws-config").toString());
      builder.environment().putAll(env);
      builder.redirectOutput(out.toFile()).redirectError(err.toFile());
      if (stdin != null) {
        in = Files.createTempFile(dir, ".stdin", ".bin");
        Files.write(in, stdin);
        builder.redirectInput(in.toFile());
      }
      Process process = builder.start();
      if (stdin == null) {
        process.getOutputStream().close();
      }
      if (!process.waitFor(120, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("stowage " + String.join(" ", args) + " ran over 120 s");
      }
      byte[] bytes = Files.readAllBytes(out);
      return new Result(process.exitValue(), new String(bytes, UTF_8), Files.readString(err, UTF_8), bytes);
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
      if (in != null) {
        Files.deleteIfExists(in);
      }
    }
  }
}
