package org.stowage.filesystem;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Create-if-absent for filesystems without hard links, where {@link FileStorage} cannot use
 * {@code link(2)} to place a file only if the name is free.
 *
 * <p>Writers that create at the same location exclude each other with an exclusive lock on one
 * byte of the file {@code .stowage/create.lock}, chosen by a hash of the location (65,536 slots,
 * so unrelated locations rarely wait for each other); holding it, a writer checks that the
 * location is free and renames its temporary file there. Byte-range locks ({@link FileLock}) are
 * held per process and released by the operating system when a process dies, so a crashed writer
 * never leaves a location locked. Inside one JVM, {@link FileLock}s do not exclude threads, so a
 * JVM-wide striped {@link ReentrantLock} is taken first (it also keeps two storages on the same
 * root in one JVM from requesting overlapping locks, which the JDK refuses).
 *
 * <p>The lock only orders writers that take it: a concurrent {@code OVERWRITE} store (a plain
 * rename) is not excluded, so under this fallback a create racing an overwrite may replace the
 * overwrite's object. Creates among themselves keep exactly one winner.
 */
final class CreateLock {
  private static final int SLOTS = 1 << 16;
  private static final ReentrantLock[] STRIPES = new ReentrantLock[64];

  static {
    for (int i = 0; i < STRIPES.length; i++) {
      STRIPES[i] = new ReentrantLock();
    }
  }

  private final Path lockFile;

  /** @param lockFile the lock file, created on first use */
  CreateLock(Path lockFile) {
    this.lockFile = lockFile;
  }

  /** What to do while holding the lock of a location. */
  @FunctionalInterface
  interface Action {
    boolean run() throws IOException;
  }

  /** Runs {@code action} while holding the lock of {@code location}, and returns its result. */
  boolean withLock(String location, Action action) throws IOException {
    int slot = slotOf(location);
    ReentrantLock stripe = STRIPES[slot % STRIPES.length];
    stripe.lock();
    try {
      Files.createDirectories(lockFile.getParent());
      try (FileChannel channel =
              FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock lock = channel.lock(slot, 1, false)) {
        return action.run();
      }
    } finally {
      stripe.unlock();
    }
  }

  private static int slotOf(String location) {
    // FNV-1a over the UTF-8 bytes: every process must pick the same slot for a location.
    int hash = 0x811c9dc5;
    for (byte b : location.getBytes(StandardCharsets.UTF_8)) {
      hash = (hash ^ (b & 0xff)) * 0x01000193;
    }
    return (hash ^ (hash >>> 16)) & (SLOTS - 1);
  }
}
