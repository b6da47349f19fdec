package org.stowage.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import picocli.CommandLine;

/**
 * The {@code stowage} command: {@code java -jar stowage.jar COMMAND ...}, or {@code bin/stowage}.
 * See {@link StowageCommand} for the commands and the exit codes.
 */
public final class Main {
  private Main() {}

  /**
   * Runs the command line in {@code args} and exits the JVM with its exit code.
   *
   * @param args the command line, for example {@code ls file:///data/store run-1/}
   */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /**
   * Runs the command line in {@code args} and returns its exit code (see {@link ExitCode}).
   *
   * @param args the command line
   * @return the exit code
   */
  static int run(String[] args) {
    configureLogging(Arrays.asList(args).contains("--debug"));
    CommandLine cli = commandLine();
    return cli.execute(args);
  }

  /** The command line, with its output, error stream and exception handling set up. */
  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new StowageCommand());
    cli.setOut(new PrintWriter(System.out, true, StandardCharsets.UTF_8));
    cli.setErr(new PrintWriter(System.err, true, StandardCharsets.UTF_8));
    cli.setExecutionExceptionHandler(new Failures());
    cli.setExitCodeExceptionMapper(Failures::exitCode);
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    return cli;
  }

  /**
   * SLF4J (slf4j-simple) logs nothing unless {@code --debug} is given: then everything at DEBUG,
   * on stderr. A level set with {@code -Dorg.slf4j.simpleLogger.defaultLogLevel} wins.
   */
  private static void configureLogging(boolean debug) {
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", debug ? "debug" : "off");
    }
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    if (!debug) {
      // jline (under the progress bar) logs through java.util.logging.
      java.util.logging.Logger.getLogger("org.jline").setLevel(java.util.logging.Level.OFF);
    }
  }
}
