package org.stowage.staging;

import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.MissingExternalResourceException;

/**
 * One listing of a store, sorting what it holds: content objects of the layout (handed over at
 * once, on the listing thread) and content references (read on the workers: at most {@link
 * ContentReference#MAX_BYTES} + 1 bytes of every other object, so a large object costs one
 * short read). The lifecycle's own objects are skipped. Shared by {@link ContentCollector} and
 * {@link ReferenceCheck}.
 */
final class ReferenceScan {
  /** Receives a content object's key. */
  interface ContentSink {
    void content(String key);
  }

  /** Receives a reference found at {@code location} of {@code store}. */
  interface ReferenceSink {
    void reference(ExternalStorage store, String location, ContentReference reference);
  }

  private ReferenceScan() {}

  /**
   * Lists {@code store} and sorts its objects; {@code content} is null for a store that holds only
   * references. Returns the number of objects listed; {@code listed} is told each count.
   */
  static long scan(ExternalStorage store, ContentLayout layout, ContentSink content, ReferenceSink references,
      BoundedWorkers workers, LongConsumer listed) {
    long count = 0;
    try (Stream<String> listing = store.iterContents()) {
      for (String location : (Iterable<String>) listing::iterator) {
        listed.accept(++count);
        if (content != null) {
          if (layout.isBookkeeping(location)) {
            continue;
          }
          String key = layout.contentKey(location);
          if (key != null) {
            content.content(key);
            continue;
          }
        }
        workers.submit(() -> {
          ContentReference reference = read(store, location);
          if (reference != null) {
            references.reference(store, location, reference);
          }
        });
      }
    }
    return count;
  }

  /** The reference at {@code location}, or {@code null} if the object is none (or is gone). */
  static ContentReference read(ExternalStorage store, String location) {
    byte[] head;
    try (InputStream in = store.loadStream(location)) {
      head = in.readNBytes(ContentReference.MAX_BYTES + 1);
    } catch (MissingExternalResourceException e) {
      return null; // deleted since it was listed
    } catch (IOException e) {
      throw new ExternalResourceException(store + ": cannot read " + location + ": " + e, location, e);
    }
    return ContentReference.parse(head);
  }
}
