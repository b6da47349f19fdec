package org.stowage.staging;

import java.io.IOException;
import com.google.common.base.Throwables;
import com.google.common.util.concurrent.Uninterruptibles;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.Semaphore;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.ListedObject;
import org.stowage.Location;
import org.stowage.MissingExternalResourceException;
import org.stowage.StoredObject;
import org.stowage.staging.CollectionReport.UnreadableReference;

/**
 * One listing of a store, sorting what it holds: content objects of the layout, content
 * references, and unreadable references. The lifecycle's own objects are skipped. Shared by
 * {@link ContentCollector} and {@link ReferenceCheck}.
 *
 * <p>Every other object is listed with {@link ExternalStorage#iterObjects} (rule I8): one of at
 * most {@link ContentReference#MAX_BYTES} bytes that the backend read in the same pass comes with
 * its content, verified by the core against its record, and is sorted by that content; every
 * other is opened verified ({@link ExternalStorage#loadObject}, one request with its recorded
 * metadata). One the store recorded as at most {@link ContentReference#MAX_BYTES}
 * bytes is read whole and checked against that metadata; a larger one, never a reference as
 * stored, is read only as far as the magic. Then: an object the store reports changed, or whose
 * bytes do not match, is {@linkplain UnreadableReference.Reason#DAMAGED damaged}; one that parses
 * is a reference; one that begins with the magic but does not parse is {@linkplain
 * UnreadableReference.Reason#MALFORMED malformed}; anything else is content and ignored.
 *
 * <p>The listing thread only lists (and, on a backend that reads with its listing, reads the
 * small objects where the listing already is, and the core hashes them there): it hands the
 * locations over in batches, and the workers sort them, read the references the listing did not,
 * parse, and feed the sinks. So the listing, which a backend serves to one
 * thread, runs at its own speed while the reads, the parsing and the filters' hashing overlap with
 * it on the other threads; a batch holds at most {@link #BATCH} locations, or {@link #BATCH_READS}
 * outside the content tree that still need a read (not listed with their content), so that a hand-off costs little beside its work and a
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
    /** Nothing is there (deleted since it was listed): to a scan, the same as {@link #NOTHING}. */
    static final Found GONE = new Found(null, null);
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
   * tree's, whose thread wakes it every {@value #TICK} locations to tell the count (the tree is
   * usually most of the store). A failure of either part stops the other: the rest's failure is
   * thrown once the tree's thread has ended (with the tree's failure, if any, suppressed), the
   * tree's failure once the rest has stopped.
   */
  static long scan(ExternalStorage store, ContentLayout layout, ContentSink content, ReferenceSink references,
      UnreadableSink unreadable, BoundedWorkers workers, LongConsumer listed) {
    Batcher rest = new Batcher(store, layout, content, references, unreadable, workers);
    if (content == null) {
      rest.addListed("", null, null, () -> listed.accept(rest.count));
      rest.flush();
      return rest.count;
    }
    String tree = layout.mainContentTree();
    Batcher inTree = new Batcher(store, layout, content, references, unreadable, workers);
    // The tree's thread signals every TICK locations, and at its end, so that the collecting
    // thread, once its own part is listed, reports progress as the tree is listed.
    Semaphore ticks = new Semaphore(0);
    FutureTask<Void> treeListing = new FutureTask<>(() -> {
      try {
        try (Stream<String> listing = store.iterContents(tree)) {
          for (String location : (Iterable<String>) listing::iterator) {
            if (inTree.stopped) {
              break;
            }
            inTree.add(location);
            if (inTree.count % TICK == 0) {
              ticks.release();
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
        ticks.release(); // after the task is done, however it ended: the waiter sees isDone()
      }
    };
    Thread treeThread = new Thread(treeListing, Thread.currentThread().getName() + "-content-tree");
    treeThread.setDaemon(true);
    treeThread.start();
    try {
      Runnable progress = () -> listed.accept(rest.count + inTree.count);
      rest.addListed("", tree, null, progress); // up to the tree's first location: the tree is the other thread's
      // past the tree, but a location in it after all (a character past U+D7FF follows it) was listed there
      rest.addListed(tree + PAST_THE_TREE, null, tree, progress);
      rest.flush();
    } catch (RuntimeException | Error e) {
      inTree.stopped = true;
      Throwable treeFailure = awaitTree(treeListing, treeThread, ticks, () -> {});
      if (treeFailure != null && treeFailure != e) {
        e.addSuppressed(treeFailure);
      }
      throw e;
    }
    Throwable treeFailure =
        awaitTree(treeListing, treeThread, ticks, () -> listed.accept(rest.count + inTree.count));
    if (treeFailure != null) {
      Throwables.throwIfUnchecked(treeFailure);
      throw new IllegalStateException(treeFailure); // the task throws no checked exception
    }
    long total = rest.count + inTree.count;
    listed.accept(total);
    return total;
  }

  /**
   * The largest character below the surrogates, the bound of the listing of the rest past the
   * tree. Every location at or after the tree that does not start with it differs from the tree
   * within the tree's length by a larger character, so it sorts after {@code tree +
   * PAST_THE_TREE}: the rest lists it. Locations in the tree sort before the bound unless the
   * character after the tree is above U+D7FF (never a content location, whose next character is a
   * hex digit); those are listed by both parts and skipped by the rest. With no surrogate in the
   * bound (when the store's prefix has none), UTF-8 and UTF-16 order agree on every comparison
   * with it, so an S3 server that sorts by UTF-16 units skips exactly what S3 would.
   */
  private static final String PAST_THE_TREE = "\uD7FF";

  /** Every how many locations the tree's thread wakes the collecting thread to report progress. */
  private static final int TICK = 1000;

  /**
   * Waits for the content tree's listing, telling {@code progress} (on this thread) at each of
   * its ticks, and then for its thread to end, so that no listing thread outlives the scan;
   * returns the listing's failure, or null. An interrupt meanwhile is kept for the caller.
   */
  private static Throwable awaitTree(
      FutureTask<Void> treeListing, Thread treeThread, Semaphore ticks, Runnable progress) {
    while (!treeListing.isDone()) {
      ticks.acquireUninterruptibly();
      progress.run();
    }
    Uninterruptibles.joinUninterruptibly(treeThread);
    try {
      Uninterruptibles.getUninterruptibly(treeListing);
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
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
    /** The objects listed with {@link ExternalStorage#iterObjects}, beside their locations; or null. */
    private ListedObject[] objects;
    private int inBatch;
    private int reads;
    /** Locations listed by this thread; read by the other thread for progress. */
    volatile long count;
    /** Set by the other thread when it failed: stop listing. */
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

    /**
     * Lists the store from {@code startAfter} with {@link ExternalStorage#iterObjects} and adds
     * each object, telling {@code progress} after each, until the listing ends, the other thread
     * failed ({@link #stopped}), or a location at or after {@code end} (null: no end); locations
     * that start with {@code skip} (null: none) are left out.
     */
    void addListed(String startAfter, String end, String skip, Runnable progress) {
      try (Stream<ListedObject> listing = store.iterObjects("", startAfter, ContentReference.MAX_BYTES)) {
        for (ListedObject object : (Iterable<ListedObject>) listing::iterator) {
          String location = object.location();
          if (stopped || end != null && Location.UTF8_ORDER.compare(location, end) >= 0) {
            return;
          }
          if (skip == null || !location.startsWith(skip)) {
            add(object);
            progress.run();
          }
        }
      }
    }

    /** Adds a location listed without content. */
    void add(String location) {
      append(location, null);
    }

    /**
     * Adds an object listed by {@link ExternalStorage#iterObjects}: one listed with its content
     * costs its worker only the parsing, one without it a read.
     */
    void add(ListedObject object) {
      if (objects == null) {
        objects = new ListedObject[BATCH];
      }
      append(object.location(), object);
    }

    private void append(String location, ListedObject object) {
      if (objects != null) {
        objects[inBatch] = object;
      }
      count++;
      batch[inBatch++] = location;
      boolean read = object == null || !object.hasContent();
      if (read && (content == null || !layout.inContentTree(location))) {
        reads++;
      }
      if (inBatch == BATCH || reads == BATCH_READS) {
        flush();
      }
    }

    /** Hands the batch to one worker, which sorts its locations, reads and feeds the sinks. */
    void flush() {
      String[] batch = this.batch;
      ListedObject[] objects = this.objects;
      int n = inBatch;
      this.batch = new String[BATCH];
      this.objects = null;
      inBatch = 0;
      reads = 0;
      if (n > 0) {
        workers.submit(() -> sort(batch, objects, n));
      }
    }

    /**
     * On a worker: each content key to its sink, each other object sorted, by its content if it
     * was listed with it ({@code objects} may be null), else read.
     */
    private void sort(String[] batch, ListedObject[] objects, int n) {
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
        ListedObject object = objects == null ? null : objects[i];
        Found found = object != null && object.hasContent()
            ? classify(location, object.content())
            : read(store, location);
        if (found.reference() != null) {
          references.reference(store, location, found.reference());
        } else if (found.unreadable() != null) {
          unreadable.unreadable(store, found.unreadable());
        }
      }
    }
  }

  /**
   * Reads the object at {@code location} as a reference, verified (see the class description):
   * what it is, {@link Found#NOTHING} if it is content, or {@link Found#GONE} if nothing is there.
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
      return classify(location, object.stream().readAllBytes()); // one array; the end verifies
    } catch (MissingExternalResourceException e) {
      return Found.GONE; // deleted since it was listed
    } catch (ChangedExternalResourceException e) {
      return new Found(null, new UnreadableReference(location, UnreadableReference.Reason.DAMAGED, e.getMessage()));
    } catch (IOException e) {
      throw new ExternalResourceException(store + ": cannot read " + location + ": " + e, location, e);
    }
  }

  /** What the object at {@code location}, whose verified content is {@code bytes}, is. */
  static Found classify(String location, byte[] bytes) {
    ContentReference reference = ContentReference.parse(bytes);
    if (reference != null) {
      return new Found(reference, null);
    }
    return ContentReference.claimedBy(bytes)
        ? malformed(location, "it begins with the reference magic but does not parse as a reference"
            + " of this version: " + firstLine(bytes))
        : Found.NOTHING;
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
