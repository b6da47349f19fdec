package org.stowage.staging;

import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.Location;
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
   * them. Returns the number of objects listed; {@code listed} is told the running count, on the
   * calling thread only, and the final count before this returns.
   *
   * <p>For the content store, the listing runs in two disjoint parts at once (rule I7): the main
   * content tree ({@code <prefix>sha256/}) on a thread of its own, and the rest of the store on
   * the calling thread, up to that tree and then from just past it. So the references, which
   * cost a read each, are read while the content tree, which costs only its listing, is walked;
   * one listing after the other, the reads would wait for the whole tree. The calling thread
   * tells {@code listed} the count of both parts; once its own part is done it waits for the
   * tree's, and the tree's thread wakes it every {@value #WAKE_EVERY} locations to tell the count
   * (the tree is usually most of the store). A failure of either part stops the other: the
   * rest's failure is thrown once the tree's thread has ended, the tree's failure once the rest
   * has stopped.
   */
  static long scan(ExternalStorage store, ContentLayout layout, ContentSink content, ReferenceSink references,
      UnreadableSink unreadable, BoundedWorkers workers, LongConsumer listed) {
    Batcher rest = new Batcher(store, layout, content, references, unreadable, workers);
    if (content == null) {
      try (Stream<String> listing = store.iterContents()) {
        for (String location : (Iterable<String>) listing::iterator) {
          rest.add(location);
          listed.accept(rest.count);
        }
      }
      rest.flush();
      return rest.count;
    }
    String tree = layout.mainContentTree();
    Batcher inTree = new Batcher(store, layout, content, references, unreadable, workers);
    Thread caller = Thread.currentThread();
    FutureTask<Void> treeListing = new FutureTask<>(() -> {
      try {
        try (Stream<String> listing = store.iterContents(tree)) {
          for (String location : (Iterable<String>) listing::iterator) {
            if (inTree.stopped) {
              break;
            }
            inTree.add(location);
            if (inTree.count % WAKE_EVERY == 0) {
              LockSupport.unpark(caller); // to tell the progress, if it waits for this listing
            }
          }
        }
        inTree.flush();
        return null;
      } catch (RuntimeException | Error e) {
        rest.stopped = true; // the collection fails anyway: the rest need not be listed to its end
        throw e;
      }
    }) {
      @Override
      protected void done() {
        LockSupport.unpark(caller);
      }
    };
    Thread treeThread = new Thread(treeListing, caller.getName() + "-content-tree");
    treeThread.setDaemon(true);
    treeThread.start();
    boolean finished = false;
    try {
      try (Stream<String> listing = store.iterContents()) {
        for (String location : (Iterable<String>) listing::iterator) {
          if (rest.stopped || Location.UTF8_ORDER.compare(location, tree) >= 0) {
            break; // the tree failed, or its first location: the tree is the other thread's
          }
          rest.add(location);
          listed.accept(rest.count + inTree.count);
        }
      }
      if (!rest.stopped) {
        try (Stream<String> listing = store.iterContents("", tree + PAST_ANY_CHARACTER)) {
          for (String location : (Iterable<String>) listing::iterator) {
            if (rest.stopped) {
              break;
            }
            if (location.startsWith(tree)) {
              continue; // in the tree after all (its next character is U+10FFFF): listed there
            }
            rest.add(location);
            listed.accept(rest.count + inTree.count);
          }
        }
      }
      rest.flush();
      // The content tree is usually most of the store: tell its progress while it is listed.
      boolean interrupted = false;
      while (!treeListing.isDone()) {
        LockSupport.park(treeListing);
        interrupted |= Thread.interrupted();
        listed.accept(rest.count + inTree.count);
      }
      if (interrupted) {
        caller.interrupt();
      }
      finished = true;
    } finally {
      if (!finished) {
        inTree.stopped = true;
      }
      awaitTree(treeListing, finished);
    }
    long total = rest.count + inTree.count;
    listed.accept(total);
    return total;
  }

  /**
   * How often the content tree's thread wakes the calling thread, if it waits for the tree, to
   * tell the running count.
   */
  private static final int WAKE_EVERY = 1024;

  /**
   * The largest code point: every location that starts with a prefix {@code p} and does not
   * continue with it sorts before {@code p + PAST_ANY_CHARACTER}.
   */
  private static final String PAST_ANY_CHARACTER = new String(Character.toChars(Character.MAX_CODE_POINT));

  /**
   * Waits for the content tree's listing; rethrows its failure if the rest of the listing
   * finished (otherwise the rest's own failure is already on its way).
   */
  private static void awaitTree(FutureTask<Void> treeListing, boolean rethrow) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          treeListing.get();
          return;
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (ExecutionException e) {
          if (rethrow) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
              throw runtime;
            }
            if (cause instanceof Error error) {
              throw error;
            }
            throw new IllegalStateException(cause);
          }
          return;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The locations one listing thread has gathered for the workers, handed over in batches. */
  private static final class Batcher {
    private final ExternalStorage store;
    private final ContentLayout layout;
    private final ContentSink content;
    private final ReferenceSink references;
    private final UnreadableSink unreadable;
    private final BoundedWorkers workers;
    private String[] batch = new String[BATCH];
    private int inBatch;
    private int reads;
    /** Locations listed by this thread; read by the other thread for progress. */
    volatile long count;
    /** Set by the other thread when it failed: stop listing (each part is stopped by the other's failure). */
    volatile boolean stopped;

    Batcher(ExternalStorage store, ContentLayout layout, ContentSink content, ReferenceSink references,
        UnreadableSink unreadable, BoundedWorkers workers) {
      this.store = store;
      this.layout = layout;
      this.content = content;
      this.references = references;
      this.unreadable = unreadable;
      this.workers = workers;
    }

    void add(String location) {
      count++;
      batch[inBatch++] = location;
      if (content == null || !layout.inContentTree(location)) {
        reads++;
      }
      if (inBatch == BATCH || reads == BATCH_READS) {
        flush();
      }
    }

    void flush() {
      submit(store, layout, batch, inBatch, content, references, unreadable, workers);
      batch = new String[BATCH];
      inBatch = 0;
      reads = 0;
    }
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
      byte[] bytes = readWhole(object.stream(), (int) size);
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

  /**
   * Reads the {@code size} bytes of a verified stream into one array, and its end, which checks
   * them against the metadata (a stream that yields more or fewer fails there).
   */
  private static byte[] readWhole(java.io.InputStream in, int size) throws IOException {
    byte[] bytes = new byte[size];
    int read = in.readNBytes(bytes, 0, size);
    if (read < size) {
      return java.util.Arrays.copyOf(bytes, read); // unreachable: the verifying stream fails first
    }
    if (in.read() >= 0) {
      throw new IOException("unreachable: the verifying stream refuses bytes past its size");
    }
    return bytes;
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
