package org.stowage;

import java.security.MessageDigest;
import java.security.MessageDigestSpi;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.Security;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the bytes hashed with MD5 in this JVM while it is installed: a security provider, put
 * first, whose MD5 passes every byte on to the platform's MD5 and counts it. Bytes hashed divided
 * by an object's size is the number of MD5 passes over it. Install it around one operation at a
 * time; tests that use it must not run in parallel with others that hash.
 */
public final class Md5Counter implements AutoCloseable {
  private static final AtomicLong BYTES = new AtomicLong();
  private static final String NAME = "StowageMd5Counter";

  private Md5Counter() {}

  /** Puts the counting provider first; {@link #close()} removes it. */
  public static Md5Counter install() {
    Provider provider = new Provider(NAME, "1.0", "counts MD5 bytes, for tests") {};
    provider.put("MessageDigest.MD5", CountingMd5.class.getName());
    if (Security.insertProviderAt(provider, 1) != 1) {
      throw new IllegalStateException("could not put the counting MD5 provider first");
    }
    BYTES.set(0);
    return new Md5Counter();
  }

  /** The bytes hashed since the last {@link #reset()} (or {@link #install()}). */
  public long bytes() {
    return BYTES.get();
  }

  /** How many passes over {@code size} bytes were hashed, rounded down; resets the count. */
  public long passesOver(long size) {
    return BYTES.getAndSet(0) / size;
  }

  /** Starts counting from zero. */
  public void reset() {
    BYTES.set(0);
  }

  @Override
  public void close() {
    Security.removeProvider(NAME);
  }

  /** The platform's MD5, counting what it is fed. */
  public static final class CountingMd5 extends MessageDigestSpi {
    private final MessageDigest inner;

    public CountingMd5() throws NoSuchAlgorithmException, java.security.NoSuchProviderException {
      inner = MessageDigest.getInstance("MD5", "SUN");
    }

    @Override
    protected void engineUpdate(byte input) {
      BYTES.incrementAndGet();
      inner.update(input);
    }

    @Override
    protected void engineUpdate(byte[] input, int offset, int len) {
      BYTES.addAndGet(len);
      inner.update(input, offset, len);
    }

    @Override
    protected byte[] engineDigest() {
      return inner.digest();
    }

    @Override
    protected void engineReset() {
      inner.reset();
    }
  }
}
