package org.stowage.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Locale;
import org.stowage.WritePolicy;
import picocli.CommandLine;

/** Streams between stores, files and the standard streams, with a progress bar where wanted. */
final class Transfers {
  /** Objects at least this large get a progress bar on a terminal. */
  static final long BAR_THRESHOLD = 8L << 20;

  private static final int BUFFER = 64 * 1024;

  private Transfers() {}

  /**
   * Copies {@code in} to {@code out} to the end, counting on {@code progress}. Closes neither.
   *
   * @return the bytes copied
   * @throws IOException from either stream; a verifying {@code in} throws its verdict from here
   */
  static long copy(InputStream in, OutputStream out, Progress progress) throws IOException {
    byte[] buffer = new byte[BUFFER];
    long total = 0;
    int n;
    while ((n = in.read(buffer)) >= 0) {
      out.write(buffer, 0, n);
      total += n;
      progress.step(n);
    }
    return total;
  }

  /**
   * Copies {@code in} to standard output to the end, counting on {@code progress}, and flushes.
   * Closes neither {@code in} nor standard output.
   *
   * @return the bytes copied
   * @throws IOException as {@link #copy}
   */
  static long toStdout(InputStream in, Progress progress) throws IOException {
    try (OutputStream stdout = stdout()) {
      return copy(in, stdout, progress);
    }
  }

  /** Standard output as bytes, not closed by closing the returned stream. */
  static OutputStream stdout() {
    return new FileOutputStream(FileDescriptor.out) {
      @Override
      public void close() throws IOException {
        flush();
      }
    };
  }

  /** {@code in}, counting what is read from it on {@code progress}. Closing it closes {@code in}. */
  static InputStream counted(InputStream in, Progress progress) {
    return new FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
          progress.step(1);
        }
        return b;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
          progress.step(n);
        }
        return n;
      }
    };
  }

  /** Reads {@code --policy overwrite|create|skip-if-exists|fail-if-different}. */
  static final class PolicyConverter implements CommandLine.ITypeConverter<WritePolicy> {
    @Override
    public WritePolicy convert(String value) {
      try {
        return WritePolicy.valueOf(value.trim().replace('-', '_').toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(
            "\"" + value + "\" is not a write policy: overwrite, create, skip-if-exists or fail-if-different");
      }
    }
  }

  /** The policies, as {@code --policy} spells them, for help and completion. */
  static final class PolicyNames implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return java.util.List.of("overwrite", "create", "skip-if-exists", "fail-if-different").iterator();
    }
  }
}
