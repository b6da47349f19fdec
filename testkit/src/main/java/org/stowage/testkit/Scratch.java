package org.stowage.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/** A temporary directory for source files of {@code storePath}, removed after each test. */
final class Scratch implements AutoCloseable {
  private final AtomicLong files = new AtomicLong();
  private Path dir;

  /** A new directory below the scratch directory. */
  synchronized Path newDirectory() {
    try {
      return Files.createDirectory(dir().resolve("d" + files.incrementAndGet()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A new file holding {@code content}, written from the generated stream. */
  Path file(Content content) {
    Path file;
    synchronized (this) {
      file = dir().resolve("f" + files.incrementAndGet());
    }
    try (InputStream in = content.unknownLengthStream()) {
      Files.copy(in, file);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Path dir() {
    if (dir == null) {
      try {
        dir = Files.createTempDirectory("stowage-testkit-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return dir;
  }

  /** Removes the directory and everything in it. */
  @Override
  public synchronized void close() throws IOException {
    if (dir == null) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
    dir = null;
  }
}
