package org.stowage;

import java.io.InterruptedIOException;
import java.security.MessageDigest;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A message digest fed from one thread and computed on another, so that copying bytes and hashing
 * them run on two cores at once. One core cannot copy and hash MD5 at full speed together: a copy
 * loop that also hashes runs at about two thirds of MD5's own speed. With the hash on a second
 * core, a store or a verified load runs at about MD5's speed.
 *
 * <p>The first {@value #INLINE_BYTES} bytes are hashed inline, on the caller's thread, so small
 * objects pay for no thread hand-off. Past that, updates are copied into {@value #CHUNK_BYTES}
 * chunks, which a hasher thread consumes; at most {@value #CHUNKS} chunks exist per digest, so
 * memory stays bounded and a fast reader waits for the hasher rather than running ahead. {@link
 * #digest()} waits for the hasher to finish. {@link #close()} stops it early when the bytes are
 * abandoned. Used by one feeding thread at a time.
 */
final class PipelinedDigest implements AutoCloseable {
  static final int INLINE_BYTES = 4 << 20;
  static final int CHUNK_BYTES = 1 << 20;
  static final int CHUNKS = 4;

  /**
   * The hasher threads, created on the first input past {@link #INLINE_BYTES}: a holder class, so
   * that hashing small inputs (a transfer's 1 MiB files) neither starts a pool nor bootstraps a
   * lambda.
   */
  private static final class Hashers implements java.util.concurrent.ThreadFactory {
    static final ExecutorService POOL = Executors.newCachedThreadPool(new Hashers());

    private final AtomicInteger count = new AtomicInteger();

    @Override
    public Thread newThread(Runnable r) {
      Thread t = new Thread(r, "stowage-hasher-" + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    }
  }

  private static final Chunk END = new Chunk(new byte[0], 0);

  private final MessageDigest digest;
  private long inlined;
  private BlockingQueue<Chunk> full;
  private BlockingQueue<byte[]> free;
  private Future<?> hasher;
  private byte[] chunk;
  private int used;
  private int chunksMade;
  private boolean finished;

  PipelinedDigest(MessageDigest digest) {
    this.digest = digest;
  }

  /** The algorithm's name, as {@link MessageDigest#getAlgorithm()} gives it. */
  String algorithm() {
    return digest.getAlgorithm();
  }

  /** Adds {@code len} bytes of {@code b} from {@code off}; the array may be reused on return. */
  void update(byte[] b, int off, int len) throws InterruptedIOException {
    if (hasher == null) {
      if (inlined + len <= INLINE_BYTES) {
        digest.update(b, off, len);
        inlined += len;
        return;
      }
      start();
    }
    while (len > 0) {
      if (chunk == null) {
        chunk = takeFree();
        used = 0;
      }
      int n = Math.min(len, chunk.length - used);
      System.arraycopy(b, off, chunk, used, n);
      used += n;
      off += n;
      len -= n;
      if (used == chunk.length) {
        hand(new Chunk(chunk, used));
        chunk = null;
      }
    }
  }

  /**
   * Finishes the digest, waiting for the hasher, and returns it. Call once.
   *
   * @throws InterruptedIOException if interrupted while waiting
   */
  byte[] digest() throws InterruptedIOException {
    if (hasher != null) {
      if (chunk != null && used > 0) {
        hand(new Chunk(chunk, used));
        chunk = null;
      }
      hand(END);
      try {
        hasher.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        hasher.cancel(true);
        throw new InterruptedIOException("interrupted while finishing a digest");
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException("the hasher failed", e.getCause());
      }
    }
    finished = true;
    return digest.digest();
  }

  /** Stops the hasher if the bytes are abandoned before {@link #digest()}. Idempotent. */
  @Override
  public void close() {
    if (hasher != null && !finished) {
      finished = true;
      hasher.cancel(true);
    }
  }

  private void start() {
    full = new ArrayBlockingQueue<>(CHUNKS + 1);
    free = new ArrayBlockingQueue<>(CHUNKS);
    hasher = Hashers.POOL.submit(this::hashChunks);
  }

  private void hashChunks() {
    try {
      while (true) {
        Chunk next = full.take();
        if (next == END) {
          return;
        }
        digest.update(next.data, 0, next.length);
        free.put(next.data);
      }
    } catch (InterruptedException e) {
      // Abandoned: the bytes will never be finished.
      Thread.currentThread().interrupt();
    }
  }

  private byte[] takeFree() throws InterruptedIOException {
    byte[] b = free.poll();
    if (b != null) {
      return b;
    }
    if (chunksMade < CHUNKS) {
      chunksMade++;
      return new byte[CHUNK_BYTES];
    }
    try {
      return free.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new InterruptedIOException("interrupted while hashing");
    }
  }

  private void hand(Chunk c) throws InterruptedIOException {
    try {
      full.put(c);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new InterruptedIOException("interrupted while hashing");
    }
  }

  /** Bytes {@code [0, length)} of {@code data}, to hash. */
  private record Chunk(byte[] data, int length) {}
}
