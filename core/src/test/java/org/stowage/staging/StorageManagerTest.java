package org.stowage.staging;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.InvalidLocationException;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.TreeMapStorage;
import org.stowage.cas.ContentAddressedStore;

class StorageManagerTest {
  @TempDir Path scratch;
  private final TreeMapStorage storage = new TreeMapStorage();

  private StorageManager manager() {
    return new StorageManager(scratch, storage, "dag", "unit");
  }

  private Path write(String name, String content) throws IOException {
    Path p = scratch.resolve(name);
    Files.createDirectories(p.getParent());
    return Files.writeString(p, content);
  }

  @Test
  @DisplayName("labels must each be one valid location segment")
  void labels() {
    assertThrows(InvalidLocationException.class, () -> new StorageManager(scratch, storage, "a/b", "u"));
    assertThrows(InvalidLocationException.class, () -> new StorageManager(scratch, storage, "d", ".."));
    assertThrows(InvalidLocationException.class, () -> new StorageManager(scratch, storage, "", "u"));
    assertEquals("d/u", new StorageManager(scratch, storage, "d", "u").namespace());
  }

  @Test
  @DisplayName("register namespaces names, accepts subdirectories, and is harmless twice")
  void register() {
    StorageManager m = manager();
    assertEquals("dag/unit/out.txt", m.register("out.txt"));
    assertEquals("dag/unit/sub/dir/x.bin", m.register("sub/dir/x.bin"));
    assertEquals("dag/unit/out.txt", m.register("out.txt"));
    assertEquals(List.of("dag/unit/out.txt", "dag/unit/sub/dir/x.bin"), m.registered());
  }

  @Test
  @DisplayName("register refuses names that would leave the namespace (gufe lets .. escape)")
  void registerRefusesEscapes() {
    StorageManager m = manager();
    for (String bad : List.of("../x", "/abs/path", "a/../../b", "", "a//b", "./x")) {
      assertThrows(InvalidLocationException.class, () -> m.register(bad), bad);
    }
    assertEquals(List.of(), m.registered());
  }

  @Test
  @DisplayName("register of a Path inside scratch makes it relative; outside is refused (gufe yields dag/unit//abs)")
  void registerPaths() {
    StorageManager m = manager();
    assertEquals("dag/unit/a/b.txt", m.register(scratch.resolve("a/b.txt")));
    assertEquals("dag/unit/c.txt", m.register(Path.of("c.txt")));
    InvalidLocationException e =
        assertThrows(InvalidLocationException.class, () -> m.register(scratch.getParent().resolve("elsewhere.txt")));
    assertEquals("L4", e.rule());
    assertThrows(InvalidLocationException.class, () -> m.register(scratch.resolve("../x")));
    assertThrows(InvalidLocationException.class, () -> m.register(scratch));
  }

  @Test
  @DisplayName("transfer stores every registered file and reports location, MD5, size and upload")
  void transfer() throws IOException {
    StorageManager m = manager();
    for (int i = 0; i < 20; i++) {
      write("f" + i + ".txt", "content " + i);
      m.register("f" + i + ".txt");
    }
    TransferReport report = m.transfer();
    assertEquals(20, report.files().size());
    for (TransferReport.Entry e : report.files()) {
      assertTrue(e.uploaded());
      assertEquals(Metadata.of(Files.readAllBytes(e.source())), e.metadata());
      assertArrayEquals(Files.readAllBytes(e.source()), storage.loadBytes(e.location()));
    }
    assertEquals(m.registered(), report.files().stream().map(TransferReport.Entry::location).collect(Collectors.toList()));
  }

  @Test
  @DisplayName("transfer checks every file first: with any missing it stores nothing and names them all")
  void missingFilesStoreNothing() throws IOException {
    StorageManager m = manager();
    write("present.txt", "here");
    m.register("present.txt");
    m.register("gone-1.txt");
    m.register("sub/gone-2.txt");
    MissingOutputsException e = assertThrows(MissingOutputsException.class, m::transfer);
    assertEquals(List.of("dag/unit/gone-1.txt", "dag/unit/sub/gone-2.txt"), e.locations());
    assertTrue(e.getMessage().contains("gone-1.txt") && e.getMessage().contains("gone-2.txt"), e.getMessage());
    assertTrue(storage.objects.isEmpty(), "nothing stored");
  }

  @Test
  @DisplayName("from 64 files the check of scratch runs on the transfer's threads: still every missing file named, nothing stored")
  void manyFilesScannedInParallel() throws IOException {
    StorageManager m = StorageManager.builder(scratch, storage, "dag", "unit").parallelism(3).build();
    List<String> missing = new java.util.ArrayList<>();
    int files = 3 * StorageManager.PARALLEL_SCAN_THRESHOLD + 5;
    for (int i = 0; i < files; i++) {
      String name = String.format("d%d/f-%03d.txt", i % 4, i);
      String location = m.register(name);
      if (i % 37 == 5) {
        missing.add(location); // never written
      } else if (i % 41 == 7) {
        Files.createDirectories(scratch.resolve(name)); // a directory is not an output file
        missing.add(location);
      } else {
        write(name, "content " + i);
      }
    }
    MissingOutputsException e = assertThrows(MissingOutputsException.class, m::transfer);
    missing.sort(null); // locations() are sorted
    assertEquals(missing, e.locations());
    for (String location : missing) {
      assertEquals(scratch.resolve(location.substring("dag/unit/".length())), e.missing().get(location));
    }
    assertEquals(11, e.locations().size());
    assertTrue(storage.objects.isEmpty(), "nothing stored");

    for (String location : missing) {
      Path p = scratch.resolve(location.substring("dag/unit/".length()));
      if (Files.isDirectory(p)) {
        Files.delete(p);
      }
      Files.writeString(p, "late " + location);
    }
    TransferReport report = m.transfer();
    assertEquals(files, report.files().size());
    assertEquals(m.registered(), report.files().stream().map(TransferReport.Entry::location).collect(Collectors.toList()));
    for (TransferReport.Entry entry : report.files()) {
      assertArrayEquals(Files.readAllBytes(entry.source()), storage.loadBytes(entry.location()), entry.location());
    }
  }

  @Test
  @DisplayName("the default parallelism is one thread per processor, at least 2 and at most 8; a builder starts from it")
  void defaultParallelism() {
    int processors = Runtime.getRuntime().availableProcessors();
    int expected = processors <= 2 ? 2 : Math.min(processors, 8);
    assertEquals(expected, StorageManager.DEFAULT_PARALLELISM);
    assertEquals(expected, StorageManager.builder(scratch, storage, "dag", "unit").parallelism());
    assertEquals(5, StorageManager.builder(scratch, storage, "dag", "unit").parallelism(5).parallelism());
    assertThrows(IllegalArgumentException.class,
        () -> StorageManager.builder(scratch, storage, "dag", "unit").parallelism(0));
  }

  @Test
  @DisplayName("a resumed transfer skips what is already stored with the same MD5, and stores what changed")
  void resumable() throws IOException {
    write("a.txt", "A");
    write("b.txt", "B");
    // An earlier, crashed transfer stored a.txt only.
    storage.storeBytes("dag/unit/a.txt", "A".getBytes(UTF_8));
    StorageManager m = manager();
    m.register("a.txt");
    m.register("b.txt");
    TransferReport first = m.transfer();
    assertFalse(first.files().get(0).uploaded(), "a.txt was already there");
    assertTrue(first.files().get(1).uploaded());
    long writes = storage.writeCalls();
    TransferReport second = m.transfer();
    assertTrue(second.files().stream().noneMatch(TransferReport.Entry::uploaded));
    assertEquals(writes, storage.writeCalls(), "a repeated transfer writes nothing");
    write("b.txt", "B2");
    TransferReport third = m.transfer();
    assertTrue(third.files().get(1).uploaded(), "a changed file is stored again");
    assertArrayEquals("B2".getBytes(UTF_8), m.load("dag/unit/b.txt"));
  }

  @Test
  @DisplayName("transferFile stores one file now, as a checkpoint")
  void checkpoint() throws IOException {
    StorageManager m = manager();
    write("ckpt.bin", "step 1");
    TransferReport.Entry e = m.transferFile("ckpt.bin");
    assertEquals("dag/unit/ckpt.bin", e.location());
    assertTrue(storage.exists("dag/unit/ckpt.bin"));
    assertEquals(List.of("dag/unit/ckpt.bin"), m.registered());
  }

  @Test
  @DisplayName("load verifies against the MD5 recorded at transfer: a corrupted object is refused")
  void loadRefusesCorruption() throws IOException {
    StorageManager m = manager();
    write("r.txt", "result");
    String handle = m.register("r.txt");
    m.transfer();
    assertArrayEquals("result".getBytes(UTF_8), m.load(handle));
    storage.objects.get(handle)[0] ^= 1;
    assertThrows(ChangedExternalResourceException.class, () -> m.load(handle));
    // Another manager, that did not transfer it, verifies against the store's metadata.
    StorageManager other = new StorageManager(scratch, storage, "dag", "later");
    assertThrows(ChangedExternalResourceException.class, () -> other.load(handle));
    assertThrows(MissingExternalResourceException.class, () -> other.load("dag/unit/none"));
  }

  @Test
  @DisplayName("open streams large objects verified, without reading them whole first")
  void openLarge() throws IOException {
    StorageManager m = manager();
    byte[] big = new byte[2_000_000];
    new java.util.Random(1).nextBytes(big);
    Files.write(scratch.resolve("big.bin"), big);
    String handle = m.register("big.bin");
    m.transfer();
    StorageManager reader = new StorageManager(scratch, storage, "dag", "reader");
    try (InputStream in = reader.open(handle)) {
      assertArrayEquals(big, in.readAllBytes());
    }
    storage.objects.get(handle)[1_999_999] ^= 1;
    try (InputStream in = reader.open(handle)) {
      assertThrows(ChangedExternalResourceException.class, in::readAllBytes);
    }
  }

  @Test
  @DisplayName("closing transfers; the unit's own exception wins and a transfer failure is suppressed (gufe replaces it)")
  void unitExceptionWins() {
    IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> {
      try (StorageManager m = manager()) {
        m.register("never-written.txt");
        throw new IllegalStateException("the unit failed");
      }
    });
    assertEquals("the unit failed", thrown.getMessage());
    assertEquals(1, thrown.getSuppressed().length);
    assertInstanceOf(MissingOutputsException.class, thrown.getSuppressed()[0]);
  }

  @Test
  @DisplayName("lastTransfer keeps the report of the transfer run at close")
  void lastTransfer() throws IOException {
    StorageManager m = manager();
    assertTrue(m.lastTransfer().isEmpty());
    write("z", "z");
    m.register("z");
    m.close();
    assertEquals("dag/unit/z", m.lastTransfer().orElseThrow().files().get(0).location());
  }

  @Test
  @DisplayName("closing without a unit failure throws the transfer failure itself")
  void transferFailureAtClose() {
    StorageManager m = manager();
    m.register("never-written.txt");
    assertThrows(MissingOutputsException.class, m::close);
  }

  @Test
  @DisplayName("DELETE_AFTER_TRANSFER removes scratch after a successful transfer and keeps it after a failed one")
  void scratchPolicy(@TempDir Path base) throws IOException {
    Path ok = Files.createDirectories(base.resolve("ok"));
    Files.writeString(ok.resolve("x"), "x");
    try (StorageManager m = StorageManager.builder(ok, storage, "d", "u").scratchPolicy(ScratchPolicy.DELETE_AFTER_TRANSFER).build()) {
      m.register("x");
    }
    assertFalse(Files.exists(ok));
    Path bad = Files.createDirectories(base.resolve("bad"));
    Files.writeString(bad.resolve("y"), "y");
    StorageManager m = StorageManager.builder(bad, storage, "d", "u2").scratchPolicy(ScratchPolicy.DELETE_AFTER_TRANSFER).build();
    m.register("y");
    m.register("missing");
    assertThrows(MissingOutputsException.class, m::close);
    assertTrue(Files.exists(bad.resolve("y")), "scratch is kept when the transfer failed");
  }

  /** A store that counts metadata look-ups and listings, and whose listing can be made to fail. */
  private static final class CountingStorage extends TreeMapStorage {
    final java.util.concurrent.atomic.AtomicInteger lookups = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger listings = new java.util.concurrent.atomic.AtomicInteger();
    volatile boolean listingFails;

    @Override
    protected synchronized Metadata objectMetadata(org.stowage.Location location) throws IOException {
      lookups.incrementAndGet();
      return super.objectMetadata(location);
    }

    @Override
    protected synchronized Stream<String> listObjects(String prefix) throws IOException {
      listings.incrementAndGet();
      if (listingFails) {
        throw new IOException("listing unavailable");
      }
      return super.listObjects(prefix);
    }
  }

  @Test
  @DisplayName("a transfer of many files lists the namespace once and looks up only the files listed; the resume rule holds")
  void manyFilesOneListing() throws IOException {
    CountingStorage counting = new CountingStorage();
    int files = StorageManager.LISTING_THRESHOLD + 4;
    for (int i = 0; i < files; i++) {
      write("f" + i, "content " + i);
    }
    counting.storeBytes("dag/unit/f0", "content 0".getBytes(UTF_8)); // stored already, same bytes
    counting.storeBytes("dag/unit/f1", "older".getBytes(UTF_8)); // stored already, other bytes
    counting.storeBytes("dag/other/f2", "content 2".getBytes(UTF_8)); // another unit's: not listed
    StorageManager m = new StorageManager(scratch, counting, "dag", "unit");
    for (int i = 0; i < files; i++) {
      m.register("f" + i);
    }
    counting.lookups.set(0);
    TransferReport report = m.transfer();
    assertEquals(1, counting.listings.get(), "one listing");
    assertEquals(2, counting.lookups.get(), "looked up: the two files the listing holds, no other");
    assertFalse(report.files().get(0).uploaded(), "f0 was stored with the same MD5: not stored again");
    assertTrue(report.files().get(1).uploaded(), "f1 held other bytes: stored");
    assertEquals(files - 1, report.uploadedCount());
    assertArrayEquals("content 1".getBytes(UTF_8), m.load("dag/unit/f1"));

    long writes = counting.writeCalls();
    counting.lookups.set(0);
    TransferReport again = m.transfer();
    assertEquals(0, again.uploadedCount(), "a repeated transfer stores nothing");
    assertEquals(writes, counting.writeCalls());
    assertEquals(files, counting.lookups.get(), "every file listed, so every file looked up");
  }

  @Test
  @DisplayName("a transfer into a namespace holding far more than its files stops listing it and looks each file up")
  void largeNamespaceLookUpEach() throws IOException {
    CountingStorage counting = new CountingStorage();
    int files = StorageManager.LISTING_THRESHOLD;
    for (int i = 0; i < files; i++) {
      write("h" + i, "h" + i);
    }
    for (int i = 0; i < StorageManager.LISTING_LIMIT_FACTOR * files + 1; i++) {
      counting.storeBytes("dag/unit/earlier-" + i, new byte[] {1}); // another attempt's outputs
    }
    counting.storeBytes("dag/unit/h3", "h3".getBytes(UTF_8));
    StorageManager m = new StorageManager(scratch, counting, "dag", "unit");
    for (int i = 0; i < files; i++) {
      m.register("h" + i);
    }
    counting.lookups.set(0);
    TransferReport report = m.transfer();
    assertEquals(1, counting.listings.get(), "one listing, given up");
    assertEquals(files, counting.lookups.get(), "each file looked up");
    assertFalse(report.files().get(3).uploaded(), "h3 was there with the same MD5");
    assertEquals(files - 1, report.uploadedCount());
  }

  @Test
  @DisplayName("a transfer whose listing fails looks each file up instead, and still resumes")
  void listingFailsLookUpEach() throws IOException {
    CountingStorage counting = new CountingStorage();
    int files = StorageManager.LISTING_THRESHOLD;
    for (int i = 0; i < files; i++) {
      write("g" + i, "g" + i);
    }
    counting.storeBytes("dag/unit/g3", "g3".getBytes(UTF_8));
    counting.listingFails = true;
    StorageManager m = new StorageManager(scratch, counting, "dag", "unit");
    for (int i = 0; i < files; i++) {
      m.register("g" + i);
    }
    counting.lookups.set(0);
    TransferReport report = m.transfer();
    assertEquals(files, counting.lookups.get(), "each file looked up");
    assertFalse(report.files().get(3).uploaded(), "g3 was there with the same MD5");
    assertEquals(files - 1, report.uploadedCount());
  }

  @Test
  @DisplayName("a failing store fails the transfer after trying every file, and the others are stored")
  void partialFailure() throws IOException {
    write("a.txt", "a");
    write("b.txt", "b");
    TreeMapStorage failing = new TreeMapStorage() {
      @Override
      protected synchronized boolean writeObject(org.stowage.Location location, org.stowage.ObjectSource source, boolean replace) throws IOException {
        if (location.value().endsWith("b.txt")) {
          throw new IOException("disk full");
        }
        return super.writeObject(location, source, replace);
      }
    };
    StorageManager f = new StorageManager(scratch, failing, "dag", "unit");
    f.register("a.txt");
    f.register("b.txt");
    ExternalResourceException e = assertThrows(ExternalResourceException.class, f::transfer);
    assertTrue(e.getMessage().contains("b.txt") && e.getMessage().contains("disk full"), e.getMessage());
    assertTrue(failing.exists("dag/unit/a.txt"), "the other file was stored");
  }

  @Test
  @DisplayName("files go in parallel, bounded by the parallelism setting")
  void parallelAndBounded() throws Exception {
    int parallelism = 3;
    java.util.concurrent.CyclicBarrier meet = new java.util.concurrent.CyclicBarrier(parallelism);
    java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger peak = new java.util.concurrent.atomic.AtomicInteger();
    TreeMapStorage slow = new TreeMapStorage() {
      @Override
      protected boolean writeObject(org.stowage.Location location, org.stowage.ObjectSource source, boolean replace) throws IOException {
        int now = running.incrementAndGet();
        peak.accumulateAndGet(now, Math::max);
        try {
          // Each round of writers must meet here: a sequential transfer would time out.
          meet.await(30, java.util.concurrent.TimeUnit.SECONDS);
          synchronized (this) {
            return super.writeObject(location, source, replace);
          }
        } catch (Exception e) {
          throw new IOException("writers did not run in parallel", e);
        } finally {
          running.decrementAndGet();
        }
      }
    };
    StorageManager m = StorageManager.builder(scratch, slow, "dag", "unit").parallelism(parallelism).build();
    for (int i = 0; i < 9; i++) {
      write("p" + i, "x" + i);
      m.register("p" + i);
    }
    assertEquals(9, m.transfer().uploadedCount());
    assertEquals(parallelism, peak.get(), "at most `parallelism` files at once, and that many");
  }

  @Test
  @DisplayName("content-addressed mode stores identical outputs of two units once, and loads resolve references")
  void contentAddressedDedup(@TempDir Path scratch2) throws IOException {
    byte[] same = new byte[100_000];
    new java.util.Random(5).nextBytes(same);
    Files.write(scratch.resolve("out.bin"), same);
    Files.write(scratch2.resolve("copy.bin"), same);
    try (ContentAddressedStore cas = new ContentAddressedStore(storage)) {
      StorageManager unit1 = StorageManager.builder(scratch, storage, "run", "u1").contentAddressed(cas).build();
      StorageManager unit2 = StorageManager.builder(scratch2, storage, "run", "u2").contentAddressed(cas).build();
      String h1 = unit1.register("out.bin");
      String h2 = unit2.register("copy.bin");
      TransferReport r1 = unit1.transfer();
      TransferReport r2 = unit2.transfer();
      assertTrue(r1.files().get(0).uploaded());
      assertFalse(r2.files().get(0).uploaded(), "identical content is stored once");
      assertEquals(r1.files().get(0).digest(), r2.files().get(0).digest());
      try (Stream<String> s = storage.iterContents("cas/")) {
        assertEquals(1, s.count(), "one content object");
      }
      assertTrue(storage.getMetadata(h1).size() < 1024, "the handle holds a small reference");
      StorageManager reader = new StorageManager(scratch, storage, "run", "reader");
      assertArrayEquals(same, reader.load(h1));
      assertArrayEquals(same, reader.load(h2));
      assertArrayEquals(same, unit1.load(h1));
      storage.objects.get(cas.location(r1.files().get(0).digest()))[10] ^= 1;
      assertThrows(ChangedExternalResourceException.class, () -> reader.load(h2));
      assertThrows(ChangedExternalResourceException.class, () -> unit1.load(h1));
    }
  }

  @Test
  @DisplayName("a small plain object that is not a reference loads as itself")
  void smallPlainObject() {
    storage.storeBytes("x/y", "stowage-content-reference 2\nnot really".getBytes(UTF_8));
    assertArrayEquals("stowage-content-reference 2\nnot really".getBytes(UTF_8), manager().load("x/y"));
    assertNull(ContentReference.parse("stowage-content-reference 1\ndigest x\n".getBytes(UTF_8)));
  }
}
