package org.stowage.staging;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.stowage.ExternalResourceException;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.TreeMapStorage;
import org.stowage.cas.ContentAddressedStore;
import org.stowage.cas.Digest;

/**
 * The content store listed in two disjoint parts at once (docs/staging.md, "Lifecycle", step 2;
 * rule I7): the main content tree {@code <prefix>sha256/} on a thread of its own, and the rest of
 * the store on the collecting thread, up to the tree and then from just past it. Every object is
 * listed exactly once wherever it sorts against the tree; a failure of either part fails the
 * collection, deletes nothing and stops the other part; progress is told on the collecting thread
 * only, the tree's included.
 */
class ContentTreeSplitTest {
  /** U+10FFFF, the largest code point: what the rest's second listing starts after, past the tree. */
  private static final String MAX = new String(Character.toChars(Character.MAX_CODE_POINT));
  private static final long WAIT_SECONDS = 10;

  @TempDir Path spool;

  /**
   * A {@link TreeMapStorage} whose listings name their part: {@code tree} (the content tree's
   * listing), {@code head} (the whole store, which the collecting thread reads up to the tree),
   * {@code tail} (a listing after a key, rule I7) or {@code other}. Each element passes a hook,
   * told its index in its listing,
   * that may fail the listing there or wait, on the listing's own thread. With {@code skips}, the
   * listing after a key starts at the key (a sorted map's tail, as S3, memory and files do); without,
   * it is the core's default, which lists the prefix and drops the start.
   */
  static final class PartedStorage extends TreeMapStorage {
    interface ElementHook {
      void next(String part, int index, String location) throws IOException, InterruptedException;
    }

    private final boolean skips;
    private final String tree;
    volatile ElementHook hook = (part, index, location) -> {};
    final Map<String, Thread> threads = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> pulled = new ConcurrentHashMap<>();
    final Set<String> closed = ConcurrentHashMap.newKeySet();

    PartedStorage(boolean skips, String tree) {
      this.skips = skips;
      this.tree = tree;
    }

    int pulled(String part) {
      AtomicInteger n = pulled.get(part);
      return n == null ? 0 : n.get();
    }

    @Override
    protected Stream<String> listObjects(String prefix) throws IOException {
      return parted(prefix.equals(tree) ? "tree" : prefix.isEmpty() ? "head" : "other", super.listObjects(prefix));
    }

    @Override
    protected Stream<String> listObjects(String prefix, String startAfter) throws IOException {
      Stream<String> after;
      if (skips) {
        synchronized (this) {
          after = new ArrayList<>(objects.tailMap(startAfter, false).keySet()).stream()
              .filter(location -> location.startsWith(prefix));
        }
      } else {
        after = super.listObjects(prefix).filter(location -> Location.UTF8_ORDER.compare(location, startAfter) > 0);
      }
      return parted("tail", after);
    }

    private Stream<String> parted(String part, Stream<String> listing) {
      threads.put(part, Thread.currentThread());
      AtomicInteger total = pulled.computeIfAbsent(part, p -> new AtomicInteger());
      AtomicInteger index = new AtomicInteger();
      return listing.map(location -> {
        total.incrementAndGet();
        try {
          hook.next(part, index.getAndIncrement(), location);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
        return location;
      }).onClose(() -> closed.add(part));
    }
  }

  /** What a planted store holds: its references, and which content they keep. */
  record Planted(int references, Set<String> referencedContent, Set<String> garbage, Set<String> others) {
    int contentObjects() {
      return referencedContent.size() + garbage.size();
    }
  }

  /** Plants a reference at each of {@code referenceLocations}, to content of its own (SHA-256, or SHA-512 every third). */
  private static Planted plant(PartedStorage storage, ContentAddressedStore cas, List<String> referenceLocations,
      List<String> plainLocations, int garbage) {
    ContentAddressedStore sha512 = ContentAddressedStore.builder(storage).prefix(prefixOf(cas))
        .algorithm(Digest.SHA512).build();
    Set<String> referenced = new TreeSet<>();
    Set<String> others = new TreeSet<>();
    for (int i = 0; i < referenceLocations.size(); i++) {
      byte[] bytes = ("content of reference " + i).getBytes(UTF_8);
      ContentAddressedStore into = i % 3 == 2 ? sha512 : cas;
      Digest d = into.put(bytes);
      referenced.add(into.location(d));
      storage.storeBytes(referenceLocations.get(i),
          new ContentReference(d, Metadata.of(bytes), into.location(d)).toBytes());
      others.add(referenceLocations.get(i));
    }
    for (String plain : plainLocations) {
      storage.storeBytes(plain, ("an ordinary file at " + plain).getBytes(UTF_8));
      others.add(plain);
    }
    Set<String> unreferenced = new TreeSet<>();
    for (int i = 0; i < garbage; i++) {
      ContentAddressedStore into = i % 2 == 1 ? sha512 : cas;
      Digest d = into.put(("garbage " + i).getBytes(UTF_8));
      unreferenced.add(into.location(d));
    }
    return new Planted(referenceLocations.size(), referenced, unreferenced, others);
  }

  private static String prefixOf(ContentAddressedStore cas) {
    String tree = new ContentLayout(cas).mainContentTree();
    String base = tree.substring(0, tree.length() - (Digest.SHA256 + "/").length());
    return base.isEmpty() ? "" : base.substring(0, base.length() - 1);
  }

  private static ContentAddressedStore cas(TreeMapStorage storage, String prefix) {
    return ContentAddressedStore.builder(storage).prefix(prefix).build();
  }

  private static String treeOf(String prefix) {
    return (prefix.isEmpty() ? "" : prefix + "/") + Digest.SHA256 + "/";
  }

  private static long listedNow(TreeMapStorage storage) {
    try (Stream<String> all = storage.iterContents()) {
      return all.count();
    }
  }

  private static Set<String> keys(TreeMapStorage storage) {
    synchronized (storage) {
      return new TreeSet<>(storage.objects.keySet());
    }
  }

  /**
   * Collects (a dry run, a check, a real run) and checks that each reference was found once, each
   * object listed once, and that exactly the unreferenced content went.
   */
  private void collectsExactly(PartedStorage storage, ContentAddressedStore cas, Planted planted, String where) {
    long objects = listedNow(storage);
    CollectionReport dry = ContentCollector.builder(cas).spoolDirectory(spool).build().collect();
    assertEquals(planted.references(), dry.references(), "each reference found exactly once" + where + dry);
    assertEquals(planted.referencedContent().size(), dry.referencedDigests(), where + dry);
    assertEquals(planted.contentObjects(), dry.contentObjects(), "each content object listed once" + where + dry);
    assertEquals(planted.garbage().size(), dry.reclaimableObjects(), where + dry);
    assertEquals(objects + 1, dry.objectsListed(), "every object, and the collection's own marker, listed once" + where + dry);
    assertEquals(0, dry.unreadableCount(), where + dry);
    assertEquals(0, dry.danglingCount(), where + dry);

    ReferenceCheck.Report check = ReferenceCheck.builder(cas).spoolDirectory(spool).build().check();
    assertEquals(planted.references(), check.references(), where + check);
    assertEquals(planted.contentObjects(), check.contentObjects(), where + check);
    assertEquals(0, check.problemCount(), where + check);
    assertEquals(List.copyOf(planted.garbage()).stream().sorted().toList(),
        check.unreferenced().stream().sorted().toList(), where + check);

    CollectionReport real = ContentCollector.builder(cas).dryRun(false).spoolDirectory(spool).build().collect();
    assertEquals(planted.garbage().size(), real.reclaimedObjects(), where + real);
    Set<String> expected = new TreeSet<>(planted.referencedContent());
    expected.addAll(planted.others());
    assertEquals(expected, keys(storage), "exactly the referenced content kept, nothing else touched" + where);
  }

  @ParameterizedTest(name = "prefix \"{0}\", listing after a key {1}")
  @CsvSource({"cas, skips", "cas, filters", "'', skips", "'', filters", "deep/cas, skips"})
  @DisplayName("references before, inside (not content), at the bound of and after the content tree are each found once; every object is listed once")
  void everyObjectListedOnce(String prefix, String listing) {
    String tree = treeOf(prefix);
    String base = tree.substring(0, tree.length() - "sha256/".length());
    PartedStorage storage = new PartedStorage(listing.equals("skips"), tree);
    ContentAddressedStore cas = cas(storage, prefix);
    List<String> references = new ArrayList<>(List.of(
        "a/ref",
        base + "other.ref", // under the prefix, before the tree
        base + "sha256", // the tree's name without its slash: sorts before it
        base + "sha256-x", // '-' sorts before '/'
        base + "sha256.ref",
        tree + "ref", // in the tree, not content: the tree's thread reads it
        tree + "ab/cd/not-content",
        tree + "ab/cd/" + "ab".repeat(31) + "cd", // content-shaped, fan-out disagrees: a reference
        tree + MAX, // exactly the rest's bound: in the tree's listing only
        tree + MAX + "/x", // after the bound, and in the tree: the rest skips it
        base + "sha256" + MAX, // after the tree, not in it
        base + "sha2560/x",
        base + "sha512/ref", // in the other content tree, not content
        "zzz/ref",
        MAX + "/ref"));
    if (prefix.isEmpty()) {
      references.add("cas/sha256/ab/cd/" + "ab".repeat(32)); // content elsewhere, a reference here
    }
    List<String> plain = List.of("a/data.txt", base + "sha2560/plain", tree + "plain.txt", "zzz/plain");
    Planted planted = plant(storage, cas, references, plain, 4);
    collectsExactly(storage, cas, planted, " (prefix \"" + prefix + "\", " + listing + ")");
    assertNotNull(storage.threads.get("tree"), "the tree was listed by a listing of its own");
    assertTrue(storage.threads.get("tree").getName().endsWith("-content-tree"), storage.threads.toString());
  }

  @Test
  @DisplayName("property: random layouts around the content tree; each reference found once, each object listed once")
  void randomLayouts() {
    String[] tokens = {"sha256", "sha2560", "sha512", "sha256-x", "sha256.r", "a", "zz", MAX, "\u00e9", "0", "ab",
        "cd", "\uE000", "\uD83D\uDE00", "collections", "cas", ""};
    qt().withExamples(40).forAll(longs().all()).checkAssert(seed -> {
      Random random = new Random(seed);
      String prefix = random.nextBoolean() ? "cas" : "";
      String tree = treeOf(prefix);
      PartedStorage storage = new PartedStorage(random.nextBoolean(), tree);
      ContentAddressedStore cas = cas(storage, prefix);
      ContentLayout layout = new ContentLayout(cas);
      Set<String> locations = new LinkedHashSet<>();
      int wanted = random.nextInt(14);
      for (int attempt = 0; attempt < 200 && locations.size() < wanted; attempt++) {
        StringBuilder location = new StringBuilder(random.nextInt(3) == 0 ? tree : random.nextBoolean() ? prefix : "");
        int segments = 1 + random.nextInt(3);
        for (int s = 0; s < segments; s++) {
          if (s > 0 || (location.length() > 0 && location.charAt(location.length() - 1) != '/' && random.nextBoolean())) {
            location.append('/');
          }
          int pieces = 1 + random.nextInt(2);
          for (int p = 0; p < pieces; p++) {
            location.append(tokens[random.nextInt(tokens.length)]);
          }
        }
        String l = location.toString();
        if (Location.isValid(l) && !layout.isBookkeeping(l) && layout.contentKey(l) == null) {
          locations.add(l);
        }
      }
      Planted planted = plant(storage, cas, List.copyOf(locations), List.of(), random.nextInt(3));
      collectsExactly(storage, cas, planted, " (seed " + seed + ", " + locations + ")");
    });
  }

  @ParameterizedTest(name = "prefix \"{0}\"")
  @CsvSource({"cas", "''"})
  @DisplayName("a store with nothing at all, one with only content, one with only references: each collects")
  void emptyAndOneSidedStores(String prefix) {
    String tree = treeOf(prefix);
    PartedStorage empty = new PartedStorage(true, tree);
    collectsExactly(empty, cas(empty, prefix), plant(empty, cas(empty, prefix), List.of(), List.of(), 0), " (empty)");
    assertEquals(Set.of(), keys(empty));

    PartedStorage onlyContent = new PartedStorage(true, tree);
    Planted garbage = plant(onlyContent, cas(onlyContent, prefix), List.of(), List.of(), 5);
    collectsExactly(onlyContent, cas(onlyContent, prefix), garbage, " (only content)");
    assertEquals(Set.of(), keys(onlyContent), "all of it was garbage");

    PartedStorage onlyTree = new PartedStorage(false, tree);
    ContentAddressedStore treeCas = cas(onlyTree, prefix);
    treeCas.put("sha-256 content only, no sha512 and nothing outside the tree".getBytes(UTF_8));
    CollectionReport report = ContentCollector.builder(treeCas).dryRun(false).spoolDirectory(spool).build().collect();
    assertEquals(1, report.reclaimedObjects(), report.toString());
    assertEquals(2, report.objectsListed(), "the content and the marker: " + report);

    PartedStorage onlyReferences = new PartedStorage(false, tree);
    ContentAddressedStore refCas = cas(onlyReferences, prefix);
    Digest absent = Digest.sha256("never stored".getBytes(UTF_8));
    onlyReferences.storeBytes("run/ref", new ContentReference(absent,
        Metadata.of("never stored".getBytes(UTF_8)), refCas.location(absent)).toBytes());
    CollectionReport dangling = ContentCollector.builder(refCas).dryRun(false).spoolDirectory(spool).build().collect();
    assertEquals(1, dangling.references(), dangling.toString());
    assertEquals(1, dangling.danglingCount(), dangling.toString());
    assertEquals(0, dangling.contentObjects(), dangling.toString());
  }

  /** A store with {@code tree} content objects (garbage), and references before and after the tree. */
  private static PartedStorage storeWith(int treeObjects, int referencesAfter) {
    PartedStorage storage = new PartedStorage(true, treeOf("cas"));
    ContentAddressedStore cas = cas(storage, "cas");
    byte[] one = {1};
    for (int i = 0; i < treeObjects; i++) {
      // content-shaped locations holding one byte: a collection does not read content
      String at = cas.location(new Digest(Digest.SHA256, Digest.sha256(("tree " + i).getBytes(UTF_8)).hex(), 1));
      synchronized (storage) {
        storage.objects.put(at, one);
        storage.records.put(at, Metadata.of(one));
      }
    }
    List<String> references = new ArrayList<>(List.of("a/ref"));
    for (int i = 0; i < referencesAfter; i++) {
      references.add(String.format("zzz/ref-%05d", i));
    }
    plant(storage, cas, references, List.of(), 0);
    return storage;
  }

  private static void assertTreeThreadEnded(PartedStorage storage) throws InterruptedException {
    assertTrue(storage.closed.contains("tree"), "the tree's listing was closed before the collection returned");
    Thread tree = storage.threads.get("tree");
    assertTrue(tree.getName().endsWith("-content-tree"), tree.getName());
    tree.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
    assertFalse(tree.isAlive(), "the tree's thread ended");
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith(Thread.currentThread().getName()) && t.getName().endsWith("-content-tree")) {
        fail("a content-tree thread is still running: " + t);
      }
    }
  }

  private static void await(CountDownLatch latch, String what) throws InterruptedException {
    if (!latch.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
      throw new AssertionError("waited " + WAIT_SECONDS + " s for " + what);
    }
  }

  /**
   * Waits, at most {@link #WAIT_SECONDS}, until {@code thread} waits without a timeout (parked,
   * as a thread awaiting another's result is); yields meanwhile.
   */
  private static void awaitWaiting(Thread thread) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (thread.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
      Thread.yield();
    }
  }

  /**
   * Collects for real on a store whose listing the hook breaks: the collection throws, deletes
   * nothing, and ended the tree's thread before it returned.
   */
  private ExternalResourceException collectFails(PartedStorage storage, ContentAddressedStore cas) throws InterruptedException {
    Set<String> before = keys(storage);
    ExternalResourceException e = assertThrows(ExternalResourceException.class,
        () -> ContentCollector.builder(cas).dryRun(false).spoolDirectory(spool).build().collect());
    assertEquals(before, keys(storage), "nothing deleted, garbage included");
    assertTreeThreadEnded(storage);
    return e;
  }

  @Test
  @DisplayName("the content tree's listing fails midway: the collection throws, deletes nothing, and stops listing the rest")
  void treeListingFails() throws Exception {
    PartedStorage storage = storeWith(300, 200);
    ContentAddressedStore cas = cas(storage, "cas");
    CountDownLatch treeStarted = new CountDownLatch(1);
    CountDownLatch restInTail = new CountDownLatch(1);
    storage.hook = (part, index, location) -> {
      if (part.equals("tree") && index == 0) {
        treeStarted.countDown();
      }
      if (part.equals("tree") && index == 100) {
        await(restInTail, "the rest's listing past the tree");
        throw new IOException("the tree's listing broke at " + location);
      }
      if (part.equals("tail") && index == 0) {
        // The tree fails while the rest is listed past it: the rest must then stop at its next location.
        await(treeStarted, "the tree's listing");
        restInTail.countDown();
        storage.threads.get("tree").join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
      }
    };
    ExternalResourceException e = collectFails(storage, cas);
    assertTrue(String.valueOf(e.getCause()).contains("the tree's listing broke"), e.toString());
    assertTrue(storage.pulled("tail") <= 2, "the rest stopped once the tree failed, but listed "
        + storage.pulled("tail") + " locations past the tree");
    assertTrue(storage.closed.contains("tail"), "the rest's listing was closed");

    storage.hook = (part, index, location) -> {};
    assertEquals(300, ContentCollector.builder(cas).dryRun(false).spoolDirectory(spool).build().collect()
        .reclaimedObjects(), "healed, it collects");
  }

  @Test
  @DisplayName("the rest's listing fails midway: the collection throws, deletes nothing, and the tree's thread stops and ends first")
  void restListingFails() throws Exception {
    PartedStorage storage = storeWith(20_000, 50);
    ContentAddressedStore cas = cas(storage, "cas");
    Thread collecting = Thread.currentThread();
    CountDownLatch restFailed = new CountDownLatch(1);
    storage.hook = (part, index, location) -> {
      if (part.equals("tail") && index == 5) {
        restFailed.countDown();
        throw new IOException("the rest's listing broke at " + location);
      }
      if (part.equals("tree") && index == 10) {
        await(restFailed, "the rest's failure");
        // Go on only once the collecting thread waits (for this thread, as it must): a collection
        // that returned without waiting would find this listing still open.
        awaitWaiting(collecting);
      }
    };
    ExternalResourceException e = collectFails(storage, cas);
    assertTrue(String.valueOf(e.getCause()).contains("the rest's listing broke"), e.toString());
    assertTrue(storage.pulled("tree") < 20_000, "the tree's listing stopped early, after " + storage.pulled("tree"));
  }

  @Test
  @DisplayName("the rest's first listing (up to the tree) fails: the same")
  void headListingFails() throws Exception {
    PartedStorage storage = storeWith(2_000, 5);
    ContentAddressedStore cas = cas(storage, "cas");
    storage.hook = (part, index, location) -> {
      if (part.equals("head") && index == 0) {
        throw new IOException("the head broke");
      }
    };
    assertTrue(String.valueOf(collectFails(storage, cas).getCause()).contains("the head broke"));
    ReferenceCheck check = ReferenceCheck.builder(cas).spoolDirectory(spool).build();
    assertThrows(ExternalResourceException.class, check::check, "a reference check fails the same way");
  }

  @Test
  @DisplayName("progress: told on the collecting thread only, never decreasing, every 10,000 objects while the tree is listed, and the total at the end")
  void progressOnTheCollectingThread() throws Exception {
    int treeObjects = 25_000;
    PartedStorage storage = storeWith(treeObjects, 20);
    ContentAddressedStore cas = cas(storage, "cas");
    long total = listedNow(storage) + 1; // and the marker
    String last = lastLocation(storage);
    CountDownLatch restDone = new CountDownLatch(1);
    CountDownLatch toldDuringTree = new CountDownLatch(1);
    storage.hook = (part, index, location) -> {
      if (part.equals("tail") && location.equals(last)) {
        restDone.countDown();
      }
      if (part.equals("tree") && index == 0) {
        await(restDone, "the rest's listing"); // so that the collecting thread then only waits for the tree
      }
      if (part.equals("tree") && index == 15_000) {
        // Waits (bounded) for a report past 10,000 while the tree is still being listed.
        toldDuringTree.await(WAIT_SECONDS, TimeUnit.SECONDS);
      }
    };
    List<ContentCollector.Progress> progress = Collections.synchronizedList(new ArrayList<>());
    Set<Thread> threads = ConcurrentHashMap.newKeySet();
    ContentCollector collector = ContentCollector.builder(cas).spoolDirectory(spool).listener(p -> {
      threads.add(Thread.currentThread());
      progress.add(p);
      if (p.phase() == ContentCollector.Phase.MARK && p.objectsListed() >= 10_000 && p.objectsListed() < total) {
        toldDuringTree.countDown();
      }
    }).build();
    CollectionReport report = collector.collect();

    assertEquals(Set.of(Thread.currentThread()), threads, "the listener is called on the collecting thread only");
    long previous = -1;
    for (ContentCollector.Progress p : progress) {
      assertTrue(p.objectsListed() >= previous, "objects listed never decrease: " + progress);
      previous = p.objectsListed();
    }
    ContentCollector.Progress done = progress.get(progress.size() - 1);
    assertEquals(ContentCollector.Phase.DONE, done.phase());
    assertEquals(total, done.objectsListed());
    assertEquals(total, report.objectsListed());
    assertTrue(progress.stream().anyMatch(p -> p.phase() == ContentCollector.Phase.MARK
            && p.objectsListed() >= 10_000 && p.objectsListed() < 20_000),
        "told while the content tree was listed, every 10,000 objects: " + progress);
  }

  private static String lastLocation(PartedStorage storage) {
    synchronized (storage) {
      return storage.objects.lastKey();
    }
  }
}
