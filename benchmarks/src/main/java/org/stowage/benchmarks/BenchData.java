package org.stowage.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * What the benchmarks share: scratch directories, random content, and the raw MD5 loop that the
 * large-object baselines run.
 *
 * <p>Benchmark data goes under the directory named by the system property {@code
 * stowage.bench.dir}, or {@code java.io.tmpdir} when it is unset or empty. The large benchmarks
 * need about 2.5 GiB free there (full profile) and remove what they wrote in their trial
 * tear-down.
 */
final class BenchData {
  /** The buffer size of every copy and hash loop, Stowage's readers and the baselines alike. */
  static final int BUFFER = 1 << 20;

  private BenchData() {}

  /** Where benchmark data goes; see the class description. */
  static Path baseDirectory() {
    String configured = System.getProperty("stowage.bench.dir", "");
    Path base = Path.of(configured.isBlank() ? System.getProperty("java.io.tmpdir") : configured);
    try {
      return Files.createDirectories(base);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the benchmark directory " + base, e);
    }
  }

  /** A new, empty directory for one benchmark trial. */
  static Path newDirectory(String purpose) {
    Path base = baseDirectory();
    try {
      return Files.createTempDirectory(base, "stowage-bench-" + purpose + "-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a benchmark directory under " + base, e);
    }
  }

  /** {@code n} pseudo-random bytes, the same for the same seed. */
  static byte[] randomBytes(int n, long seed) {
    byte[] data = new byte[n];
    fill(new SplittableRandom(seed), data, n);
    return data;
  }

  /**
   * Writes a file of {@code bytes} pseudo-random bytes (incompressible, so no layer can shortcut
   * it), leaving it in the page cache.
   */
  static void writeRandomFile(Path file, long bytes, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    byte[] block = new byte[BUFFER];
    ByteBuffer wrapped = ByteBuffer.wrap(block);
    try (FileChannel out =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      long left = bytes;
      while (left > 0) {
        int n = (int) Math.min(block.length, left);
        fill(random, block, n);
        wrapped.clear().limit(n);
        while (wrapped.hasRemaining()) {
          out.write(wrapped);
        }
        left -= n;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /**
   * The raw baseline of the large-object benchmarks: reads {@code file} with a {@link FileChannel}
   * into {@code buffer}'s array and hashes it with one {@link MessageDigest} on this thread.
   *
   * @return the MD5, lowercase hex
   */
  static String md5Hex(Path file, byte[] buffer) {
    MessageDigest md5 = md5();
    ByteBuffer wrapped = ByteBuffer.wrap(buffer);
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      while (in.read(wrapped.clear()) >= 0) {
        md5.update(buffer, 0, wrapped.position());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return HexFormat.of().formatHex(md5.digest());
  }

  /**
   * For the floors of the rules: sets a record-sized user attribute ({@code user.stowage.floor},
   * the MD5's hex) on {@code file}, as FileStorage records an object; does nothing where the
   * filesystem keeps no user attributes (FileStorage then writes a record file, which costs more).
   */
  static void writeRecordAttribute(Path file, String md5Hex) throws IOException {
    try {
      Files.getFileAttributeView(
              file, java.nio.file.attribute.UserDefinedFileAttributeView.class,
              java.nio.file.LinkOption.NOFOLLOW_LINKS)
          .write("user.stowage.floor", java.nio.charset.StandardCharsets.US_ASCII.encode(md5Hex));
    } catch (java.nio.file.FileSystemException e) {
      if (!String.valueOf(e.getReason()).contains("not supported")) {
        throw e;
      }
    }
  }

  /** A new MD5 digest. */
  static MessageDigest md5() {
    return digest("MD5");
  }

  /** A new digest of a JDK algorithm ({@code MD5}, {@code SHA-256}). */
  static MessageDigest digest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every Java platform provides " + algorithm, e);
    }
  }

  /** Deletes {@code root} and everything under it, if it exists. */
  /**
   * Writes every dirty page of the system's page cache to disk (the {@code sync} command) and waits
   * for it, so that a benchmark iteration that writes a gigabyte does not pay for the writeback of
   * the gigabytes written before it: once the page cache holds more dirty data than the kernel's
   * limit ({@code vm.dirty_ratio}), every writer is throttled to the disk's speed, and the iteration
   * would measure the disk, not the code. Called only outside the timing. Where the command is
   * missing, it does nothing (the numbers are then noisier).
   */
  static void flushPageCache() {
    try {
      Process sync = new ProcessBuilder("sync").redirectErrorStream(true).start();
      sync.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
      sync.waitFor();
    } catch (IOException e) {
      // no sync command: nothing to do
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static void deleteTree(Path root) {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try {
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
              if (e instanceof NoSuchFileException) {
                return FileVisitResult.CONTINUE;
              }
              throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
              if (e != null && !(e instanceof NoSuchFileException)) {
                throw e;
              }
              Files.deleteIfExists(dir);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + root, e);
    }
  }

  private static void fill(SplittableRandom random, byte[] block, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) {
      long v = random.nextLong();
      for (int k = 0; k < 8; k++) {
        block[i + k] = (byte) (v >>> (8 * k));
      }
    }
    for (long v = random.nextLong(); i < n; i++, v >>>= 8) {
      block[i] = (byte) v;
    }
  }
}
