package org.stowage.compose;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExistingExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.Location;
import org.stowage.ExternalStorage;
import org.stowage.InvalidLocationException;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.ObjectSource;
import org.stowage.WritePolicy;

/**
 * What the decorators of this package do to the stores they combine, through those stores' public
 * API only: store a hook's content in a tier, read metadata where "absent" is an answer, open an
 * object with the metadata of exactly the bytes it yields, make one store's object equal another's,
 * and rename a tier's error after the decorator that met it.
 */
final class Tiers {
  private static final Logger LOG = LoggerFactory.getLogger(Tiers.class);
  private static final int RACE_RETRIES = 3;

  private Tiers() {}

  /** An open object and the metadata of exactly the bytes its stream yields. */
  record Opened(InputStream stream, Metadata metadata) {}

  /**
   * Stores the content of a {@code writeObject} hook call in {@code tier}, under {@code
   * OVERWRITE} or {@code CREATE}, and returns what the hook returns.
   *
   * <p>If reading the caller's content fails, the content's own {@link IOException} is thrown, so
   * that the decorator's core reports a failed source exactly as it does for any backend (and the
   * caller finds its own exception as the cause). A failure of the tier is thrown as an {@link
   * ExternalResourceException} of the same kind, naming {@code self} and the tier.
   *
   * @return false if {@code replaceExisting} is false and the tier already held an object
   */
  static boolean store(
      ExternalStorage self, ExternalStorage tier, String location, ObjectSource source, boolean replaceExisting)
      throws IOException {
    GuardedSource guarded = new GuardedSource(source.stream());
    try {
      tier.storeStream(location, guarded, replaceExisting ? WritePolicy.OVERWRITE : WritePolicy.CREATE);
      return true;
    } catch (ExternalResourceException e) {
      if (guarded.failure != null) {
        throw guarded.failure;
      }
      if (!replaceExisting && e instanceof ExistingExternalResourceException) {
        return false;
      }
      throw renamed(self, e);
    }
  }

  /**
   * The metadata of the object at {@code location} in {@code store}, or {@code null} if there is
   * none.
   */
  static Metadata metadataOrNull(ExternalStorage store, String location) {
    try {
      return store.getMetadata(location);
    } catch (MissingExternalResourceException e) {
      return null;
    }
  }

  /**
   * Opens the object at {@code location} in {@code store} with the metadata that describes exactly
   * the bytes the stream yields, or returns {@code null} if there is none: the metadata is read
   * before and after opening, and the open is retried while a concurrent writer changes it (as the
   * core does for a backend that cannot answer both in one request); if it changes on every
   * attempt, it gives up with an {@link ExternalResourceException} rather than pair bytes with the
   * metadata of another version (T1.1).
   */
  static Opened openWithMetadata(ExternalStorage store, String location) throws IOException {
    for (int attempt = 0; ; attempt++) {
      Metadata before = metadataOrNull(store, location);
      if (before == null) {
        return null;
      }
      InputStream in;
      try {
        in = store.loadStream(location);
      } catch (MissingExternalResourceException e) {
        if (attempt >= RACE_RETRIES) {
          return null;
        }
        continue; // deleted between the two calls: look again
      }
      Metadata after;
      try {
        after = metadataOrNull(store, location);
      } catch (RuntimeException e) {
        in.close();
        throw e;
      }
      if (before.equals(after)) {
        return new Opened(in, before);
      }
      in.close();
      if (attempt >= RACE_RETRIES) {
        // Never pair bytes with metadata of another version (T1.1): that would report damage.
        throw new ExternalResourceException(store + ": reading " + Location.quote(location)
            + " with its metadata gave up: concurrent writers changed it on every attempt; retry",
            location, null);
      }
    }
  }

  /**
   * Makes the object at {@code location} in {@code to} equal to the one in {@code from}: copies it
   * (streamed, and verified against {@code from}'s metadata) if they differ, deletes it from {@code
   * to} if {@code from} has none, and does nothing if both hold the same MD5 and size (or neither
   * holds anything). Idempotent; safe to repeat after a failure.
   *
   * @return whether {@code to} was changed
   * @throws ExternalResourceException if either store fails, or {@code from}'s object does not
   *     match its metadata (nothing is then stored in {@code to})
   */
  static boolean makeEqual(ExternalStorage from, ExternalStorage to, String location) {
    for (int attempt = 0; ; attempt++) {
      Metadata want = metadataOrNull(from, location);
      Metadata have;
      boolean damaged = false;
      try {
        have = metadataOrNull(to, location);
      } catch (ChangedExternalResourceException e) {
        have = null; // the target's copy is damaged: replace or remove it
        damaged = true;
      }
      if (!damaged && Objects.equals(want, have)) {
        return false;
      }
      try {
        if (want == null) {
          to.deleteIfExists(location);
        } else {
          from.copyTo(location, to, location, WritePolicy.OVERWRITE);
        }
        return true;
      } catch (MissingExternalResourceException e) {
        if (attempt >= RACE_RETRIES) {
          throw e;
        }
        // deleted from "from" since we looked: look again
      }
    }
  }

  /** Closes every store, and throws the first failure with the others suppressed. */
  static void closeAll(Iterable<ExternalStorage> stores) throws IOException {
    RuntimeException first = null;
    for (ExternalStorage store : stores) {
      try {
        store.close();
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  /**
   * The same kind of error as {@code e}, its message prefixed with {@code self}'s name (rule T2:
   * messages name the storage), and {@code e} as its cause. Invalid locations are returned as they
   * are: they name no storage and cannot arise from a decorator's valid locations anyway.
   */
  static ExternalResourceException renamed(ExternalStorage self, ExternalResourceException e) {
    String message = self + ": " + e.getMessage();
    String location = e.location().orElse(null);
    if (e instanceof InvalidLocationException) {
      return e;
    }
    if (e instanceof MissingExternalResourceException) {
      return new MissingExternalResourceException(message, location, e);
    }
    if (e instanceof ChangedExternalResourceException) {
      return new ChangedExternalResourceException(message, location, e);
    }
    if (e instanceof ExistingExternalResourceException) {
      return new ExistingExternalResourceException(message, location, e);
    }
    return new ExternalResourceException(message, location, e);
  }

  /** Logs a failure to delete a tier's object that is no longer needed. */
  static void logLeak(ExternalStorage self, ExternalStorage tier, String location, RuntimeException e) {
    LOG.warn("{}: could not delete {} from {}; it stays there until purged", self, location, tier, e);
  }

  /**
   * Passes a hook's content on to a tier, remembering whether reading the content itself failed,
   * to tell a failing source from a failing tier.
   */
  private static final class GuardedSource extends FilterInputStream {
    private IOException failure;

    GuardedSource(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      try {
        return super.read();
      } catch (IOException e) {
        failure = e;
        throw e;
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return super.read(b, off, len);
      } catch (IOException e) {
        failure = e;
        throw e;
      }
    }

    @Override
    public void close() {
      // the content belongs to the core, which closes it
    }
  }
}
