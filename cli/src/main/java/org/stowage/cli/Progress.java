package org.stowage.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar on stderr (me.tongfei:progressbar), or nothing: bars are drawn only on a
 * terminal, so output through a pipe or into a file carries no control codes. Thread-safe.
 */
final class Progress implements AutoCloseable {
  private static final Progress NONE = new Progress(null);

  private final ProgressBar bar;

  private Progress(ProgressBar bar) {
    this.bar = bar;
  }

  /**
   * Whether this process runs on a terminal: {@link System#console()} is there only when both
   * standard input and output are terminals, and {@code TERM=dumb} says the terminal draws
   * nothing.
   */
  static boolean onTerminal() {
    return System.console() != null && !"dumb".equals(System.getenv("TERM"));
  }

  /**
   * A bar, if {@code show}, else one that draws nothing.
   *
   * @param task what the bar is named
   * @param total the total count, or -1 if unknown
   * @param bytes whether the count is bytes (shown in MiB) rather than objects
   * @param show whether to draw it
   * @return the bar; close it when the work ends
   */
  static Progress start(String task, long total, boolean bytes, boolean show) {
    if (!show) {
      return NONE;
    }
    ProgressBarBuilder builder =
        new ProgressBarBuilder()
            .setTaskName(task)
            .setInitialMax(total)
            .setStyle(ProgressBarStyle.ASCII)
            .setUpdateIntervalMillis(200)
            .setConsumer(new ConsoleProgressBarConsumer(new PrintStream(System.err, true, StandardCharsets.UTF_8)));
    if (bytes) {
      builder.setUnit(" MiB", 1 << 20).showSpeed();
    }
    return new Progress(builder.build());
  }

  /** Counts {@code n} more done. */
  void step(long n) {
    if (bar != null) {
      bar.stepBy(n);
    }
  }

  /** Sets the total, once it is known. */
  void total(long total) {
    if (bar != null) {
      bar.maxHint(total);
    }
  }

  @Override
  public void close() {
    if (bar != null) {
      bar.close();
    }
  }
}
