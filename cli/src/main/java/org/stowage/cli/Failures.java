package org.stowage.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExistingExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.InvalidLocationException;
import org.stowage.MissingExternalResourceException;
import picocli.CommandLine;

/**
 * Turns what a command throws into one line on stderr and an {@link ExitCode}: no stack trace
 * unless {@code --debug} is given.
 */
final class Failures implements CommandLine.IExecutionExceptionHandler {

  /** A wrong command line found while running (a bad URI, a bad path): exit code 2. */
  static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  @Override
  public int handleExecutionException(
      Exception e, CommandLine commandLine, CommandLine.ParseResult parsed) {
    report(commandLine, e, parsed.hasMatchedOption("--debug") || debugAnywhere(parsed));
    return exitCode(e);
  }

  private static boolean debugAnywhere(CommandLine.ParseResult parsed) {
    for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
      if (p.hasMatchedOption("--debug")) {
        return true;
      }
    }
    return false;
  }

  /** Prints {@code stowage COMMAND: message} on the command's error stream, and the trace if asked. */
  static void report(CommandLine commandLine, Throwable e, boolean debug) {
    commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": " + message(e));
    if (debug) {
      e.printStackTrace(commandLine.getErr());
    }
    commandLine.getErr().flush();
  }

  /**
   * One line: the exception's message (Stowage's name the object and the rule), followed by the
   * message of its deepest cause where that adds something (the reason a server was unreachable).
   */
  static String message(Throwable e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    if (root != e && root.getMessage() != null && !message.contains(root.getMessage())) {
      message = message + ": " + root.getMessage();
    }
    return message.replaceAll("\\s*[\\r\\n]+\\s*", " ");
  }

  /** The exit code for a failure. */
  static int exitCode(Throwable e) {
    if (e instanceof CommandLine.ParameterException
        || e instanceof UsageException
        || e instanceof InvalidLocationException
        || e instanceof IllegalArgumentException) {
      return ExitCode.USAGE;
    }
    if (e instanceof ChangedExternalResourceException
        || e instanceof MissingExternalResourceException
        || e instanceof ExistingExternalResourceException) {
      return ExitCode.REFUSED;
    }
    if (e instanceof ExternalResourceException
        || e instanceof IOException
        || e instanceof UncheckedIOException) {
      return ExitCode.UNREACHABLE;
    }
    return ExitCode.UNREACHABLE;
  }

  /** The worse of two exit codes: unreachable over usage over refused over ok. */
  static int worse(int a, int b) {
    return rank(a) >= rank(b) ? a : b;
  }

  private static int rank(int code) {
    return switch (code) {
      case ExitCode.OK -> 0;
      case ExitCode.REFUSED -> 1;
      case ExitCode.USAGE -> 2;
      default -> 3;
    };
  }
}
