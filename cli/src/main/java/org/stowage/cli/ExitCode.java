package org.stowage.cli;

/** The exit codes of {@code stowage}, as {@code stowage --help} lists them. */
final class ExitCode {
  private ExitCode() {}

  /** All is well. */
  static final int OK = 0;

  /**
   * The store answered, and the answer is no: an object is damaged (its bytes do not match its
   * MD5), missing, or a write policy refused to replace it.
   */
  static final int REFUSED = 1;

  /** The command line is wrong: an unknown option, a bad storage URI or location. */
  static final int USAGE = 2;

  /** The store could not be reached, or failed (I/O error, network, permissions). */
  static final int UNREACHABLE = 3;

  /** The text {@code --help} shows. */
  static final String HELP =
      "Exit codes:%n"
          + "  0  all is well%n"
          + "  1  damage or refusal: an object whose bytes do not match its MD5,%n"
          + "     a missing object, or a write policy that refused to replace one%n"
          + "  2  usage error: unknown command or option, bad storage URI or location%n"
          + "  3  the store is unreachable or failed (network, I/O, permissions)";
}
