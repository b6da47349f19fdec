package org.stowage.filesystem;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ListedObject;
import org.stowage.Metadata;
import org.stowage.StoredObject;
import org.stowage.cas.ContentAddressedStore;
import org.stowage.cas.Digest;
import org.stowage.staging.CollectionRefusedException;
import org.stowage.staging.CollectionReport;
import org.stowage.staging.ContentCollector;
import org.stowage.staging.StorageManager;

/**
 * FileStorage's listing with content (rule I8; docs/filesystem.md, "Small objects read with the
 * listing"): which objects come with their content, that damage and changes in place never come
 * with it, that links are not read through, that a store whose records are files reads nothing,
 * what a file changed between the listing's look at its directory and its read gives, how many
 * descriptors a listing holds, and readers racing writers. The generic I8 checks run in {@link
 * FileStorageContractTest}; these are FileStorage's own.
 */
class FileStorageListedObjectsTest {
  /** Listings racing the writers, and stores per writer. */
  private static final int ROUNDS = 1500;
  /** Descriptors that other threads of the test JVM may open meanwhile, beside the listing's. */
  private static final int SLACK = 2;

  @TempDir Path dir;
  FileStorage storage;
  ExecutorService pool;

  @AfterEach
  void close() throws InterruptedException {
    Racing.stop(pool, storage);
  }

  /** Opens the store under test; skips the test where its records cannot be attributes. */
  private FileStorage openWithAttributes() {
    storage = FileStorage.builder(dir.resolve("store")).build();
    assumeTrue(storage.recordsInAttributes(), "records are files on this filesystem: it lists without content");
    return storage;
  }

  /** The whole listing of {@code prefix}, by location, in its order. */
  private Map<String, ListedObject> objects(String prefix, int maxBytes) {
    Map<String, ListedObject> listed = new LinkedHashMap<>();
    try (Stream<ListedObject> stream = storage.iterObjects(prefix, "", maxBytes)) {
      stream.forEach(object -> listed.put(object.location(), object));
    }
    return listed;
  }

  private List<String> contents(String prefix) {
    try (Stream<String> stream = storage.iterContents(prefix)) {
      return stream.toList();
    }
  }

  /** The locations of {@code listed} that came with their content. */
  private static List<String> withContent(Map<String, ListedObject> listed) {
    return listed.values().stream().filter(ListedObject::hasContent).map(ListedObject::location).toList();
  }

  private static void assertContent(byte[] expected, ListedObject object) {
    assertTrue(object.hasContent(), object + " listed without content");
    assertArrayEquals(expected, object.content(), object.location());
    assertEquals(Metadata.of(expected), object.metadata(), object.location());
  }

  @Test
  @DisplayName("I8 small objects come with their bytes and metadata; over 8 KiB, or over maxBytes, without; empty ones even at maxBytes 0")
  void whichObjectsComeWithContent() {
    openWithAttributes();
    Map<String, byte[]> stored = new LinkedHashMap<>();
    stored.put("a/edge", Disk.content(1, FileStorage.SMALL_OBJECT_BYTES));
    stored.put("a/empty", new byte[0]);
    stored.put("a/large", Disk.content(2, FileStorage.SMALL_OBJECT_BYTES + 1));
    stored.put("a/small", Disk.content(3, 100));
    stored.put("b/mid", Disk.content(4, 2000));
    stored.forEach(storage::storeBytes);

    Map<String, ListedObject> generous = objects("", 1 << 20);
    assertEquals(contents(""), List.copyOf(generous.keySet()), "the same locations as iterContents, in its order");
    assertEquals(List.of("a/edge", "a/empty", "a/small", "b/mid"), withContent(generous),
        "up to 8 KiB, whatever maxBytes allows: " + generous.values());
    for (String location : withContent(generous)) {
      assertContent(stored.get(location), generous.get(location));
    }

    Map<String, ListedObject> at1000 = objects("", 1000);
    assertEquals(List.of("a/empty", "a/small"), withContent(at1000), "up to maxBytes: " + at1000.values());
    assertContent(stored.get("a/small"), at1000.get("a/small"));

    Map<String, ListedObject> at0 = objects("a/", 0);
    assertEquals(List.of("a/edge", "a/empty", "a/large", "a/small"), List.copyOf(at0.keySet()));
    assertEquals(List.of("a/empty"), withContent(at0), "maxBytes 0: only empty objects");
    assertContent(new byte[0], at0.get("a/empty"));
  }

  @Test
  @DisplayName("I8 R2 a byte flipped on disk, time kept, never comes with the listing; loadObject reports it; a collection calls the reference damaged and sweeps nothing")
  void flippedByteNeverListed() throws IOException {
    openWithAttributes();
    Path root = storage.root();
    Metadata stored = storage.storeBytes("s/f.bin", Disk.content(5, 4096));
    storage.storeBytes("s/g.bin", Disk.content(6, 4096));
    ContentAddressedStore cas = new ContentAddressedStore(storage);
    Path scratch = Files.createDirectories(dir.resolve("scratch"));
    Files.writeString(scratch.resolve("kept"), "named by the reference whose digest is damaged");
    StorageManager manager = StorageManager.builder(scratch, storage, "run", "unit").contentAddressed(cas).build();
    String reference = manager.register("kept");
    manager.transfer();
    Digest kept = Digest.sha256("named by the reference whose digest is damaged".getBytes(UTF_8));
    Digest garbage = cas.put("garbage".getBytes(UTF_8));
    assertTrue(objects("", 8192).get(reference).hasContent(), "the sound reference is read with the listing");

    Disk.assertFlipCaught(storage, "s/f.bin", stored, 1234); // flipped, and caught by every verified read
    String text = Files.readString(root.resolve(reference));
    // A digest one bit off: were its bytes taken from the listing, the content it names would be garbage.
    Disk.flipByteKeepingTime(root.resolve(reference), text.indexOf("sha256:") + "sha256:".length() + 20);

    Map<String, ListedObject> listed = objects("", 8192);
    assertFalse(listed.get("s/f.bin").hasContent(), "never the damaged bytes: " + listed.get("s/f.bin"));
    assertFalse(listed.get(reference).hasContent(), "never the damaged bytes: " + listed.get(reference));
    assertTrue(listed.get("s/g.bin").hasContent(), "its undamaged neighbour is still read with the listing");

    CollectionReport dry = ContentCollector.builder(cas).build().collect();
    assertTrue(dry.refused(), dry.toString());
    assertEquals(List.of(reference),
        dry.unreadable().stream().map(CollectionReport.UnreadableReference::location).toList(), dry.toString());
    assertEquals(CollectionReport.UnreadableReference.Reason.DAMAGED, dry.unreadable().get(0).reason(), dry.toString());
    CollectionRefusedException refused = assertThrows(CollectionRefusedException.class,
        () -> ContentCollector.builder(cas).dryRun(false).build().collect());
    assertTrue(refused.getMessage().contains(reference), refused.getMessage());
    assertTrue(cas.contains(kept), "the content the damaged reference named is kept");
    assertTrue(cas.contains(garbage), "a refused collection deletes nothing, garbage included");
  }

  @Test
  @DisplayName("I8 R3 a file touched or appended to in place comes without content, and the listing leaves its record alone; a file with no record comes with content once loadObject recorded it")
  void changedInPlaceOrUnrecorded() throws IOException {
    openWithAttributes();
    Path root = storage.root();
    byte[] data = Disk.content(7, 300);
    for (String location : List.of("t/appended", "t/copied", "t/kept", "t/touched")) {
      storage.storeBytes(location, data);
    }
    Path touched = root.resolve("t/touched");
    Disk.touch(touched);
    Files.write(root.resolve("t/appended"), new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
    Path copied = root.resolve("t/copied");
    Files.delete(copied);
    Files.write(copied, data); // by hand: a new file, with no record
    String touchedRecord = Disk.recordText(root, "t/touched");
    String appendedRecord = Disk.recordText(root, "t/appended");

    assertEquals(List.of("t/kept"), withContent(objects("t/", 8192)));
    assertEquals(touchedRecord, Disk.recordText(root, "t/touched"), "the listing writes no record");
    assertEquals(appendedRecord, Disk.recordText(root, "t/appended"), "the listing writes no record");
    for (String location : List.of("t/touched", "t/appended")) {
      ChangedExternalResourceException e = assertThrows(ChangedExternalResourceException.class,
          () -> storage.loadObject(location).close(), location);
      assertTrue(e.getMessage().contains("R3"), e.getMessage());
    }

    try (StoredObject object = storage.loadObject("t/copied")) {
      assertEquals(Metadata.of(data), object.metadata(), "hashed, and recorded");
    }
    Map<String, ListedObject> after = objects("t/", 8192);
    assertEquals(List.of("t/copied", "t/kept"), withContent(after));
    assertContent(data, after.get("t/copied"));
  }

  @Test
  @DisplayName("I8 L4 a link to a file is listed without content; files in a directory reached through a link come with theirs")
  void links() throws IOException {
    openWithAttributes();
    Path root = storage.root();
    byte[] f = Disk.content(8, 200);
    byte[] g = Disk.content(9, 300);
    storage.storeBytes("real/f", f);
    storage.storeBytes("data/g", g);
    try {
      Files.createSymbolicLink(root.resolve("lf"), root.resolve("real/f"));
      Files.createSymbolicLink(root.resolve("ld"), root.resolve("data"));
    } catch (UnsupportedOperationException | IOException e) {
      assumeTrue(false, "no symbolic links here: " + e);
    }
    Map<String, ListedObject> listed = objects("", 8192);
    assertEquals(List.of("data/g", "ld/g", "lf", "real/f"), List.copyOf(listed.keySet()));
    assertEquals(contents(""), List.copyOf(listed.keySet()));
    assertEquals(List.of("data/g", "ld/g", "real/f"), withContent(listed));
    assertContent(g, listed.get("ld/g"));
    assertContent(f, listed.get("real/f"));
    assertArrayEquals(f, storage.loadBytes("lf"), "the link is an object, read the ordinary way");
  }

  @Test
  @DisplayName("I8 R3 a store whose records are files lists every object without content, even one carrying a fitting record attribute")
  void recordFilesListWithoutContent() {
    storage = openWithAttributes();
    storage.storeBytes("r/attributed", Disk.content(10, 100)); // its record: an attribute
    storage.close();
    storage = FileStorage.builder(dir.resolve("store")).extendedAttributes(false).build();
    storage.storeBytes("r/f.bin", Disk.content(11, 2000));
    storage.storeBytes("r/g/h", new byte[0]);
    assertArrayEquals(Disk.content(10, 100), storage.loadBytes("r/attributed", Metadata.of(Disk.content(10, 100))),
        "the attribute is read and trusted on loads");
    Map<String, ListedObject> listed = objects("", 8192);
    assertEquals(List.of("r/attributed", "r/f.bin", "r/g/h"), List.copyOf(listed.keySet()));
    assertEquals(contents(""), List.copyOf(listed.keySet()));
    assertEquals(List.of(), withContent(listed), "records are files: nothing read with the listing");
  }

  /** A change to an object between the listing's look at its directory and its read. */
  enum Change {
    DELETED, REPLACED_BY_DIRECTORY, NEW_VERSION, REPLACED_BY_LINK, TOUCHED, FLIPPED;

    void apply(FileStorage storage, String location, byte[] newVersion) throws IOException {
      Path file = storage.root().resolve(location);
      switch (this) {
        case DELETED -> storage.delete(location);
        case REPLACED_BY_DIRECTORY -> {
          storage.delete(location);
          storage.storeBytes(location + "/x", newVersion);
        }
        case NEW_VERSION -> storage.storeBytes(location, newVersion);
        case REPLACED_BY_LINK -> {
          storage.delete(location);
          Files.createSymbolicLink(file, file.resolveSibling("0"));
        }
        case TOUCHED -> Disk.touch(file);
        case FLIPPED -> Disk.flipByteKeepingTime(file, 10);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Change.class)
  @DisplayName("I4 I8 an object changed after its directory was read and before it is passed on: without content, or one whole version with its own metadata; never an error")
  void changedBetweenLookAndRead(Change change) throws IOException {
    openWithAttributes();
    Map<String, byte[]> stored = new LinkedHashMap<>();
    for (int i = 0; i < 6; i++) {
      stored.put("r/" + i, Disk.content(20 + i, 500));
      storage.storeBytes("r/" + i, stored.get("r/" + i));
    }
    byte[] newVersion = Disk.content(30, 500);
    List<ListedObject> listed = new ArrayList<>();
    try (Stream<ListedObject> stream = storage.iterObjects("r/", "", 8192)) {
      Iterator<ListedObject> it = stream.iterator();
      for (int i = 0; i < 3; i++) {
        listed.add(it.next()); // r/0 to r/2; r/3 is not passed on, so not read, yet
      }
      change.apply(storage, "r/3", newVersion);
      it.forEachRemaining(listed::add);
    }
    assertEquals(List.of("r/0", "r/1", "r/2", "r/3", "r/4", "r/5"), listed.stream().map(ListedObject::location).toList(),
        "r/3 was in its directory when the listing read it, and is passed on");
    for (ListedObject object : listed) {
      if (!object.location().equals("r/3")) {
        assertContent(stored.get(object.location()), object);
      }
    }
    ListedObject changed = listed.get(3);
    if (changed.hasContent()) {
      byte[] version = Metadata.of(newVersion).equals(changed.metadata()) ? newVersion : stored.get("r/3");
      assertContent(version, changed);
      assertTrue(change == Change.NEW_VERSION || change == Change.TOUCHED,
          "only a file still there, whole, can come with content: " + changed);
    }
  }

  /**
   * The read of a file whose record the listing found fitting, at the moment its name in the open
   * directory is something else (deleted, a directory or a link since the record was read): the
   * state of a race too narrow to produce on demand, so the reader is called on it directly.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({"gone", "directory", "link"})
  @DisplayName("I8 a name that is no longer the file whose record was read (gone, a directory, a link) is listed without content, never an error")
  void readOfANameThatChangedAfterItsRecord(String what) throws Exception {
    openWithAttributes();
    Path root = storage.root();
    storage.storeBytes("q/a", Disk.content(12, 100));
    Path file = root.resolve("q/a");
    BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    Path name = Path.of("n");
    switch (what) {
      case "directory" -> Files.createDirectory(root.resolve("q/n"));
      case "link" -> Files.createSymbolicLink(root.resolve("q/n"), file);
      default -> { }
    }
    Method read = FileStorage.class.getDeclaredMethod("readListed", String.class, SecureDirectoryStream.class,
        Path.class, Path.class, BasicFileAttributes.class);
    read.setAccessible(true);
    @SuppressWarnings("unchecked") // Linux's directory streams are secure ones
    SecureDirectoryStream<Path> directory = (SecureDirectoryStream<Path>) Files.newDirectoryStream(root.resolve("q"));
    try (directory) {
      ListedObject fitting = (ListedObject) read.invoke(storage, "q/a", directory, Path.of("a"), file, attributes);
      assertTrue(fitting.hasContent(), "the file itself is read: the check below is not vacuous");
      ListedObject object = (ListedObject) read.invoke(storage, "q/a", directory, name, file, attributes);
      assertFalse(object.hasContent(), object.toString());
      assertEquals("q/a", object.location());
    } catch (InvocationTargetException e) {
      throw new AssertionError("the read threw instead of listing without content: " + e.getCause(), e.getCause());
    }
  }

  @Test
  @DisplayName("I8 a listing with content holds descriptors for the directories on its path only, and none once closed, read whole or in part; iterContents holds none between elements")
  void descriptors() throws IOException {
    assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "counts descriptors in /proc/self/fd (Linux)");
    openWithAttributes();
    int depth = 6; // directories on the deepest path, the root's included
    String deep = "t/1/2/3/4/";
    List<String> locations = List.of(deep + "f0", deep + "f1", "t/1/2/3/g", "t/1/h", "t/i", "u");
    for (String location : locations) {
      storage.storeBytes(location, Disk.utf8(location));
    }
    assertEquals(locations, List.copyOf(objects("", 8192).keySet())); // warm: classes loaded, jars open
    assertEquals(locations, contents(""));
    long baseline = Disk.openDescriptors();

    try (Stream<String> stream = storage.iterContents("")) {
      Iterator<String> it = stream.iterator();
      while (it.hasNext()) {
        it.next();
        assertTrue(Disk.openDescriptors() <= baseline, "iterContents holds a directory open between elements");
      }
    }

    long most = 0;
    try (Stream<ListedObject> stream = storage.iterObjects("", "", 8192)) {
      Iterator<ListedObject> it = stream.iterator();
      while (it.hasNext()) {
        assertTrue(it.next().hasContent());
        most = Math.max(most, Disk.openDescriptors() - baseline);
      }
      assertTrue(Disk.openDescriptors() <= baseline, "read to its end, the listing has left every directory");
    }
    // A SecureDirectoryStream holds two descriptors: its DIR stream's and one for the *at calls.
    assertTrue(most >= depth && most <= 2L * depth + SLACK,
        "at most two descriptors per directory on the path (" + depth + "), held: " + most);
    assertTrue(Disk.openDescriptors() <= baseline);

    Stream<ListedObject> partial = storage.iterObjects("", "", 8192);
    assertEquals(deep + "f0", partial.iterator().next().location());
    assertTrue(Disk.openDescriptors() - baseline >= depth, "the deepest directory is open");
    partial.close();
    assertTrue(Disk.openDescriptors() <= baseline, "closed after a part of it, the listing holds nothing");
  }

  @Test
  @DisplayName("I1 I8 pipes and sockets under the root are never listed, and never opened by a listing with content")
  void pipesAndSocketsSkipped() throws Exception {
    openWithAttributes();
    Path root = storage.root();
    storage.storeBytes("p/a", Disk.content(13, 10));
    storage.storeBytes("p/z", Disk.content(14, 10));
    Process mkfifo;
    try {
      mkfifo = new ProcessBuilder("mkfifo", root.resolve("p/fifo").toString()).start();
    } catch (IOException e) {
      mkfifo = null;
    }
    assumeTrue(mkfifo != null && mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "no mkfifo here");
    try (java.nio.channels.ServerSocketChannel socket =
        java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
      socket.bind(java.net.UnixDomainSocketAddress.of(root.resolve("p/sock")));
      Files.createSymbolicLink(root.resolve("p/link-to-fifo"), root.resolve("p/fifo"));
      assertEquals(List.of("p/a", "p/z"), contents(""));
      pool = Executors.newSingleThreadExecutor();
      // On a thread of its own: a listing that opened the pipe would wait for a writer forever.
      Future<Map<String, ListedObject>> listing = pool.submit(() -> objects("", 8192));
      Map<String, ListedObject> listed = listing.get(60, TimeUnit.SECONDS);
      assertEquals(List.of("p/a", "p/z"), List.copyOf(listed.keySet()));
      assertEquals(List.of("p/a", "p/z"), withContent(listed));
    }
  }

  @ParameterizedTest(name = "versions of {0} and {1} bytes")
  @CsvSource({"3000, 3000", "1, 8192", "4096, 8193"})
  @DisplayName("T1.1 I8 listings racing overwrites give each object with content as one whole version with its own metadata")
  void listingsRacingOverwrites(int sizeA, int sizeB) throws Exception {
    openWithAttributes();
    byte[] a = Disk.content(1, sizeA);
    byte[] b = Disk.content(2, sizeB);
    Map<String, byte[]> versions = Map.of(Disk.md5(a), a, Disk.md5(b), b);
    storage.storeBytes("x/shared", a);
    storage.storeBytes("x/still", a);
    pool = Executors.newFixedThreadPool(3);
    CyclicBarrier start = new CyclicBarrier(3);
    List<Future<Integer>> results = new ArrayList<>(Racing.overwriters(pool, start, storage, "x/shared", ROUNDS, a, b));
    results.add(pool.submit(() -> {
      start.await(10, TimeUnit.SECONDS);
      int read = 0;
      for (int i = 0; i < ROUNDS; i++) {
        Map<String, ListedObject> listed = objects("x/", 8192);
        assertEquals(List.of("x/shared", "x/still"), List.copyOf(listed.keySet()));
        assertContent(a, listed.get("x/still"));
        ListedObject shared = listed.get("x/shared");
        if (shared.hasContent()) {
          byte[] version = versions.get(shared.metadata().md5());
          assertNotNull(version, "metadata of a version written: " + shared);
          assertContent(version, shared);
          read++;
        }
      }
      assertTrue(read > 0, "the racing object was read with some listing: the check above is not vacuous");
      return ROUNDS;
    }));
    for (Future<Integer> result : results) {
      assertEquals(ROUNDS, result.get(300, TimeUnit.SECONDS));
    }
  }
}
