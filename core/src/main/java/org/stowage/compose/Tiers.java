package org.stowage.compose;

import java.io.IOException;
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
import org.stowage.StoredObject;
import org.stowage.WritePolicy;

/**
 * What the decorators of this package do to the stores they combine, through those stores' public
 * API only: store a hook's content in a tier, read metadata where "absent" is an answer, open an
 * object with the metadata of exactly the bytes it yields, make one store's object equal another's,
 * and rename a tier's error after the decorator that met it.
 */
final class Tiers {
  /** The logger, asked for at its first message (see {@code ExternalStorage.Log}). */
  private static final class Log {
    static final Logger LOG = LoggerFactory.getLogger(Tiers.class);
  }
  private static final int RACE_RETRIES = 3;

  private Tiers() {}

  /**
   * Stores the content of a {@code writeObject} hook call in {@code tier}, under {@code
   * OVERWRITE} or {@code CREATE}, and returns what the hook returns. The content is handed on as
   * it is ({@link ExternalStorage#storeSource}): the tier sees the caller's array or file, and
   * hashes nothing again.
   *
   * <p>A failure of the tier is thrown as an {@link ExternalResourceException} of the same kind,
   * naming {@code self} and the tier; if it was the caller's content that failed, the decorator's
   * core reports that instead, as it does for any backend.
   *
   * @return false if {@code replaceExisting} is false and the tier already held an object
   */
  static boolean store(
      ExternalStorage self, ExternalStorage tier, String location, ObjectSource source, boolean replaceExisting) {
    try {
      tier.storeSource(location, source, policy(replaceExisting));
      return true;
    } catch (ExistingExternalResourceException e) {
      if (!replaceExisting) {
        return false;
      }
      throw renamed(self, e);
    } catch (ExternalResourceException e) {
      throw renamed(self, e);
    }
  }

  /** The policy of a hook's {@code replaceExisting}: {@code OVERWRITE} if true, else {@code CREATE}. */
  static WritePolicy policy(boolean replaceExisting) {
    return replaceExisting ? WritePolicy.OVERWRITE : WritePolicy.CREATE;
  }

  /**
   * Opens the object at {@code location} in {@code store} with the metadata of exactly the bytes
   * its stream yields ({@link ExternalStorage#loadObject}), or {@code null} if there is none.
   */
  static StoredObject open(ExternalStorage store, String location) {
    try {
      return store.loadObject(location);
    } catch (MissingExternalResourceException e) {
      return null;
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
      Metadata want = from.findMetadata(location).orElse(null);
      Metadata have;
      boolean damaged = false;
      try {
        have = to.findMetadata(location).orElse(null);
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
    Log.LOG.warn("{}: could not delete {} from {}; it stays there until purged", self, location, tier, e);
  }
}
