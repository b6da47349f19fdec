package org.stowage.staging;

import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.MissingExternalResourceException;

/**
 * One listing of a store, sorting what it holds: content objects of the layout and content
 * references (at most {@link ContentReference#MAX_BYTES} + 1 bytes of every other object are read,
 * so a large object costs one short read). The lifecycle's own objects are skipped. Shared by
 * {@link ContentCollector} and {@link ReferenceCheck}.
 *
 * <p>The listing thread only lists: it hands the locations over in batches, and the workers sort
 * them, read the references and feed the sinks. So the listing, which a backend serves to one
 * thread, runs at its own speed while the reads, the parsing and the filters' hashing overlap with
 * it on the other threads; a batch holds at most {@link #BATCH} locations, or {@link #BATCH_READS}
 * outside the content tree (each a read), so that a hand-off costs little beside its work and a
 * store's few references still spread over the workers. Memory: the workers' window of batches.
 */
final class ReferenceScan {
  /** Receives a content object's key; called on several workers at once, so thread-safe. */
  interface ContentSink {
    void content(String key);
  }

  /** Receives a reference found at {@code location} of {@code store}; called on several workers at once. */
  interface ReferenceSink {
    void reference(ExternalStorage store, String location, ContentReference reference);
  }

  /** The most locations in one worker task. */
  static final int BATCH = 128;
  /** The most locations outside the content tree (to be read) in one worker task. */
  static final int BATCH_READS = 16;

  private ReferenceScan() {}

  /**
   * Lists {@code store} and sorts its objects; {@code content} is null for a store that holds only
   * references. The sinks are called on the workers, which are not awaited: the caller awaits
   * them. Returns the number of objects listed; {@code listed} is told each count, on the calling
   * thread.
   */
  static long scan(ExternalStorage store, ContentLayout layout, ContentSink content, ReferenceSink references,
      BoundedWorkers workers, LongConsumer listed) {
    long count = 0;
    String[] batch = new String[BATCH];
    int inBatch = 0;
    int reads = 0;
    try (Stream<String> listing = store.iterContents()) {
      for (String location : (Iterable<String>) listing::iterator) {
        listed.accept(++count);
        batch[inBatch++] = location;
        if (content == null || !layout.inContentTree(location)) {
          reads++;
        }
        if (inBatch == BATCH || reads == BATCH_READS) {
          submit(store, layout, batch, inBatch, content, references, workers);
          batch = new String[BATCH];
          inBatch = 0;
          reads = 0;
        }
      }
    }
    submit(store, layout, batch, inBatch, content, references, workers);
    return count;
  }

  /** Hands {@code n} listed locations to one worker, which sorts them, reads and feeds the sinks. */
  private static void submit(ExternalStorage store, ContentLayout layout, String[] batch, int n,
      ContentSink content, ReferenceSink references, BoundedWorkers workers) {
    if (n == 0) {
      return;
    }
    workers.submit(() -> {
      for (int i = 0; i < n; i++) {
        String location = batch[i];
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
        ContentReference reference = read(store, location);
        if (reference != null) {
          references.reference(store, location, reference);
        }
      }
    });
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
