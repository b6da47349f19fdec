package org.stowage.benchmarks;

import java.io.InputStream;
import java.net.URI;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.stowage.ExistingExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.ObjectSource;
import org.stowage.WritePolicy;

/**
 * A storage that passes everything to another one through its public API and counts the writes:
 * how benchmark 8 proves that putting present content stores nothing. Only {@link #writeObject}
 * writes; every store, copy and move of the base class goes through it. The wrapped storage
 * stays the caller's: closing this one does not close it.
 */
final class CountingStorage extends ExternalStorage {
  private final ExternalStorage delegate;
  private final AtomicLong writes = new AtomicLong();

  CountingStorage(ExternalStorage delegate) {
    this.delegate = delegate;
  }

  /** How many times a write reached the wrapped storage. */
  long writes() {
    return writes.get();
  }

  @Override
  protected boolean writeObject(Location location, ObjectSource source, boolean replaceExisting) {
    writes.incrementAndGet();
    try {
      delegate.storeStream(
          location.value(),
          source.stream(),
          replaceExisting ? WritePolicy.OVERWRITE : WritePolicy.CREATE);
      return true;
    } catch (ExistingExternalResourceException e) {
      return false;
    }
  }

  @Override
  protected InputStream openObject(Location location) {
    try {
      return delegate.loadStream(location.value());
    } catch (MissingExternalResourceException e) {
      return null;
    }
  }

  @Override
  protected boolean objectExists(Location location) {
    return delegate.exists(location.value());
  }

  @Override
  protected Metadata objectMetadata(Location location) {
    try {
      return delegate.getMetadata(location.value());
    } catch (MissingExternalResourceException e) {
      return null;
    }
  }

  @Override
  protected boolean deleteObject(Location location) {
    return delegate.deleteIfExists(location.value());
  }

  @Override
  protected Stream<String> listObjects(String prefix) {
    return delegate.iterContents(prefix);
  }

  @Override
  protected URI objectUri(Location location) {
    return delegate.uri(location.value());
  }

  @Override
  public String toString() {
    return "Counting[" + delegate + "]";
  }
}
