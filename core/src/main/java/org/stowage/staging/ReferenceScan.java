package org.stowage.staging;

import java.io.IOException;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.MissingExternalResourceException;
import org.stowage.StoredObject;
import org.stowage.staging.CollectionReport.UnreadableReference;

/**
 * One listing of a store, sorting what it holds: content objects of the layout, content
 * references, and unreadable references. The lifecycle's own objects are skipped. Shared by
 * {@link ContentCollector} and {@link ReferenceCheck}.
 *
 * <p>Every other object is opened verified ({@link ExternalStorage#loadObject}, one request with
 * its recorded metadata). One the store recorded as at most {@link ContentReference#MAX_BYTES}
 * bytes is read whole and checked against that metadata; a larger one, never a reference as
 * stored, is read only as far as the magic. Then: an object the store reports changed, or whose
 * bytes do not match, is {@linkplain UnreadableReference.Reason#DAMAGED damaged}; one that parses
 * is a reference; one that begins with the magic but does not parse is {@linkplain
 * UnreadableReference.Reason#MALFORMED malformed}; anything else is content and ignored.
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

  /** Receives an object that may be a reference but cannot be trusted; called on several workers at once. */
  interface UnreadableSink {
    void unreadable(ExternalStorage store, UnreadableReference unreadable);
  }

  /** What {@link #read} found: a reference, an unreadable one, or neither (both null). */
  record Found(ContentReference reference, UnreadableReference unreadable) {
    static final Found NOTHING = new Found(null, null);
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
      UnreadableSink unreadable, BoundedWorkers workers, LongConsumer listed) {
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
          submit(store, layout, batch, inBatch, content, references, unreadable, workers);
          batch = new String[BATCH];
          inBatch = 0;
          reads = 0;
        }
      }
    }
    submit(store, layout, batch, inBatch, content, references, unreadable, workers);
    return count;
  }

  /** Hands {@code n} listed locations to one worker, which sorts them, reads and feeds the sinks. */
  private static void submit(ExternalStorage store, ContentLayout layout, String[] batch, int n,
      ContentSink content, ReferenceSink references, UnreadableSink unreadable, BoundedWorkers workers) {
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
        Found found = read(store, location);
        if (found.reference() != null) {
          references.reference(store, location, found.reference());
        } else if (found.unreadable() != null) {
          unreadable.unreadable(store, found.unreadable());
        }
      }
    });
  }

  /**
   * Reads the object at {@code location} as a reference, verified (see the class description):
   * what it is, or {@link Found#NOTHING} if it is content or is gone.
   */
  static Found read(ExternalStorage store, String location) {
    try (StoredObject object = store.loadObject(location)) {
      long size = object.metadata().size();
      if (size > ContentReference.MAX_BYTES) {
        // never a reference when stored; unverified, only to see whether it claims to be one
        byte[] head = object.stream().readNBytes(ContentReference.MAGIC_PREFIX.length());
        return ContentReference.claimedBy(head)
            ? malformed(location, "it begins with the reference magic but the store recorded " + size
                + " bytes, over the " + ContentReference.MAX_BYTES + " a reference can have")
            : Found.NOTHING;
      }
      byte[] bytes = object.stream().readAllBytes(); // the end checks them against the metadata
      ContentReference reference = ContentReference.parse(bytes);
      if (reference != null) {
        return new Found(reference, null);
      }
      return ContentReference.claimedBy(bytes)
          ? malformed(location, "it begins with the reference magic but does not parse as a reference"
              + " of this version: " + firstLine(bytes))
          : Found.NOTHING;
    } catch (MissingExternalResourceException e) {
      return Found.NOTHING; // deleted since it was listed
    } catch (ChangedExternalResourceException e) {
      return new Found(null, new UnreadableReference(location, UnreadableReference.Reason.DAMAGED, e.getMessage()));
    } catch (IOException e) {
      throw new ExternalResourceException(store + ": cannot read " + location + ": " + e, location, e);
    }
  }

  private static Found malformed(String location, String detail) {
    return new Found(null, new UnreadableReference(location, UnreadableReference.Reason.MALFORMED, detail));
  }

  /** The first line of a small object, quoted for a message. */
  private static String firstLine(byte[] bytes) {
    String text = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    int end = text.indexOf('\n');
    return org.stowage.Location.quote(end < 0 ? text : text.substring(0, end));
  }
}
