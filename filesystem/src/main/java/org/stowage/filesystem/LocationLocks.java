package org.stowage.filesystem;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.stowage.Location;

/**
 * Short exclusive locks per location, shared by every thread and every process that opens a
 * storage on the same root, so that an object file and its metadata record change together.
 *
 * <p>A location's lock is one byte of the file {@code .stowage/lock} under the root, at an offset
 * chosen by a hash of the location (65,536 slots, so unrelated locations rarely wait for each
 * other), locked with an operating-system byte-range lock ({@link FileLock}, {@code fcntl} on
 * Unix). Such locks belong to a process and the system releases them when it dies, so a crash
 * never leaves a location locked.
 *
 * <p>Two rules of those locks shape this class. They do not exclude threads of one process, so a
 * JVM-wide striped {@link ReentrantLock} is taken first: in one JVM at most one thread asks for a
 * given slot at a time. And closing any descriptor of the lock file releases all the process's
 * locks on it, so every storage in the JVM on the same root uses one channel, opened once and kept
 * open for the life of the JVM (one descriptor per root). An interrupt delivered to a thread while
 * it waits for the lock closes that channel (Java's interruptible channels do); the wait then
 * fails, and the next lock opens the channel again.
 *
 * <p>Locks are held only around short steps: publishing a file and writing its record, reading a
 * record, deleting, renaming one object to another location (which holds both locations' locks,
 * see {@link #withLocks}). Never while content is written or hashed.
 */
final class LocationLocks {
  private static final int SLOTS = 1 << 16;
  private static final ReentrantLock[] STRIPES = new ReentrantLock[64];
  private static final Map<Path, FileChannel> CHANNELS = new HashMap<>();
  /** How long a lock refused as a deadlock is polled for before the refusal is thrown. */
  private static final long POLL_LIMIT_NANOS = 60_000_000_000L;

  static {
    for (int i = 0; i < STRIPES.length; i++) {
      STRIPES[i] = new ReentrantLock();
    }
  }

  private final Path lockFile;

  /** @param lockFile the lock file (a real path), created on first use */
  LocationLocks(Path lockFile) {
    this.lockFile = lockFile;
  }

  /** A step to run while holding a location's lock. */
  @FunctionalInterface
  interface Step<T> {
    T run() throws IOException;
  }

  /** Runs {@code step} while holding the lock of {@code location}, and returns its result. */
  <T> T withLock(Location location, Step<T> step) throws IOException {
    int slot = slotOf(location.value());
    ReentrantLock stripe = STRIPES[slot % STRIPES.length];
    stripe.lock();
    try {
      FileLock lock = acquire(slot);
      try {
        return step.run();
      } finally {
        release(lock);
      }
    } finally {
      stripe.unlock();
    }
  }

  /**
   * Runs {@code step} while holding the locks of both {@code first} and {@code second}, for steps
   * that change two locations together (a rename). Every lock is taken in one global order, the
   * same in every thread and every process: first the JVM stripes, by ascending index, then the
   * file slots, by ascending offset. A thread that holds a slot never waits for a stripe, and each
   * process asks for slots in ascending order, so two such steps can never wait for each other in
   * a cycle, in one process or across several. When both locations share a slot, it is taken once.
   */
  <T> T withLocks(Location first, Location second, Step<T> step) throws IOException {
    int a = slotOf(first.value());
    int b = slotOf(second.value());
    int low = Math.min(a, b);
    int high = Math.max(a, b);
    ReentrantLock lowStripe = STRIPES[Math.min(low % STRIPES.length, high % STRIPES.length)];
    ReentrantLock highStripe = STRIPES[Math.max(low % STRIPES.length, high % STRIPES.length)];
    lowStripe.lock();
    try {
      highStripe.lock(); // reentrant: the same stripe twice is fine
      try {
        FileLock lowLock = acquire(low);
        try {
          FileLock highLock = low == high ? null : acquire(high);
          try {
            return step.run();
          } finally {
            release(highLock);
          }
        } finally {
          release(lowLock);
        }
      } finally {
        highStripe.unlock();
      }
    } finally {
      lowStripe.unlock();
    }
  }

  private static void release(FileLock lock) throws IOException {
    if (lock == null) {
      return;
    }
    try {
      lock.release();
    } catch (ClosedChannelException e) {
      // An interrupt closed the shared channel meanwhile, which released the lock already.
    }
  }

  private FileLock acquire(int slot) throws IOException {
    // A pending interrupt would close the shared channel at once: keep it for after the wait.
    boolean interrupted = Thread.interrupted();
    try {
      for (int attempt = 0; ; attempt++) {
        FileChannel channel = channel();
        try {
          return channel.lock(slot, 1, false);
        } catch (ClosedChannelException e) {
          // Closed by an interrupt, of this thread or of another one: reopen and try once more.
          if (attempt > 0 || Thread.currentThread().isInterrupted()) {
            throw e;
          }
        } catch (IOException e) {
          // EDEADLK ("Resource deadlock avoided"): the kernel's deadlock detection sees processes,
          // not threads, so a thread of this process waiting for a slot that a thread of another
          // process holds, while the other process waits for a slot a second thread here holds,
          // looks like a cycle. It is not one (a thread holds one slot, or two taken in ascending
          // order, and lets them go after a short step), but the blocking call refuses. Poll
          // without blocking instead, which the detection does not concern. Found by
          // FileStorageHammerTest.
          return poll(channel, slot, e);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Takes the slot with non-blocking attempts, parking between them (50 microseconds, doubling up
   * to 5 milliseconds), for up to {@link #POLL_LIMIT_NANOS}; interrupts are kept for the caller.
   */
  private static FileLock poll(FileChannel channel, int slot, IOException refusal)
      throws IOException {
    long deadline = System.nanoTime() + POLL_LIMIT_NANOS;
    long pause = 50_000;
    boolean interrupted = false;
    try {
      while (true) {
        FileLock lock = channel.tryLock(slot, 1, false);
        if (lock != null) {
          return lock;
        }
        if (System.nanoTime() - deadline > 0) {
          throw refusal;
        }
        java.util.concurrent.locks.LockSupport.parkNanos(pause);
        pause = Math.min(pause * 2, 5_000_000);
        interrupted |= Thread.interrupted();
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private FileChannel channel() throws IOException {
    synchronized (CHANNELS) {
      FileChannel channel = CHANNELS.get(lockFile);
      if (channel == null || !channel.isOpen()) {
        Files.createDirectories(lockFile.getParent());
        channel =
            FileChannel.open(
                lockFile,
                StandardOpenOption.CREATE,
                StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        CHANNELS.put(lockFile, channel);
      }
      return channel;
    }
  }

  static int slotOf(String location) {
    // FNV-1a over the UTF-8 bytes: every process must pick the same slot for a location.
    int hash = 0x811c9dc5;
    for (byte b : location.getBytes(StandardCharsets.UTF_8)) {
      hash = (hash ^ (b & 0xff)) * 0x01000193;
    }
    return (hash ^ (hash >>> 16)) & (SLOTS - 1);
  }
}
