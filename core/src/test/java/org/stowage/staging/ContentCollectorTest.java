package org.stowage.staging;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.TreeMapStorage;
import org.stowage.cas.ContentAddressedStore;
import org.stowage.cas.Digest;

class ContentCollectorTest {
  @TempDir Path dir;
  private final TreeMapStorage storage = new TreeMapStorage();
  private final ContentAddressedStore cas = new ContentAddressedStore(storage);

  /** Transfers {@code files} (name to content) under {@code dag/unit}; returns the handles. */
  private List<String> transfer(String dag, String unit, String... namesAndContents) throws IOException {
    return transfer(dir, storage, cas, dag, unit, namesAndContents);
  }

  /**
   * Transfers {@code files} (name to content) from a scratch directory under {@code dir} into
   * {@code storage} under {@code dag/unit}, content-addressed in {@code cas}; returns the handles.
   */
  static List<String> transfer(Path dir, org.stowage.ExternalStorage storage, ContentAddressedStore cas,
      String dag, String unit, String... namesAndContents) throws IOException {
    Path scratch = Files.createDirectories(dir.resolve("scratch-" + dag + "-" + unit));
    StorageManager m = StorageManager.builder(scratch, storage, dag, unit).contentAddressed(cas).build();
    List<String> handles = new ArrayList<>();
    for (int i = 0; i < namesAndContents.length; i += 2) {
      Files.writeString(scratch.resolve(namesAndContents[i]), namesAndContents[i + 1]);
      handles.add(m.register(namesAndContents[i]));
    }
    m.transfer();
    return handles;
  }

  private long contentCount() {
    try (Stream<String> s = storage.iterContents("cas/")) {
      return s.count();
    }
  }

  @Test
  @DisplayName("a collection deletes content no reference names, keeps the rest, and reports objects and bytes")
  void collectsGarbage() throws IOException {
    List<String> kept = transfer("run-1", "a", "x.txt", "shared", "y.txt", "only-a");
    transfer("run-2", "b", "x.txt", "shared", "z.txt", "only-b-12");
    Namespaces.deleteRun(storage, "run-2");
    assertEquals(3, contentCount());

    CollectionReport dry = ContentCollector.builder(cas).build().collect();
    assertTrue(dry.dryRun());
    assertEquals(1, dry.reclaimableObjects());
    assertEquals("only-b-12".length(), dry.reclaimableBytes());
    assertEquals(0, dry.reclaimedObjects());
    assertEquals(3, contentCount(), "a dry run deletes nothing");

    List<ContentCollector.Progress> progress = new ArrayList<>();
    CollectionReport report = ContentCollector.builder(cas).dryRun(false).listener(progress::add).build().collect();
    assertEquals(3, report.contentObjects());
    assertEquals(2, report.references());
    assertEquals(1, report.reclaimedObjects());
    assertEquals("only-b-12".length(), report.reclaimedBytes());
    assertEquals(0, report.danglingCount());
    assertEquals(2, contentCount());
    assertEquals(ContentCollector.Phase.DONE, progress.get(progress.size() - 1).phase());
    assertTrue(progress.stream().anyMatch(p -> p.phase() == ContentCollector.Phase.MARK));
    StorageManager reader = new StorageManager(dir, storage, "check", "reader");
    assertArrayEquals("shared".getBytes(UTF_8), reader.load(kept.get(0)));
    assertArrayEquals("only-a".getBytes(UTF_8), reader.load(kept.get(1)));
    try (Stream<String> s = storage.iterContents("cas/collections/")) {
      assertEquals(0, s.count(), "the marker and late roots are gone after the collection");
    }
    assertEquals(0, ContentCollector.builder(cas).dryRun(false).build().collect().reclaimedObjects(),
        "a second collection finds nothing more");
  }

  @Test
  @DisplayName("roots given by the caller and references in another store keep their content")
  void rootsAndOtherStores() throws IOException {
    Digest root = cas.put("kept by a root".getBytes(UTF_8));
    Digest garbage = cas.put("garbage".getBytes(UTF_8));
    TreeMapStorage other = new TreeMapStorage();
    Path scratch = Files.createDirectories(dir.resolve("other"));
    Files.writeString(scratch.resolve("f"), "referenced from another store");
    StorageManager m = StorageManager.builder(scratch, other, "run", "u").contentAddressed(cas).build();
    String handle = m.register("f");
    m.transfer();
    CollectionReport report = ContentCollector.builder(cas).dryRun(false).root(root).referencesIn(other).build().collect();
    assertEquals(1, report.reclaimedObjects());
    assertTrue(cas.contains(root));
    assertFalse(cas.contains(garbage));
    assertArrayEquals("referenced from another store".getBytes(UTF_8), m.load(handle));
  }

  @Test
  @DisplayName("a reference whose content is gone is reported as dangling, and left as it is")
  void reportsDangling() throws IOException {
    List<String> handles = transfer("run", "u", "f", "soon gone");
    Digest d = Digest.sha256("soon gone".getBytes(UTF_8));
    cas.delete(d);
    CollectionReport report = ContentCollector.builder(cas).dryRun(false).build().collect();
    assertEquals(1, report.danglingCount());
    assertEquals(List.of(new CollectionReport.DanglingReference(handles.get(0), d)), report.dangling());
    assertTrue(storage.exists(handles.get(0)), "never a silent fix");
  }

  @Test
  @DisplayName("dedup hit during marking: the writer's late root keeps content the collection's listing missed")
  void lateRootDuringMarking() throws IOException {
    Digest d = cas.put("shared content".getBytes(UTF_8)); // present, unreferenced: garbage at the listing
    AtomicReference<List<String>> handles = new AtomicReference<>();
    AtomicInteger restored = new AtomicInteger(-1);
    ContentCollector collector = ContentCollector.builder(cas).dryRun(false).listener(p -> {
      if (p.phase() == ContentCollector.Phase.MARK && handles.get() == null) {
        // After the listing, before the seal: a unit finds the content present and commits a reference.
        try {
          Path scratch = Files.createDirectories(dir.resolve("late"));
          Files.writeString(scratch.resolve("f"), "shared content");
          StorageManager m = StorageManager.builder(scratch, storage, "run", "late").contentAddressed(cas).build();
          handles.set(List.of(m.register("f")));
          TransferReport r = m.transfer();
          assertFalse(r.files().get(0).uploaded(), "a dedup hit");
          restored.set(0);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
    }).build();
    CollectionReport report = collector.collect();
    assertEquals(0, restored.get());
    assertEquals(0, report.reclaimedObjects(), report.toString());
    assertTrue(cas.contains(d));
    assertArrayEquals("shared content".getBytes(UTF_8), new StorageManager(dir, storage, "c", "r").load(handles.get().get(0)));
  }

  @Test
  @DisplayName("dedup hit before the sweep, reference checked during it: the writer waits for the end and stores the content again")
  void writerWaitsForSweepThenRestores() throws Exception {
    Digest d = cas.put("contested".getBytes(UTF_8));
    Path scratch = Files.createDirectories(dir.resolve("contested"));
    Path file = Files.writeString(scratch.resolve("f"), "contested");
    String reference = "run/slow/f";
    AtomicReference<CompletableFuture<Integer>> fence = new AtomicReference<>();
    ContentCollector collector = ContentCollector.builder(cas).dryRun(false).listener(p -> {
      if (p.phase() == ContentCollector.Phase.MARK && fence.get() == null) {
        // The writer found the content present (a dedup hit) and commits its reference after the listing,
        // but is slow: it runs its fence only once the collection is sweeping.
        ContentAddressedStore.Insertion hit = cas.insert(file);
        assertFalse(hit.stored());
        storage.storeBytes(reference, new ContentReference(d, hit.metadata(), cas.location(d)).toBytes());
        fence.set(new CompletableFuture<>());
      } else if (p.phase() == ContentCollector.Phase.SWEEP && !fence.get().isDone()) {
        assertFalse(cas.contains(d), "the collection deleted the content its listing saw unreferenced");
        TransferReport.Entry entry = new TransferReport.Entry(reference, file, null, d, false, cas.location(d));
        CompletableFuture<Integer> f = fence.get();
        Thread writer = new Thread(() -> f.complete(CollectionFence.protect(cas, List.of(entry))));
        writer.start();
      }
    }).build();
    CollectionReport report = collector.collect();
    assertEquals(1, report.reclaimedObjects());
    assertEquals(1, fence.get().get(30, TimeUnit.SECONDS), "the writer stored the content again");
    assertTrue(cas.contains(d));
    assertArrayEquals("contested".getBytes(UTF_8), new StorageManager(dir, storage, "c", "r").load(reference));
  }

  @Test
  @DisplayName("a marker abandoned by a killed collection is ignored by writers after three leases and cleared by the next collection")
  void abandonedMarker() throws IOException {
    String marker = "cas/collections/20260101T000000Z-dead";
    storage.storeBytes(marker, new CollectionMarker(CollectionMarker.State.SWEEPING, 1_000, 60_000).toBytes());
    storage.storeBytes(marker + "/roots/x", ("digest sha256:" + "0".repeat(64) + ":0\n").getBytes(UTF_8));
    List<String> handles = transfer("run", "u", "f", "written while a dead marker lies there");
    assertEquals(1, handles.size());
    ContentCollector.builder(cas).dryRun(false).build().collect();
    assertFalse(storage.exists(marker));
    assertFalse(storage.exists(marker + "/roots/x"));
  }

  @Test
  @DisplayName("hundreds of objects over many worker batches, references listed before and after their content: exact garbage and dangling counts")
  void manyBatchesInAnyListingOrder() {
    int n = 300;
    java.util.Set<String> danglingExpected = new java.util.HashSet<>();
    java.util.Map<String, Digest> kept = new java.util.HashMap<>();
    for (int i = 0; i < n; i++) {
      Digest d = cas.put(("object " + i).getBytes(UTF_8));
      if (i % 10 == 3) {
        continue; // garbage: nothing refers to it
      }
      // "a-run/" sorts before "cas/", "z-run/" after: the dangling check sees both orders
      String at = (i % 2 == 0 ? "a-run/" : "z-run/") + "ref-" + i;
      storage.storeBytes(at, reference(d).toBytes());
      kept.put(at, d);
    }
    for (int k = 0; k < 5; k++) {
      Digest missing = Digest.sha256(("never stored " + k).getBytes(UTF_8));
      String at = (k % 2 == 0 ? "a-run/" : "z-run/") + "missing-" + k;
      storage.storeBytes(at, reference(missing).toBytes());
      danglingExpected.add(at);
    }
    storage.storeBytes("a-run/large", new byte[ContentReference.MAX_BYTES + 1]);
    storage.storeBytes("z-run/notes.txt", "not a reference".getBytes(UTF_8));

    CollectionReport report = ContentCollector.builder(cas).dryRun(false).parallelism(3)
        .falsePositiveRate(1e-9).build().collect();
    assertEquals(n, report.contentObjects());
    assertEquals(kept.size() + 5, report.references());
    assertEquals(n / 10, report.reclaimedObjects());
    assertEquals(5, report.danglingCount());
    assertEquals(danglingExpected, report.dangling().stream()
        .map(CollectionReport.DanglingReference::location).collect(java.util.stream.Collectors.toSet()));
    assertEquals(n - n / 10, contentCount());
    kept.values().forEach(d -> assertTrue(cas.contains(d), d.toString()));
  }

  @Test
  @DisplayName("a reference damaged behind the store's back (digest hex, magic line) or malformed stops the sweep: the dry run names it, a real run deletes nothing and throws")
  void damagedOrMalformedReferencesStopTheSweep() throws IOException {
    List<String> digestHit = transfer("run-1", "a", "x.txt", "named by a damaged digest");
    List<String> magicHit = transfer("run-1", "b", "y.txt", "named by a damaged magic line");
    transfer("run-2", "c", "z.txt", "garbage once run-2 is gone");
    Namespaces.deleteRun(storage, "run-2");
    // A hex digit turned into another: the reference still parses, to another digest.
    flipDigestHex(storage.objects, digestHit.get(0));
    flip(storage.objects, magicHit.get(0), "content-reference".length());
    storage.storeBytes("run-1/v2", "stowage-content-reference 2\nsomething newer\n".getBytes(UTF_8));
    storage.storeBytes("run-1/notes.txt", "ordinary content, not a root".getBytes(UTF_8));
    long before = contentCount();

    CollectionReport dry = ContentCollector.builder(cas).build().collect();
    assertTrue(dry.refused(), dry.toString());
    assertEquals(3, dry.unreadableCount());
    assertEquals(List.of(digestHit.get(0), magicHit.get(0), "run-1/v2"),
        dry.unreadable().stream().map(CollectionReport.UnreadableReference::location).toList());
    assertEquals(List.of(CollectionReport.UnreadableReference.Reason.DAMAGED,
            CollectionReport.UnreadableReference.Reason.DAMAGED, CollectionReport.UnreadableReference.Reason.MALFORMED),
        dry.unreadable().stream().map(CollectionReport.UnreadableReference::reason).toList());
    assertEquals(0, dry.reclaimableObjects(), "no sweep, not even counted");

    CollectionRefusedException refused = org.junit.jupiter.api.Assertions.assertThrows(CollectionRefusedException.class,
        () -> ContentCollector.builder(cas).dryRun(false).build().collect());
    assertTrue(refused.getMessage().contains(digestHit.get(0)) && refused.getMessage().contains(magicHit.get(0))
        && refused.getMessage().contains("ReferenceCheck"), refused.getMessage());
    assertEquals(3, refused.report().unreadableCount());
    assertEquals(0, refused.report().reclaimedObjects());
    assertEquals(before, contentCount(), "nothing deleted on the strength of a damaged root");
    try (Stream<String> s = storage.iterContents("cas/collections/")) {
      assertEquals(0, s.count(), "the refused collection removed its marker");
    }

    // Once the user deals with them (here: deletes them), the collection sweeps again.
    storage.delete(digestHit.get(0));
    storage.delete(magicHit.get(0));
    storage.delete("run-1/v2");
    CollectionReport report = ContentCollector.builder(cas).dryRun(false).build().collect();
    assertFalse(report.refused());
    assertEquals(3, report.reclaimedObjects(), report.toString());
  }

  @Test
  @DisplayName("an object over 1,024 bytes that begins with the reference magic is malformed; a large ordinary object is content")
  void largeObjectClaimingToBeAReference() {
    byte[] large = new byte[ContentReference.MAX_BYTES + 100];
    byte[] magic = "stowage-content-reference 1\n".getBytes(UTF_8);
    System.arraycopy(magic, 0, large, 0, magic.length);
    storage.storeBytes("run/large-reference", large);
    storage.storeBytes("run/large-content", new byte[ContentReference.MAX_BYTES + 100]);
    CollectionReport dry = ContentCollector.builder(cas).build().collect();
    assertEquals(List.of(new CollectionReport.UnreadableReference("run/large-reference",
        CollectionReport.UnreadableReference.Reason.MALFORMED, dry.unreadable().get(0).detail())), dry.unreadable());
  }

  @Test
  @DisplayName("a late root damaged or malformed stops the sweep like a damaged reference")
  void damagedLateRootStopsTheSweep() {
    Digest d = cas.put("named by a late root only".getBytes(UTF_8));
    AtomicReference<String> marker = new AtomicReference<>();
    ContentCollector collector = ContentCollector.builder(cas).listener(p -> {
      if (p.phase() == ContentCollector.Phase.MARK && marker.get() == null) {
        try (Stream<String> markers = storage.iterContents("cas/collections/")) {
          marker.set(markers.findFirst().orElseThrow());
        }
        storage.storeBytes(marker.get() + "/roots/damaged", ("digest " + d + "\n").getBytes(UTF_8));
        flipDigestHex(storage.objects, marker.get() + "/roots/damaged");
        storage.storeBytes(marker.get() + "/roots/malformed", ("digest " + d + "\nnot a digest line\n").getBytes(UTF_8));
      }
    }).build();
    CollectionReport report = collector.collect();
    assertTrue(report.refused(), report.toString());
    assertEquals(List.of(CollectionReport.UnreadableReference.Reason.DAMAGED, CollectionReport.UnreadableReference.Reason.MALFORMED),
        report.unreadable().stream().map(CollectionReport.UnreadableReference::reason).toList(), report.toString());
    assertEquals(0, report.reclaimableObjects());
    assertTrue(cas.contains(d));
  }

  /** Flips the lowest bit of the byte at {@code offset} of {@code location}, keeping its record. */
  static void flip(java.util.Map<String, byte[]> objects, String location, int offset) {
    byte[] bytes = objects.get(location).clone();
    bytes[offset] ^= 1;
    objects.put(location, bytes);
  }

  /** Turns a hex digit of the reference's digest into another hex digit, keeping its record. */
  static void flipDigestHex(java.util.Map<String, byte[]> objects, String location) {
    flip(objects, location, digestHexOffset(objects.get(location)));
  }

  /** The offset in a reference's bytes of a digest hex digit whose lowest bit flipped is another hex digit. */
  static int digestHexOffset(byte[] reference) {
    String text = new String(reference, UTF_8);
    for (int i = text.indexOf("sha256:") + "sha256:".length(); ; i++) {
      if ("0123456789bcde".indexOf(text.charAt(i)) >= 0) {
        return i;
      }
    }
  }

  private ContentReference reference(Digest d) {
    return new ContentReference(d, new org.stowage.Metadata("0".repeat(32), d.size()), cas.location(d));
  }
}
