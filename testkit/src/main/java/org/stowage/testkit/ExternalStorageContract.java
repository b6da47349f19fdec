package org.stowage.testkit;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.quicktheories.generators.SourceDSL;
import org.stowage.ChangedExternalResourceException;
import org.stowage.ExistingExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.InvalidLocationException;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.MissingExternalResourceException;
import org.stowage.WritePolicy;

/**
 * The storage contract ({@code docs/contract.md}) as JUnit 5 tests: extend this class, return a
 * fresh, empty store from {@link #newStorage()}, declare what the backend can do in {@link
 * #capabilities()}, and every check runs against the backend.
 *
 * <pre>{@code
 * class FileStorageContractTest extends ExternalStorageContract {
 *   @TempDir Path dir;
 *
 *   @Override
 *   protected ExternalStorage newStorage() {
 *     return new FileStorage(dir.resolve("store"));
 *   }
 *
 *   @Override
 *   protected Capabilities capabilities() {
 *     return Capabilities.none().withCrossProcessSafety(true).withLocalFileUris(true);
 *   }
 * }
 * }</pre>
 *
 * <p>The checks are grouped by rule (L, S, R, D, I, T, and a model check across them), and every
 * test's display name starts with the ids of the rules it checks, as does every failure message.
 * Rules C1 to C3 concern the content-addressed layer and are checked by its own tests.
 *
 * <p>Lifecycle: before each test the kit calls {@link #newStorage()} and checks that the store is
 * empty; after the test it closes the storage. JUnit creates a new test instance per test, so
 * fields such as a {@code @TempDir} directory are fresh too. The kit's {@code @BeforeEach} runs
 * before a subclass's own {@code @BeforeEach} methods (JUnit runs a superclass's first), so start
 * what {@code newStorage()} needs (a server, a container) in a static {@code @BeforeAll}, or in
 * {@code newStorage()} itself. A test that needs a capability the backend lacks is skipped, with a
 * message naming the capability.
 *
 * <p>Property checks use QuickTheories. The system property or JUnit configuration parameter
 * {@code stowage.examples} (environment: {@code STOWAGE_EXAMPLES}, default 100) sets how many
 * examples each property tries; {@code stowage.seed} ({@code STOWAGE_SEED}) replays the seed that
 * a failure message printed. See {@code docs/testkit.md}.
 */
@ExtendWith(Tuning.Resolver.class)
public abstract class ExternalStorageContract {

  private ExternalStorage storage;
  private Capabilities caps;
  private Tuning tuning;
  private Scratch scratch;

  /** For subclasses. */
  protected ExternalStorageContract() {}

  /**
   * Returns a new storage that holds no object, for one test. Called before each test; the kit
   * closes the storage after the test.
   *
   * <p>With {@link Capabilities#crossProcessSafety()}, the kit calls it a second time within some
   * tests, and expects a second instance over the same stored objects.
   *
   * @throws Exception if the storage cannot be created; the test then fails
   */
  protected abstract ExternalStorage newStorage() throws Exception;

  /**
   * What the backend can do beyond the contract every backend keeps; {@link Capabilities#none()}
   * unless overridden. Called once before each test.
   */
  protected Capabilities capabilities() {
    return Capabilities.none();
  }

  @BeforeEach
  final void openContractStorage(Tuning tuning) throws Exception {
    this.tuning = tuning;
    this.caps = Objects.requireNonNull(capabilities(), "capabilities() returned null");
    this.scratch = new Scratch();
    this.storage = Objects.requireNonNull(newStorage(), "newStorage() returned null");
    List<String> present = list("");
    assertEquals(List.of(), present, "newStorage() must return a fresh, empty store");
  }

  @AfterEach
  final void closeContractStorage() throws IOException {
    try {
      if (storage != null) {
        storage.close();
      }
    } finally {
      scratch.close();
    }
  }

  // ===============================================================================================
  // L: locations

  /** Rules L1 to L5: which locations and prefixes are valid, and that they are kept verbatim. */
  @Nested
  @DisplayName("L: locations")
  class Locations {

    @Test
    @DisplayName("L1 stores a one-byte location and one of exactly 1024 UTF-8 bytes")
    void limits() throws IOException {
      String longest = exactLocation(Location.MAX_BYTES);
      String widestSegment = "w/" + "\u00e9".repeat(127) + "x";
      assertEquals(1024, utf8(longest), "the test's own location");
      assertEquals(257, utf8(widestSegment), "the test's own location");
      for (String location : List.of("a", longest, widestSegment)) {
        Content content = new Content(10, location.length());
        storage.storeBytes(location, content.bytes());
        assertHolds(location, content, "L1: a valid location of " + utf8(location) + " bytes");
      }
      assertEquals(sorted("a", longest, widestSegment), list(""),
          "L1: every valid location must be listed as stored");
    }

    @Test
    @DisplayName("L1 a segment over 255 bytes is stored, or refused cleanly (not portable)")
    void longSegment() throws IOException {
      String location = "long/" + "x".repeat(300);
      storedOrRefusedCleanly(location, List.of(), "a segment of 300 bytes");
    }

    @Test
    @DisplayName("L1 an object inside another object's \"directory\" is stored, or refused cleanly")
    void objectInsideObject() throws IOException {
      Content outer = new Content(4, 1);
      storage.storeBytes("p", outer.bytes());
      storedOrRefusedCleanly("p/q", List.of("p"), "\"p/q\" while \"p\" is an object");
      assertHolds("p", outer, "L1: the object \"p\"");

      storage.storeBytes("r/s", outer.bytes());
      List<String> before = list("");
      storedOrRefusedCleanly("r", before, "\"r\" while \"r/s\" is an object");
      assertHolds("r/s", outer, "L1: the object \"r/s\"");
    }

    /**
     * Stores a new object at {@code location}; it must then load back, or the store must fail
     * with ExternalResourceException and leave the listing as {@code before}.
     */
    private void storedOrRefusedCleanly(String location, List<String> before, String what)
        throws IOException {
      Content content = new Content(6, 2);
      try {
        storage.storeBytes(location, content.bytes());
      } catch (ExternalResourceException refused) {
        assertFalse(storage.exists(location),
            "L1: a refused store of " + what + " must store nothing (S2)");
        assertEquals(before, list(""),
            "L1: a refused store of " + what + " must leave the store as it was (S2)");
        return;
      }
      assertHolds(location, content, "L1: a stored object at " + what);
    }

    @Test
    @DisplayName("L2 rejects the empty string")
    void empty() {
      assertRejectedEverywhere("", "the empty string");
    }

    @Test
    @DisplayName("L2 rejects a leading or trailing /")
    void slashes() {
      for (String s : List.of("/", "/a", "a/", "/a/b", "a/b/", "//")) {
        assertRejectedEverywhere(s, "a leading or trailing /");
      }
    }

    @Test
    @DisplayName("L2 rejects an empty segment (a//b)")
    void emptySegment() {
      for (String s : List.of("a//b", "a///b", "a/b//c")) {
        assertRejectedEverywhere(s, "an empty segment");
      }
    }

    @Test
    @DisplayName("L2 rejects a . segment")
    void dot() {
      for (String s : List.of(".", "./a", "a/.", "a/./b")) {
        assertRejectedEverywhere(s, "a . segment");
      }
    }

    @Test
    @DisplayName("L2 rejects a .. segment")
    void dotDot() {
      for (String s : List.of("..", "../a", "a/..", "a/../b", "a/b/../../..", "../../etc/passwd")) {
        assertRejectedEverywhere(s, "a .. segment");
      }
    }

    @Test
    @DisplayName("L2 rejects a backslash")
    void backslash() {
      for (String s : List.of("\\", "a\\b", "..\\a", "a\\..\\b", "C:\\x")) {
        assertRejectedEverywhere(s, "a backslash");
      }
    }

    @Test
    @DisplayName("L2 rejects NUL and every control character, U+0001 to U+001F and U+007F")
    void controls() {
      for (int c = 0; c <= 0x20; c++) {
        char control = (char) (c == 0x20 ? 0x7f : c);
        assertRejectedEverywhere(
            "a" + control + "b", String.format("the control character U+%04X", (int) control));
      }
    }

    @Test
    @DisplayName("L2 rejects more than 1024 UTF-8 bytes, counting bytes, not characters")
    void tooLong() {
      assertRejectedEverywhere(exactLocation(Location.MAX_BYTES + 1), "1025 bytes");
      assertRejectedEverywhere("a".repeat(1023) + "\u00e9", "1025 bytes, the last character crossing the limit");
      assertRejectedEverywhere("\u00e9".repeat(513), "513 two-byte characters");
      assertRejectedEverywhere("\ud83d\ude00".repeat(257), "257 four-byte characters");
    }

    @Test
    @DisplayName("L2 rejects a segment that starts with .stowage")
    void reserved() {
      for (String s : List.of(".stowage", ".stowage-tmp-1", "a/.stowage/b", "a/.stowagex", "a/.stowage")) {
        assertRejectedEverywhere(s, "a segment starting with .stowage");
      }
    }

    @Test
    @DisplayName("L2 rejects an unpaired surrogate")
    void surrogates() {
      for (String s : List.of("\ud800", "a\udc00b", "\ude00\ud83d", "a/\udbff")) {
        assertRejectedEverywhere(s, "an unpaired surrogate");
      }
    }

    @Test
    @DisplayName("L2 property: every invalid location is rejected by every operation, the backend untouched")
    void invalidProperty() {
      Theories.check(tuning, "L2", "every invalid location is rejected by every operation",
          tuning.examples(), 200, Generators.invalidLocations(),
          invalid -> assertRejectedEverywhere(invalid.value(), invalid.kind()));
    }

    @Test
    @DisplayName("L3 keeps NFC and NFD spellings apart")
    void normalisation() throws IOException {
      List<String> spellings = List.of(
          "caf\u00e9", "cafe\u0301", "\u00c5", "A\u030a", "\u212b", "\uac00", "\u1100\u1161");
      assertKeptApart(spellings, "L3: canonically equivalent spellings are different locations");
    }

    @Test
    @DisplayName("L3 is case-sensitive and keeps spaces, percent signs and plus signs as they are")
    void verbatim() throws IOException {
      List<String> names = List.of(
          "Readme", "README", "readme", "a b", "a+b", "a%20b", "x/a%2Fb", "x/a/b", " lead", "lead",
          "trail ", "trail", "q?x=1", "frag#1", "col:on", "t\u00e9st~1");
      assertKeptApart(names, "L3: locations are case-sensitive and never rewritten");
    }

    private void assertKeptApart(List<String> locations, String rule) throws IOException {
      for (int i = 0; i < locations.size(); i++) {
        storage.storeBytes(locations.get(i), new Content(8, i).bytes());
      }
      for (int i = 0; i < locations.size(); i++) {
        assertHolds(locations.get(i), new Content(8, i), rule);
      }
      assertEquals(sorted(locations.toArray(String[]::new)), list(""),
          rule + "; the listing must give each location exactly as stored");
    }

    @Test
    @DisplayName("L3 property: every valid location is stored, listed and loaded verbatim")
    void verbatimProperty() {
      Theories.check(tuning, "L3", "a valid location is stored, listed and loaded verbatim",
          tuning.examples(), 200, Generators.validLocations().describedAs(Generators::quote),
          location -> {
            Content content = new Content(location.length() % 7, location.hashCode());
            storage.storeBytes(location, content.bytes());
            List<String> listed = list(location);
            assertTrue(listed.contains(location),
                () -> "L3: iterContents(location) must list the location exactly as stored, but"
                    + " gives " + quoted(listed));
            assertTrue(storage.exists(location), "L3: exists must find the location as stored");
            assertArrayEquals(content.bytes(), storage.loadBytes(location),
                "L3: the location must load the bytes stored there");
            assertTrue(storage.deleteIfExists(location), "D1: deleteIfExists of a stored object");
          });
    }

    @Test
    @DisplayName("L4 does not follow a symbolic link to a directory outside the root")
    void symlinkedDirectory() throws Exception {
      assumeCapability(caps.localFileUris(), "localFileUris", "the test plants a link among the files");
      Content original = new Content(16, 1);
      storage.storeBytes("esc/inner", original.bytes());
      Path file = Path.of(storage.uri("esc/inner"));
      Path dir = file.getParent();
      assumeTrue(file.getFileName().toString().equals("inner")
              && dir.getFileName().toString().equals("esc"),
          "needs a layout where a location's segments are the object's directories and file name");
      storage.delete("esc/inner");
      deleteTree(dir);

      Path outside = scratch.newDirectory();
      byte[] secret = "a file outside the root".getBytes(StandardCharsets.UTF_8);
      Files.write(outside.resolve("inner"), secret);
      assumeTrue(createLink(dir, outside), "needs symbolic links on this filesystem");

      assertNotSecret(() -> storage.loadBytes("esc/inner"), secret,
          "L4: loadBytes must not follow a symbolic link out of the root");
      assertNotSecret(() -> readAllOf(storage.loadStream("esc/inner")), secret,
          "L4: loadStream must not follow a symbolic link out of the root");
      assertFalse(listQuietly("").contains("esc/inner"),
          "L4: iterContents must not list a file outside the root through a symbolic link");
      attempt(() -> storage.storeBytes("esc/new", new byte[] {1, 2, 3}));
      assertFalse(Files.exists(outside.resolve("new")),
          "L4: a store must not write through a symbolic link out of the root");
      attempt(() -> storage.storeBytes("esc/inner", new byte[] {4}));
      attempt(() -> storage.deleteIfExists("esc/inner"));
      assertArrayEquals(secret, Files.readAllBytes(outside.resolve("inner")),
          "L4: stores and deletes must not change a file outside the root");
      Files.deleteIfExists(dir);
    }

    @Test
    @DisplayName("L4 does not follow a symbolic link to a file outside the root")
    void symlinkedFile() throws Exception {
      assumeCapability(caps.localFileUris(), "localFileUris", "the test plants a link among the files");
      storage.storeBytes("lnk", new Content(16, 1).bytes());
      Path file = Path.of(storage.uri("lnk"));
      Path outside = scratch.newDirectory().resolve("secret");
      byte[] secret = "a file outside the root".getBytes(StandardCharsets.UTF_8);
      Files.write(outside, secret);
      Files.delete(file);
      assumeTrue(createLink(file, outside), "needs symbolic links on this filesystem");

      assertNotSecret(() -> storage.loadBytes("lnk"), secret,
          "L4: loadBytes must not follow a symbolic link out of the root");
      attempt(() -> storage.storeBytes("lnk", new byte[] {4}));
      attempt(() -> storage.deleteIfExists("lnk"));
      assertArrayEquals(secret, Files.readAllBytes(outside),
          "L4: stores and deletes must not change a file outside the root");
      assertTrue(Files.exists(outside), "L4: a delete must not remove a file outside the root");
      Files.deleteIfExists(file);
    }

    @Test
    @DisplayName("L5 accepts the empty prefix and a trailing /")
    void prefixes() {
      for (String location : List.of("a/b", "a/c", "ab")) {
        storage.storeBytes(location, new byte[] {1});
      }
      assertEquals(List.of("a/b", "a/c", "ab"), list(""), "L5: the empty prefix lists everything");
      assertEquals(List.of("a/b", "a/c"), list("a/"), "L5: a prefix may end with /");
      assertEquals(List.of("a/b", "a/c", "ab"), list("a"), "L5/I1: a plain string prefix");
      for (String partial : List.of("a/.x", "a/..x", ".sto", "a/.stowag", "\u00e9/")) {
        assertEquals(List.of(), list(partial),
            "L5: " + Generators.quote(partial) + " is a valid prefix that matches nothing here");
      }
    }

    @Test
    @DisplayName("L5 rejects invalid prefixes, a last segment of . or .. among them")
    void invalidPrefixes() {
      for (String prefix : List.of(
          "/", "/a", "a//", "a//b", ".", "..", "a/.", "a/..", "./a", "a/../b", "a\\", "a\u0000",
          "a\u001f", ".stowage", "a/.stowage", "a/.stowage-tmp", "\ud800", "a".repeat(1025))) {
        assertPrefixRejected(prefix);
      }
    }

    @Test
    @DisplayName("L5 property: every invalid prefix is rejected, the backend untouched")
    void invalidPrefixProperty() {
      storage.storeBytes("keep/me", new byte[] {7});
      Theories.check(tuning, "L5", "every invalid prefix is rejected", tuning.examples(), 200,
          Generators.invalidPrefixes(), invalid -> assertPrefixRejected(invalid.value()));
      assertEquals(List.of("keep/me"), list(""), "L5: rejected listings must change nothing");
    }
  }

  // ===============================================================================================
  // S: storing

  /** Rules S1 to S5: what a store returns, atomicity, files, streams, write policies. */
  @Nested
  @DisplayName("S: storing")
  class Storing {

    @Test
    @DisplayName("S1 a store returns the MD5 and size of the bytes, from bytes, streams and files")
    void metadata() {
      long max = caps.maxObjectSize();
      for (int size : sizes(0, 1, 2, 1000, 65535, 65536, 65537)) {
        for (Op.Source source : List.of(Op.Source.BYTES, Op.Source.STREAM, Op.Source.PATH)) {
          Content content = new Content(size, size + source.ordinal());
          String location = "s1/" + size + "/" + source;
          Metadata returned = store(location, content, source, WritePolicy.OVERWRITE);
          assertEquals(content.metadata(), returned,
              () -> "S1: a store " + source + " of " + content + " must return the MD5 (as"
                  + " MessageDigest computes it) and size of the bytes");
          assertEquals(returned, storage.getMetadata(location),
              "S1/R3: getMetadata must return what the store returned");
        }
      }
      assertTrue(max >= 1);
    }

    @Test
    @DisplayName("S1 R1 property: store then load returns the same bytes, with MessageDigest's MD5")
    void roundTripProperty() {
      Gen<RoundTrip> examples = Generators.validLocations().zip(
          Generators.contents(caps.maxObjectSize()),
          Generate.pick(List.of(Op.Source.BYTES, Op.Source.STREAM, Op.Source.PATH)),
          RoundTrip::new);
      Theories.check(tuning, "S1/R1", "store then load returns the same bytes and MD5",
          tuning.examples(), 100, examples, example -> {
            Metadata returned =
                store(example.location(), example.content(), example.source(), WritePolicy.OVERWRITE);
            Metadata expected = example.content().metadata();
            assertEquals(expected, returned,
                "S1: the store must return the MD5 (as MessageDigest computes it) and the size");
            try (InputStream in = storage.loadStream(example.location())) {
              assertSameBytes(example.content(), in, "R1: loadStream must give the bytes stored");
            } catch (IOException e) {
              throw new AssertionError("R1: reading a loaded stream failed", e);
            }
            assertEquals(expected, Content.metadataOf(storage.loadBytes(example.location())),
                "R1: loadBytes must give the bytes stored");
            assertEquals(expected, storage.getMetadata(example.location()),
                "R3: getMetadata must give the metadata of the bytes stored");
            storage.delete(example.location());
          });
    }

    @Test
    @DisplayName("S2 a store whose source fails leaves the previous object as it was, and no temp object")
    void failedStore() throws IOException {
      Content previous = new Content(1000, 1);
      Content failing = new Content(sizes(200_000)[0], 2);
      for (WritePolicy policy : WritePolicy.values()) {
        String absent = "s2/absent-" + policy;
        String present = "s2/present-" + policy;
        storage.storeBytes(present, previous.bytes());
        List<String> before = list("");

        ExternalResourceException e = assertThrows(ExternalResourceException.class,
            () -> storage.storeStream(absent, failing.failingStream(), policy),
            "S2: a store whose source fails must fail (policy " + policy + ")");
        assertCauseIsTheSourcesError(e);
        assertFalse(storage.exists(absent),
            "S2: a failed store must store nothing (policy " + policy + ")");

        try {
          storage.storeStream(present, failing.failingStream(), policy);
          assertEquals(WritePolicy.SKIP_IF_EXISTS, policy,
              "S2: a store whose source fails must fail, unless its policy stores nothing");
        } catch (ExternalResourceException expected) {
          // Fails: the source failed, or the policy refused (CREATE with an object present).
        }
        assertHolds(present, previous,
            "S2: a failed store must leave the previous object as it was (policy " + policy + ")");
        assertEquals(before, list(""),
            "S2: a failed store must leave no temp or partial object visible (policy " + policy + ")");
      }
    }

    @Test
    @DisplayName("S2 readers see the previous or the complete new object, never a partial one")
    void atomicReplace() throws Exception {
      int size = sizes(256 * 1024)[0];
      Content a = new Content(size, 1);
      Content b = new Content(size, 2);
      Set<Metadata> whole = Set.of(a.metadata(), b.metadata());
      storage.storeBytes("s2/replaced", a.bytes());
      ExecutorService pool = Executors.newFixedThreadPool(3);
      try {
        AtomicBoolean writing = new AtomicBoolean(true);
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger reads = new AtomicInteger();
        Future<?> writer = pool.submit(() -> {
          start.await();
          try {
            for (int i = 0; i < 16; i++) {
              Content next = i % 2 == 0 ? b : a;
              if (i % 4 < 2) {
                storage.storeBytes("s2/replaced", next.bytes());
              } else {
                try (InputStream in = next.unknownLengthStream()) {
                  storage.storeStream("s2/replaced", in);
                }
              }
            }
          } finally {
            writing.set(false);
          }
          return null;
        });
        List<Future<?>> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
          boolean viaStream = r == 1;
          readers.add(pool.submit(() -> {
            start.await();
            do {
              Metadata seen;
              if (viaStream) {
                try (InputStream in = storage.loadStream("s2/replaced")) {
                  seen = Content.metadataOf(in.readAllBytes());
                }
              } else {
                seen = Content.metadataOf(storage.loadBytes("s2/replaced"));
              }
              reads.incrementAndGet();
              assertTrue(whole.contains(seen),
                  "S2: a reader saw " + seen + ", which is neither the previous nor the new"
                      + " object: a partial or mixed object");
            } while (writing.get());
            return null;
          }));
        }
        start.countDown();
        writer.get(120, TimeUnit.SECONDS);
        for (Future<?> reader : readers) {
          getOrRethrow(reader);
        }
        assertTrue(reads.get() >= 2, "the readers ran");
      } finally {
        pool.shutdownNow();
      }
    }

    @Test
    @DisplayName("S3 storePath copies the file and leaves the source untouched")
    void storePathCopies() throws IOException {
      Content content = new Content(sizes(70_000)[0], 3);
      Path source = scratch.file(content);
      FileTime modified = Files.getLastModifiedTime(source);
      Metadata returned = storage.storePath("s3/copy", source);
      assertEquals(content.metadata(), returned, "S1: storePath returns the file's MD5 and size");
      assertTrue(Files.exists(source), "S3: storePath must not move or delete the source");
      assertEquals(modified, Files.getLastModifiedTime(source), "S3: storePath must not touch the source");
      try (InputStream in = Files.newInputStream(source)) {
        assertSameBytes(content, in, "S3: storePath must not change the source");
      }
      Files.write(source, new byte[] {9, 9, 9});
      assertHolds("s3/copy", content, "S3: the stored object is a copy, independent of the file");
      Files.delete(source);
      assertHolds("s3/copy", content, "S3: the stored object outlives the source file");
    }

    @Test
    @DisplayName("S3 storePath of a missing file or a directory fails and stores nothing")
    void storePathMissing() {
      Path missing = scratch.newDirectory().resolve("missing");
      Path directory = scratch.newDirectory();
      for (WritePolicy policy : WritePolicy.values()) {
        assertThrows(ExternalResourceException.class,
            () -> storage.storePath("s3/missing", missing, policy),
            "S3: storePath of a missing file must fail (policy " + policy + ")");
        assertThrows(ExternalResourceException.class,
            () -> storage.storePath("s3/directory", directory, policy),
            "S3: storePath of a directory must fail (policy " + policy + ")");
      }
      assertEquals(List.of(), list(""), "S3: a failed storePath must store nothing");
    }

    @Test
    @DisplayName("S4 stores a lazily generated stream of unknown length, read in odd-sized chunks")
    void unknownLength() throws IOException {
      Content content = new Content(sizes(3 * 1024 * 1024 + 17)[0], 4);
      Metadata returned;
      try (InputStream in = content.unknownLengthStream()) {
        returned = storage.storeStream("s4/stream", in);
      }
      assertEquals(content.metadata(), returned,
          "S4/S1: a stream of unknown length must be stored whole, with its MD5 and size");
      assertHolds("s4/stream", content, "S4: a stream of unknown length must be stored whole");
      assertEquals(returned, storage.verify("s4/stream"), "R4: verify of the stored stream");
    }

    @Test
    @DisplayName("S5 OVERWRITE, the default, replaces the present object")
    void overwrite() throws IOException {
      Content a = new Content(5, 1);
      Content b = new Content(7, 2);
      Content c = new Content(3, 3);
      storage.storeBytes("s5/o", a.bytes());
      assertEquals(b.metadata(), storage.storeBytes("s5/o", b.bytes()),
          "S5: a store without a policy overwrites and returns the new metadata");
      assertHolds("s5/o", b, "S5: the default policy, OVERWRITE, replaces the object");
      assertEquals(c.metadata(), storage.storeBytes("s5/o", c.bytes(), WritePolicy.OVERWRITE),
          "S5: OVERWRITE returns the new metadata");
      assertHolds("s5/o", c, "S5: OVERWRITE replaces the object");
    }

    @Test
    @DisplayName("S5 CREATE stores when absent, fails with ExistingExternalResourceException when present")
    void create() throws IOException {
      for (Op.Source source : List.of(Op.Source.BYTES, Op.Source.STREAM, Op.Source.PATH)) {
        String location = "s5/create-" + source;
        Content a = new Content(5, 1);
        Content b = new Content(5, 2);
        assertEquals(a.metadata(), store(location, a, source, WritePolicy.CREATE),
            "S5: CREATE with nothing present must store");
        ExistingExternalResourceException e = assertThrows(ExistingExternalResourceException.class,
            () -> store(location, b, source, WritePolicy.CREATE),
            "S5: CREATE with an object present must fail with ExistingExternalResourceException");
        assertEquals(Optional.of(location), e.location(), "T2: the error names the location");
        assertHolds(location, a, "S5: a refused CREATE must leave the present object as it was");
      }
    }

    @Test
    @DisplayName("S5 SKIP_IF_EXISTS keeps the present object and returns its metadata")
    void skip() throws IOException {
      Content a = new Content(5, 1);
      Content b = new Content(9, 2);
      assertEquals(a.metadata(), storage.storeBytes("s5/s", a.bytes(), WritePolicy.SKIP_IF_EXISTS),
          "S5: SKIP_IF_EXISTS with nothing present must store");
      for (Op.Source source : List.of(Op.Source.BYTES, Op.Source.STREAM, Op.Source.PATH)) {
        assertEquals(a.metadata(), store("s5/s", b, source, WritePolicy.SKIP_IF_EXISTS),
            "S5: SKIP_IF_EXISTS with an object present must return its metadata");
      }
      assertHolds("s5/s", a, "S5: SKIP_IF_EXISTS must keep the present object");
    }

    @Test
    @DisplayName("S5 FAIL_IF_DIFFERENT accepts the same content and refuses different content")
    void failIfDifferent() throws IOException {
      Content a = new Content(5, 1);
      Content sameSize = new Content(5, 2);
      Content otherSize = new Content(6, 1);
      assertEquals(a.metadata(),
          storage.storeBytes("s5/f", a.bytes(), WritePolicy.FAIL_IF_DIFFERENT),
          "S5: FAIL_IF_DIFFERENT with nothing present must store");
      for (Op.Source source : List.of(Op.Source.BYTES, Op.Source.STREAM, Op.Source.PATH)) {
        assertEquals(a.metadata(), store("s5/f", a, source, WritePolicy.FAIL_IF_DIFFERENT),
            "S5: FAIL_IF_DIFFERENT with the same content present must succeed");
        for (Content different : List.of(sameSize, otherSize)) {
          assertThrows(ExistingExternalResourceException.class,
              () -> store("s5/f", different, source, WritePolicy.FAIL_IF_DIFFERENT),
              "S5: FAIL_IF_DIFFERENT with different content present must fail with"
                  + " ExistingExternalResourceException");
        }
      }
      assertHolds("s5/f", a, "S5: a refused FAIL_IF_DIFFERENT must leave the present object");
    }

    @Test
    @DisplayName("S5 CREATE lets exactly one of many concurrent writers win")
    void createRace() throws Exception {
      createRaces(new ExternalStorage[] {storage}, 4, 12);
    }

    @Test
    @DisplayName("S5 property: write policies behave as S5 says, for every source and present object")
    void policyProperty() {
      Gen<PolicyCase> cases = Generate.enumValues(WritePolicy.class).zip(
          Generate.pick(List.of(Op.Source.BYTES, Op.Source.STREAM, Op.Source.PATH,
              Op.Source.FAILING_STREAM)),
          Generate.pick(Arrays.asList(null, new Content(5, 1), new Content(5, 2), new Content(0, 0))),
          Generate.pick(List.of(new Content(5, 1), new Content(5, 2), new Content(7, 1),
              new Content(0, 0))),
          PolicyCase::new);
      AtomicInteger cases_ = new AtomicInteger();
      Theories.check(tuning, "S5", "write policies behave as S5 says", tuning.examples(), 100,
          cases, c -> {
            String location = "s5p/" + cases_.incrementAndGet();
            if (c.present() != null) {
              storage.storeBytes(location, c.present().bytes());
            }
            Op.Store op = new Op.Store(location, c.content(), c.policy(), c.source());
            Op.Transition expected = op.step(c.present());
            Outcome actual = op.run(storage, "", scratch);
            assertTrue(expected.allowed().contains(actual),
                () -> "S5: " + op + " over " + (c.present() == null ? "nothing" : c.present())
                    + " gave " + actual.detailed() + ", but the contract says "
                    + expected.allowed());
            Outcome after = new Op.Load(location, true).run(storage, "", scratch);
            assertEquals(new Op.Load(location, true).step(expected.next()).allowed(),
                Set.of(after), "S5: what is stored afterwards");
            storage.deleteIfExists(location);
          });
    }
  }

  // ===============================================================================================
  // R: reading

  /** Rules R1 to R5: loads, verified loads, metadata, verify, exists. */
  @Nested
  @DisplayName("R: reading")
  class Reading {

    @Test
    @DisplayName("R1 loading a missing object fails at call time with MissingExternalResourceException")
    void missing() {
      Metadata some = new Content(1, 1).metadata();
      for (int round = 0; round < 2; round++) {
        String when = round == 0 ? "never stored" : "deleted";
        assertThrows(MissingExternalResourceException.class, () -> storage.loadStream("r1/x"),
            "R1: loadStream of an object " + when + " must fail when called, not when read");
        assertThrows(MissingExternalResourceException.class, () -> storage.loadStream("r1/x", some),
            "R1: a verified loadStream of an object " + when + " must fail when called");
        assertThrows(MissingExternalResourceException.class, () -> storage.loadBytes("r1/x"),
            "R1: loadBytes of an object " + when);
        assertThrows(MissingExternalResourceException.class, () -> storage.loadBytes("r1/x", some),
            "R1: a verified loadBytes of an object " + when);
        storage.storeBytes("r1/x", new byte[] {1});
        storage.delete("r1/x");
      }
    }

    @Test
    @DisplayName("R1 loads give the stored bytes, and several streams can be open at once")
    void loads() throws IOException {
      Content content = new Content(sizes(100_000)[0], 1);
      storage.storeBytes("r1/a", content.bytes());
      try (InputStream first = storage.loadStream("r1/a");
          InputStream second = storage.loadStream("r1/a")) {
        byte[] head = first.readNBytes(10);
        byte[] whole = second.readAllBytes();
        byte[] rest = first.readAllBytes();
        byte[] joined = new byte[head.length + rest.length];
        System.arraycopy(head, 0, joined, 0, head.length);
        System.arraycopy(rest, 0, joined, head.length, rest.length);
        assertArrayEquals(content.bytes(), whole, "R1: a second stream gives the whole object");
        assertArrayEquals(content.bytes(), joined, "R1: interleaved reads give the whole object");
      }
      assertArrayEquals(content.bytes(), storage.loadBytes("r1/a"), "R1: loadBytes");
    }

    @Test
    @DisplayName("R2 a verified load gives the stored bytes")
    void verifiedLoad() throws IOException {
      for (int size : sizes(0, 1, 70_000)) {
        Content content = new Content(size, size);
        Metadata md = storage.storeBytes("r2/" + size, content.bytes());
        assertArrayEquals(content.bytes(), storage.loadBytes("r2/" + size, md),
            "R2: a verified loadBytes of an intact object must give its bytes");
        try (InputStream in = storage.loadStream("r2/" + size, md)) {
          assertSameBytes(content, in, "R2: a verified loadStream of an intact object must give its bytes");
        }
      }
    }

    @Test
    @DisplayName("R2 a verified load against the wrong MD5 or size fails as changed")
    void verifiedLoadMismatch() throws IOException {
      Content content = new Content(1000, 1);
      Metadata actual = storage.storeBytes("r2/m", content.bytes());
      Metadata otherMd5 = new Content(1000, 2).metadata();
      Metadata shorter = new Metadata(actual.md5(), 999);
      Metadata longer = new Metadata(actual.md5(), 1001);
      for (Metadata wrong : List.of(otherMd5, shorter, longer)) {
        assertThrows(ChangedExternalResourceException.class,
            () -> storage.loadBytes("r2/m", wrong),
            "R2: a verified loadBytes against " + wrong + " must fail as changed");
        try (InputStream in = storage.loadStream("r2/m", wrong)) {
          assertThrows(ChangedExternalResourceException.class, () -> drain(in),
              "R2: reading to the end a verified loadStream against " + wrong
                  + " must fail as changed");
        }
      }
      try (InputStream in = storage.loadStream("r2/m", shorter)) {
        assertEquals(999, in.readNBytes(999).length, "R2: the expected bytes are given");
        assertThrows(ChangedExternalResourceException.class, in::read,
            "R2: reading past the expected size must fail at once");
      }
      try (InputStream in = storage.loadStream("r2/m", otherMd5)) {
        assertEquals(1000, in.readNBytes(1000).length,
            "R2: with the right size but another MD5, every byte is given");
        assertThrows(ChangedExternalResourceException.class, in::read,
            "R2: the read that would report the end must throw instead");
      }
    }

    @Test
    @DisplayName("R2 a verified load of a corrupted object fails as changed, never gives the data as good")
    void verifiedLoadCorrupted() throws Exception {
      assumeCorrupter();
      Content content = new Content(sizes(5000)[0], 1);
      Metadata md = storage.storeBytes("r2/c", content.bytes());
      corrupt("r2/c");
      assertThrows(ChangedExternalResourceException.class, () -> storage.loadBytes("r2/c", md),
          "R2: a verified loadBytes of a corrupted object must fail as changed");
      try (InputStream in = storage.loadStream("r2/c", md)) {
        assertThrows(ChangedExternalResourceException.class, () -> drain(in),
            "R2: a verified loadStream of a corrupted object, read to the end, must fail as changed");
      } catch (ChangedExternalResourceException atOpen) {
        // Also fine: the backend noticed before streaming.
      }
    }

    @Test
    @DisplayName("R3 getMetadata gives what the store returned, for every object")
    void getMetadata() {
      List<Metadata> returned = new ArrayList<>();
      int[] sizes = sizes(0, 1, 65537);
      for (int size : sizes) {
        returned.add(storage.storeBytes("r3/" + size, new Content(size, 1).bytes()));
      }
      for (int i = 0; i < sizes.length; i++) {
        assertEquals(returned.get(i), storage.getMetadata("r3/" + sizes[i]),
            "R3: getMetadata must give the stored object's metadata");
      }
      Metadata replaced = storage.storeBytes("r3/1", new Content(2, 2).bytes());
      assertEquals(replaced, storage.getMetadata("r3/1"), "R3: getMetadata after an overwrite");
      assertThrows(MissingExternalResourceException.class, () -> storage.getMetadata("r3/none"),
          "R3: getMetadata of a missing object");
    }

    @Test
    @DisplayName("R3 getMetadata never takes a corrupted object for good")
    void getMetadataCorrupted() throws Exception {
      assumeCorrupter();
      Content content = new Content(sizes(5000)[0], 1);
      Metadata md = storage.storeBytes("r3/c", content.bytes());
      corrupt("r3/c");
      try {
        Metadata damaged = Content.metadataOf(storage.loadBytes("r3/c"));
        assertNotEquals(md, damaged, "the corrupter must change the stored bytes");
        assertEquals(md.size(), damaged.size(), "the corrupter must keep the size");
      } catch (ChangedExternalResourceException verifiedAnyway) {
        // A backend may check even plain loads (R1 does not promise it does not).
      }
      for (int round = 0; round < 2; round++) {
        try {
          assertEquals(md, storage.getMetadata("r3/c"),
              "R3: getMetadata of a corrupted object must give the recorded metadata or fail as"
                  + " changed, never the metadata of the damaged bytes");
        } catch (ChangedExternalResourceException reported) {
          // Reported as changed: fine.
        }
        assertThrows(ChangedExternalResourceException.class, () -> storage.verify("r3/c"),
            "R3/R4: after getMetadata, verify must still report the corrupted object: its"
                + " metadata must not be re-recorded from the damaged bytes");
      }
    }

    @Test
    @DisplayName("R4 verify gives the metadata of an intact object, and fails for a missing one")
    void verify() {
      for (int size : sizes(0, 1, 70_000)) {
        Metadata md = storage.storeBytes("r4/" + size, new Content(size, 1).bytes());
        assertEquals(md, storage.verify("r4/" + size), "R4: verify of an intact object");
      }
      assertThrows(MissingExternalResourceException.class, () -> storage.verify("r4/none"),
          "R4: verify of a missing object");
    }

    @Test
    @DisplayName("R4 verify reports a corrupted object as changed")
    void verifyCorrupted() throws Exception {
      assumeCorrupter();
      storage.storeBytes("r4/c", new Content(sizes(5000)[0], 1).bytes());
      storage.storeBytes("r4/intact", new Content(10, 2).bytes());
      corrupt("r4/c");
      ChangedExternalResourceException e = assertThrows(ChangedExternalResourceException.class,
          () -> storage.verify("r4/c"), "R4: verify of a corrupted object must fail as changed");
      assertEquals(Optional.of("r4/c"), e.location(), "T2: the error names the location");
      assertDoesNotThrow(() -> storage.verify("r4/intact"),
          "R4: corrupting one object must not affect another");
    }

    @Test
    @DisplayName("R5 exists is true for objects only, never for a prefix or a directory")
    void exists() {
      storage.storeBytes("d/e/f", new byte[] {1});
      storage.storeBytes("g", new byte[] {2});
      assertTrue(storage.exists("d/e/f"), "R5: exists of an object");
      assertTrue(storage.exists("g"), "R5: exists of an object");
      for (String notAnObject : List.of("d", "d/e", "d/e/f/x", "gg", "d/e/ff", "D/e/f")) {
        assertFalse(storage.exists(notAnObject),
            "R5: exists must be false for " + Generators.quote(notAnObject)
                + ", which is a prefix or a directory or nothing, not an object");
      }
      assertThrows(MissingExternalResourceException.class, () -> storage.getMetadata("d/e"),
          "R5: a directory has no metadata");
      assertThrows(MissingExternalResourceException.class, () -> storage.loadStream("d"),
          "R5: a directory cannot be loaded");
      storage.delete("g");
      assertFalse(storage.exists("g"), "R5: exists after delete");
    }
  }

  // ===============================================================================================
  // D: deleting

  /** Rule D1. */
  @Nested
  @DisplayName("D: deleting")
  class Deleting {

    @Test
    @DisplayName("D1 delete removes the object, and nothing else")
    void delete() {
      List<String> all = List.of("d/x", "d/x.txt", "d/xy", "dx", "d/x0/y");
      for (String location : all) {
        storage.storeBytes(location, location.getBytes(StandardCharsets.UTF_8));
      }
      storage.delete("d/x");
      assertFalse(storage.exists("d/x"), "D1: delete must remove the object");
      assertThrows(MissingExternalResourceException.class, () -> storage.loadBytes("d/x"),
          "D1: a deleted object cannot be loaded");
      List<String> rest = sorted("d/x.txt", "d/xy", "dx", "d/x0/y");
      assertEquals(rest, list(""), "D1: delete must remove the object and nothing else");
      for (String location : rest) {
        assertArrayEquals(location.getBytes(StandardCharsets.UTF_8), storage.loadBytes(location),
            "D1: delete must leave other objects as they were");
      }
    }

    @Test
    @DisplayName("D1 delete of a missing object or a directory fails with MissingExternalResourceException")
    void deleteMissing() {
      assertThrows(MissingExternalResourceException.class, () -> storage.delete("none"),
          "D1: delete of a location that never held an object");
      storage.storeBytes("d/e/f", new byte[] {1});
      for (String directory : List.of("d", "d/e")) {
        assertThrows(MissingExternalResourceException.class, () -> storage.delete(directory),
            "D1: delete of a directory (" + directory + ") is delete of a missing object");
      }
      assertTrue(storage.exists("d/e/f"), "D1: deleting a directory must leave what is inside");
      storage.delete("d/e/f");
      assertThrows(MissingExternalResourceException.class, () -> storage.delete("d/e/f"),
          "D1: a second delete of the same object");
    }

    @Test
    @DisplayName("D1 deleteIfExists returns whether it removed an object")
    void deleteIfExists() {
      storage.storeBytes("d/e/f", new byte[] {1});
      storage.storeBytes("x", new byte[] {2});
      assertFalse(storage.deleteIfExists("d"), "D1: deleteIfExists of a directory removes nothing");
      assertFalse(storage.deleteIfExists("none"), "D1: deleteIfExists of a missing object");
      assertTrue(storage.deleteIfExists("x"), "D1: deleteIfExists of an object removes it");
      assertFalse(storage.exists("x"), "D1: the object is gone");
      assertFalse(storage.deleteIfExists("x"), "D1: a second deleteIfExists removes nothing");
      assertEquals(List.of("d/e/f"), list(""), "D1: deleteIfExists leaves other objects");
    }

    @Test
    @DisplayName("D1 delete removes parent directories left empty")
    void emptyDirectories() throws IOException {
      assumeCapability(caps.localFileUris(), "localFileUris", "the test looks at the directories");
      storage.storeBytes("p/q/r", new byte[] {1});
      storage.storeBytes("p/s", new byte[] {2});
      Path q = Path.of(storage.uri("p/q/r")).getParent();
      Path p = q.getParent();
      assumeTrue(q.getFileName().toString().equals("q") && p.getFileName().toString().equals("p"),
          "needs a layout where a location's segments are the object's directories");
      storage.delete("p/q/r");
      assertFalse(Files.exists(q), "D1: delete must remove the directory it left empty (p/q)");
      assertTrue(Files.isDirectory(p), "D1: delete must keep a directory that is not empty (p)");
      storage.delete("p/s");
      assertFalse(Files.exists(p), "D1: delete must remove every parent left empty (p)");
      assertTrue(Files.isDirectory(p.getParent()), "D1: delete must never remove the root");
      storage.storeBytes("p/q/r", new byte[] {3});
      assertArrayEquals(new byte[] {3}, storage.loadBytes("p/q/r"),
          "D1: storing again after the directories went away");
    }
  }

  // ===============================================================================================
  // M: copying and moving

  /** Rules M1 and M2: copies and moves within one store, under every write policy. */
  @Nested
  @DisplayName("M: copying and moving")
  class CopyingAndMoving {

    @Test
    @DisplayName("M1 copy keeps the source and gives the target the same bytes and metadata")
    void copy() {
      Content content = new Content(sizes(3000)[0], 11);
      Metadata md = storage.storeBytes("m1/src", content.bytes());
      assertEquals(md, storage.copy("m1/src", "m1/dir/copy"),
          "M1: copy returns the copy's metadata, the source's");
      assertArrayEquals(content.bytes(), storage.loadBytes("m1/dir/copy"), "M1: the copy's bytes");
      assertEquals(md, storage.getMetadata("m1/dir/copy"), "M1: the copy's metadata");
      assertArrayEquals(content.bytes(), storage.loadBytes("m1/src"), "M1: the source stays");
      assertEquals(sorted("m1/src", "m1/dir/copy"), list(""), "M1: copy creates nothing else");
    }

    @Test
    @DisplayName("M1 M2 a missing source fails with MissingExternalResourceException, whatever the target")
    void missingSource() {
      storage.storeBytes("m/present", new byte[] {1});
      for (WritePolicy policy : WritePolicy.values()) {
        for (String target : List.of("m/absent", "m/present")) {
          String what = policy + " to " + target;
          assertThrows(MissingExternalResourceException.class,
              () -> storage.copy("m/none", target, policy), "M1: copy of a missing object, " + what);
          assertThrows(MissingExternalResourceException.class,
              () -> storage.move("m/none", target, policy), "M2: move of a missing object, " + what);
        }
      }
      assertEquals(List.of("m/present"), list(""), "M1 M2: failed copies and moves change nothing");
      assertArrayEquals(new byte[] {1}, storage.loadBytes("m/present"));
    }

    @Test
    @DisplayName("M2 move puts the object and its metadata at the target and removes the source")
    void move() {
      Content content = new Content(sizes(70_000)[0], 12);
      Metadata md = storage.storeBytes("m2/a/src", content.bytes());
      storage.storeBytes("m2/a/other", new byte[] {7});
      assertEquals(md, storage.move("m2/a/src", "m2/b/c/dst"), "M2: move returns the metadata");
      assertFalse(storage.exists("m2/a/src"), "M2: the source is gone after a move");
      assertThrows(MissingExternalResourceException.class, () -> storage.loadBytes("m2/a/src"),
          "M2: the source cannot be loaded after a move");
      assertArrayEquals(content.bytes(), storage.loadBytes("m2/b/c/dst", md),
          "M2: the target holds the object, verified against the source's metadata");
      assertEquals(md, storage.getMetadata("m2/b/c/dst"), "M2: the target's metadata");
      assertEquals(md, storage.verify("m2/b/c/dst"), "M2: the moved object verifies");
      assertEquals(sorted("m2/a/other", "m2/b/c/dst"), list(""), "M2: move touches nothing else");
      assertEquals(md, storage.move("m2/b/c/dst", "m2/a/src", WritePolicy.CREATE),
          "M2: and back again, under CREATE");
      assertEquals(sorted("m2/a/other", "m2/a/src"), list(""));
      assertThrows(IllegalArgumentException.class, () -> storage.move("m2/a/src", "m2/a/src"),
          "M2: a move onto itself is refused");
      assertArrayEquals(content.bytes(), storage.loadBytes("m2/a/src"), "M2: and changes nothing");
    }

    @Test
    @DisplayName("M1 M2 honour every write policy at the target, and never lose the source")
    void policies() {
      Content mine = new Content(100, 13);
      Content theirs = new Content(200, 14);
      for (WritePolicy policy : WritePolicy.values()) {
        for (boolean move : new boolean[] {false, true}) {
          for (Content present : new Content[] {null, theirs, mine}) {
            String at = "m/" + policy + "/" + move + "/" + (present == null ? "none" : present.seed());
            String from = at + "/from";
            String to = at + "/to";
            storage.storeBytes(from, mine.bytes());
            if (present != null) {
              storage.storeBytes(to, present.bytes());
            }
            Op.Transfer op = new Op.Transfer(from, to, policy, move);
            Op.Transfer.Step expected = op.step(mine, present);
            Outcome actual = op.run(storage, "", scratch);
            String what = op + " with " + (present == null ? "nothing" : present) + " at the target";
            assertEquals(expected.allowed(), actual, "rule " + op.rule() + ": " + what);
            assertEquals(content(expected.nextFrom()), content(loadOrNull(from)),
                "rule " + op.rule() + ": the source after " + what);
            assertEquals(content(expected.nextTo()), content(loadOrNull(to)),
                "rule " + op.rule() + ": the target after " + what);
          }
        }
      }
    }

    @Test
    @DisplayName("M1 a copy of a corrupted object fails as changed and stores nothing")
    void copyCorrupted() throws Exception {
      assumeCorrupter();
      Content content = new Content(sizes(5000)[0], 15);
      storage.storeBytes("m1/c", content.bytes());
      corrupt("m1/c");
      assertThrows(ChangedExternalResourceException.class, () -> storage.copy("m1/c", "m1/copy"),
          "M1: a copy is verified: a corrupted source must fail as changed");
      assertFalse(storage.exists("m1/copy"), "M1: a copy that failed verification stores nothing");
    }

    @Test
    @DisplayName("M2 a move of a corrupted object fails as changed, or carries the damage where verify sees it")
    void moveCorrupted() throws Exception {
      assumeCorrupter();
      Content content = new Content(sizes(5000)[0], 16);
      Metadata md = storage.storeBytes("m2/c", content.bytes());
      corrupt("m2/c");
      try {
        storage.move("m2/c", "m2/moved");
      } catch (ChangedExternalResourceException refused) {
        assertTrue(storage.exists("m2/c"), "M2: a move that failed verification keeps the source");
        assertFalse(storage.exists("m2/moved"), "M2: and stores nothing at the target");
        return;
      }
      assertFalse(storage.exists("m2/c"), "M2: a move that succeeded removes the source");
      assertThrows(ChangedExternalResourceException.class, () -> storage.verify("m2/moved"),
          "M2: a move without verification (a rename) must carry the damage where verify sees it");
      assertThrows(ChangedExternalResourceException.class, () -> storage.loadBytes("m2/moved", md),
          "M2: a verified load of the moved, damaged object must fail as changed");
    }

    @Test
    @DisplayName("M2 concurrent moves of one object: the object is never lost, and the source goes")
    void concurrentMoves() throws Exception {
      int movers = 4;
      int rounds = Math.max(3, tuning.examples(25));
      ExecutorService pool = Executors.newFixedThreadPool(movers);
      try {
        for (int round = 0; round < rounds; round++) {
          Content content = new Content(sizes(20_000)[0], 100 + round);
          String from = "m2r/" + round + "/src";
          storage.storeBytes(from, content.bytes());
          CyclicBarrier start = new CyclicBarrier(movers);
          List<Future<Metadata>> moves = new ArrayList<>();
          for (int t = 0; t < movers; t++) {
            String to = "m2r/" + round + "/to-" + t;
            moves.add(pool.submit(() -> {
              start.await(60, TimeUnit.SECONDS);
              try {
                return storage.move(from, to, WritePolicy.CREATE);
              } catch (MissingExternalResourceException lost) {
                return null; // another move took it first
              }
            }));
          }
          int won = 0;
          for (int t = 0; t < movers; t++) {
            Metadata moved = getOrRethrow(moves.get(t));
            if (moved != null) {
              won++;
              assertEquals(content.metadata(), moved, "M2: a move returns the object's metadata");
              assertArrayEquals(content.bytes(), storage.loadBytes("m2r/" + round + "/to-" + t),
                  "M2: every move that succeeded left the whole object at its target");
            }
          }
          assertTrue(won >= 1, "M2: of concurrent moves of one object, at least one succeeds");
          assertFalse(storage.exists(from), "M2: after concurrent moves, the source is gone");
          assertEquals(won, list("m2r/" + round + "/").size(),
              "M2: the object is at the target of each move that succeeded, and nowhere else");
        }
      } finally {
        pool.shutdownNow();
      }
    }

    @Test
    @DisplayName("M2 move removes the source's parent directories left empty")
    void emptyDirectories() throws IOException {
      assumeCapability(caps.localFileUris(), "localFileUris", "the test looks at the directories");
      storage.storeBytes("p/q/r", new byte[] {1});
      Path q = Path.of(storage.uri("p/q/r")).getParent();
      assumeTrue(q.getFileName().toString().equals("q"),
          "needs a layout where a location's segments are the object's directories");
      storage.move("p/q/r", "s/t");
      assertFalse(Files.exists(q.getParent()), "M2: move must remove the directories it left empty");
      assertTrue(Files.isRegularFile(Path.of(storage.uri("s/t"))), "M2: the object is at s/t");
    }

    private byte[] loadOrNull(String location) {
      try {
        return storage.loadBytes(location);
      } catch (MissingExternalResourceException e) {
        return null;
      }
    }

    private String content(Object bytesOrContent) {
      if (bytesOrContent == null) {
        return "nothing";
      }
      byte[] bytes = bytesOrContent instanceof Content c ? c.bytes() : (byte[]) bytesOrContent;
      return Metadata.of(bytes).toString();
    }
  }

  // ===============================================================================================
  // I: iterating

  /** Rules I1 to I4: what a listing gives, in which order, lazily, and under change. */
  @Nested
  @DisplayName("I: listing")
  class Listing {

    @Test
    @DisplayName("I1 a prefix matches as a plain string prefix, as in S3")
    void plainPrefix() {
      for (String location : List.of("a/b.txt", "a/bc/d", "a/b/c", "a/c", "ab", "b")) {
        storage.storeBytes(location, new byte[] {1});
      }
      assertEquals(List.of("a/b.txt", "a/b/c", "a/bc/d"), list("a/b"),
          "I1: \"a/b\" matches a/b.txt, a/b/c and a/bc/d (I2: in UTF-8 order)");
      assertEquals(List.of("a/b/c"), list("a/b/"), "I1: \"a/b/\" matches what is inside a/b");
      assertEquals(List.of("a/b.txt", "a/b/c", "a/bc/d", "a/c"), list("a/"), "I1: \"a/\"");
      assertEquals(List.of("a/b.txt", "a/b/c", "a/bc/d", "a/c", "ab"), list("a"), "I1: \"a\"");
      assertEquals(List.of(), list("c"), "I1: a prefix that matches nothing");
      assertEquals(List.of("a/b/c"), list("a/b/c"), "I1: a whole location matches itself");
    }

    @Test
    @DisplayName("I1 lists objects only: no directories, no temp or metadata files")
    void objectsOnly() {
      storage.storeBytes("x/y/z", new byte[] {1});
      storage.storeBytes("x/w", new byte[] {2});
      for (int i = 0; i < 3; i++) {
        storage.storeBytes("x/w", new byte[] {(byte) i});
        try {
          storage.storeStream("x/y/z", new Content(20_000, i).failingStream());
        } catch (ExternalResourceException expected) {
          // The source fails on purpose.
        }
      }
      assertEquals(List.of("x/w", "x/y/z"), list(""),
          "I1: a listing gives the objects and nothing else: no directories, temp or metadata files");
    }

    @Test
    @DisplayName("I1 I2 property: iterContents(prefix) gives the stored locations with that prefix, in UTF-8 order")
    void listingProperty() {
      Gen<ListingCase> cases = Generators.locationSets(12).flatMap(locations ->
          SourceDSL.lists().of(Generators.prefixesOf(locations)).ofSizeBetween(1, 5)
              .map(prefixes -> new ListingCase(locations, prefixes)));
      AtomicInteger runs = new AtomicInteger();
      Theories.check(tuning, "I1/I2", "iterContents(prefix) gives the stored locations with that"
              + " prefix, in UTF-8 order", tuning.examples(2), 100, cases, c -> {
            String namespace = "listing-" + runs.incrementAndGet();
            TreeSet<String> model = new TreeSet<>(Location.UTF8_ORDER);
            try {
              for (int i = 0; i < c.locations().size(); i++) {
                String location = c.locations().get(i);
                storage.storeBytes(Op.at(namespace, location), new Content(i % 3, i).bytes());
                model.add(location);
              }
              for (String prefix : c.prefixes()) {
                List<String> expected =
                    model.stream().filter(l -> l.startsWith(prefix)).toList();
                assertEquals(quoted(expected), quoted(Op.list(storage, namespace, prefix)),
                    "I1/I2: iterContents(" + Generators.quote(prefix) + ") must give exactly the"
                        + " stored locations that start with it, in ascending UTF-8 byte order");
              }
            } finally {
              for (String location : model) {
                storage.deleteIfExists(Op.at(namespace, location));
              }
            }
          });
    }

    @Test
    @DisplayName("I2 lists in ascending UTF-8 byte order, the same on every backend")
    void order() {
      List<String> locations = new ArrayList<>(List.of(
          "a", "a-b", "a.b", "b/c", "b-c", "b.c", "b0", "A", "Z", "_", "~", "\u00e9", "e\u0301",
          "\u00ff", "\u0100", "\ue000", "\ufffd", "\ud83d\ude00", "\ud800\udc00", "\u4e00",
          "z z", "z+z", "z%z"));
      Collections.shuffle(locations, new java.util.Random(42));
      for (String location : locations) {
        storage.storeBytes(location, new byte[] {1});
      }
      List<String> expected = new ArrayList<>(locations);
      expected.sort((x, y) -> Arrays.compareUnsigned(
          x.getBytes(StandardCharsets.UTF_8), y.getBytes(StandardCharsets.UTF_8)));
      assertEquals(quoted(expected), quoted(list("")),
          "I2: a listing must be in ascending order of the locations' UTF-8 bytes (\"/\" after"
              + " \"-\" and \".\", characters above U+FFFF after U+E000..U+FFFF)");
    }

    @Test
    @DisplayName("I3 a listing can be read in part and closed, and read again")
    void partialListing() {
      List<String> all = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        String location = String.format("i3/%03d", i);
        storage.storeBytes(location, new byte[] {(byte) i});
        all.add(location);
      }
      try (Stream<String> listing = storage.iterContents("i3/")) {
        Iterator<String> it = listing.iterator();
        List<String> head = new ArrayList<>();
        for (int i = 0; i < 5 && it.hasNext(); i++) {
          head.add(it.next());
        }
        assertEquals(all.subList(0, 5), head, "I3: the first locations of a listing");
      }
      try (Stream<String> listing = storage.iterContents("i3/")) {
        assertEquals(all.subList(0, 3), listing.limit(3).toList(), "I3: limit on a listing");
      }
      assertEquals(all, list("i3/"), "I3: a listing read to its end after partial ones");
    }

    @Test
    @DisplayName("I4 a listing survives objects stored and deleted while it runs")
    void changesDuringListing() {
      List<String> all = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        String location = String.format("i4/%02d", i);
        storage.storeBytes(location, new byte[] {(byte) i});
        all.add(location);
      }
      List<String> seen = new ArrayList<>();
      try (Stream<String> listing = storage.iterContents("i4/")) {
        Iterator<String> it = listing.iterator();
        for (int i = 0; i < 10 && it.hasNext(); i++) {
          seen.add(it.next());
        }
        storage.delete("i4/05");
        storage.delete("i4/30");
        storage.storeBytes("i4/35x", new byte[] {1});
        storage.storeBytes("i4/01x", new byte[] {1});
        storage.storeBytes("i4/20", new byte[] {9});
        assertDoesNotThrow(() -> it.forEachRemaining(seen::add),
            "I4: a listing must not fail because objects changed while it ran");
      }
      for (int i = 1; i < seen.size(); i++) {
        assertTrue(Location.UTF8_ORDER.compare(seen.get(i - 1), seen.get(i)) < 0,
            "I2: a listing changed while it ran is still strictly ascending: " + seen);
      }
      Set<String> untouched = new TreeSet<>(all);
      untouched.removeAll(List.of("i4/05", "i4/30", "i4/20"));
      assertTrue(seen.containsAll(untouched),
          "I4: objects left alone during a listing must appear in it; missing: "
              + untouched.stream().filter(l -> !seen.contains(l)).toList());
      Set<String> possible = new TreeSet<>(all);
      possible.addAll(List.of("i4/35x", "i4/01x"));
      assertTrue(possible.containsAll(seen),
          "I1: a listing gives only objects; extra: "
              + seen.stream().filter(l -> !possible.contains(l)).toList());
    }
  }

  // ===============================================================================================
  // T: threads, processes, errors

  /** Rules T1 to T3. */
  @Nested
  @DisplayName("T: threads, processes, errors")
  class Threads {

    @Test
    @DisplayName("T1 property: concurrent operations are linearizable per location")
    void linearizable() {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        ParallelCheck check = new ParallelCheck(new ExternalStorage[] {storage}, scratch, pool);
        Theories.check(tuning, "T1", "concurrent operations are linearizable per location",
            tuning.examples(5), 20,
            ParallelCheck.histories(caps.maxObjectSize()).describedAs(ParallelCheck::describe),
            check::check);
      } finally {
        pool.shutdownNow();
      }
    }

    @Test
    @DisplayName("T1 concurrent stores to distinct locations all land")
    void manyWriters() throws Exception {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        CyclicBarrier start = new CyclicBarrier(4);
        List<Future<?>> writers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          int thread = t;
          writers.add(pool.submit(() -> {
            start.await(60, TimeUnit.SECONDS);
            for (int i = 0; i < 25; i++) {
              storage.storeBytes("t1/" + thread + "/" + i, new Content(i, thread).bytes());
            }
            return null;
          }));
        }
        for (Future<?> writer : writers) {
          getOrRethrow(writer);
        }
      } finally {
        pool.shutdownNow();
      }
      assertEquals(100, list("t1/").size(), "T1: every concurrent store must land");
      for (int t = 0; t < 4; t++) {
        for (int i = 0; i < 25; i++) {
          assertEquals(new Content(i, t).metadata(), storage.getMetadata("t1/" + t + "/" + i),
              "T1: each concurrent store must land whole, at its own location");
        }
      }
    }

    @Test
    @DisplayName("T1 two instances sharing one root behave as one store")
    void sharedRoot() throws Exception {
      assumeCapability(caps.crossProcessSafety(), "crossProcessSafety",
          "the test opens a second instance over the same root");
      try (ExternalStorage second = Objects.requireNonNull(newStorage(), "newStorage()")) {
        Content a = new Content(10, 1);
        storage.storeBytes("t1/shared", a.bytes());
        assertTrue(second.exists("t1/shared"),
            "T1: with crossProcessSafety, a second newStorage() must see the first one's objects");
        assertArrayEquals(a.bytes(), second.loadBytes("t1/shared"), "T1: load through the second");
        second.storeBytes("t1/other", a.bytes());
        assertEquals(List.of("t1/other", "t1/shared"), list(""), "T1: list through the first");
        second.delete("t1/shared");
        assertFalse(storage.exists("t1/shared"), "T1: a delete through the second");
        createRaces(new ExternalStorage[] {storage, second}, 4, 8);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
          ParallelCheck check =
              new ParallelCheck(new ExternalStorage[] {storage, second}, scratch, pool);
          Theories.check(tuning, "T1", "operations through two instances are linearizable",
              tuning.examples(10), 20,
              ParallelCheck.histories(caps.maxObjectSize()).describedAs(ParallelCheck::describe),
              check::check);
        } finally {
          pool.shutdownNow();
        }
      }
    }

    @Test
    @DisplayName("T2 errors are typed and their messages name the backend and the location")
    void errors() {
      String name = storage.toString();
      assertNotNull(name, "T2: toString names the backend");
      ExternalResourceException missing = assertThrows(MissingExternalResourceException.class,
          () -> storage.loadBytes("t2/none"), "T2: a load of nothing");
      assertNames(missing, name, "t2/none");
      assertNames(assertThrows(MissingExternalResourceException.class,
          () -> storage.delete("t2/none"), "T2: a delete of nothing"), name, "t2/none");
      assertNames(assertThrows(MissingExternalResourceException.class,
          () -> storage.getMetadata("t2/none"), "T2: getMetadata of nothing"), name, "t2/none");
      storage.storeBytes("t2/x", new byte[] {1});
      assertNames(assertThrows(ExistingExternalResourceException.class,
          () -> storage.storeBytes("t2/x", new byte[] {2}, WritePolicy.CREATE),
          "T2: a refused CREATE"), name, "t2/x");
      assertNames(assertThrows(ChangedExternalResourceException.class,
          () -> storage.loadBytes("t2/x", new Content(1, 9).metadata()),
          "T2: a verified load against other metadata"), name, "t2/x");
      ExternalResourceException failed = assertThrows(ExternalResourceException.class,
          () -> storage.storeStream("t2/y", new Content(100, 1).failingStream()),
          "T2: a store whose source fails");
      assertNames(failed, name, "t2/y");
      assertCauseIsTheSourcesError(failed);
      InvalidLocationException invalid = assertThrows(InvalidLocationException.class,
          () -> storage.loadBytes("t2/../x"), "T2: an invalid location");
      assertTrue(invalid.getMessage().contains("t2/../x"), "T2: the message names the location");
    }

    @Test
    @DisplayName("T2 after close() every method throws IllegalStateException, and close() is idempotent")
    void closed() {
      storage.storeBytes("t2/c", new byte[] {1});
      storage.close();
      assertTrue(storage.isClosed(), "isClosed after close");
      Metadata md = new Content(1, 1).metadata();
      Path file = scratch.file(new Content(1, 1));
      List<Executable> calls = List.of(
          () -> storage.storeBytes("t2/c", new byte[] {1}),
          () -> storage.storeStream("t2/c", new Content(1, 1).unknownLengthStream()),
          () -> storage.storePath("t2/c", file),
          () -> storage.loadStream("t2/c"),
          () -> storage.loadStream("t2/c", md),
          () -> storage.loadBytes("t2/c"),
          () -> storage.loadBytes("t2/c", md),
          () -> storage.exists("t2/c"),
          () -> storage.getMetadata("t2/c"),
          () -> storage.verify("t2/c"),
          () -> storage.uri("t2/c"),
          () -> storage.delete("t2/c"),
          () -> storage.deleteIfExists("t2/c"),
          () -> storage.iterContents(""));
      for (Executable call : calls) {
        assertThrows(IllegalStateException.class, call,
            "T2: every method of a closed storage must throw IllegalStateException");
      }
      assertDoesNotThrow(storage::close, "T2: close() twice is harmless");
    }

    @Test
    @DisplayName("T3 the backend exposes no hook publicly and adds no overload of an API method")
    void onlyTheBaseApi() {
      Set<String> api = new TreeSet<>();
      Set<String> hooks = new TreeSet<>();
      for (Method m : ExternalStorage.class.getDeclaredMethods()) {
        if (Modifier.isPublic(m.getModifiers()) && !m.getName().equals("toString")) {
          api.add(m.getName());
        } else if (Modifier.isProtected(m.getModifiers())) {
          hooks.add(m.getName());
        }
      }
      List<String> problems = new ArrayList<>();
      for (Class<?> c = storage.getClass(); c != ExternalStorage.class; c = c.getSuperclass()) {
        for (Method m : c.getDeclaredMethods()) {
          if (!Modifier.isPublic(m.getModifiers()) || m.isSynthetic() || m.isBridge()) {
            continue;
          }
          if (hooks.contains(m.getName())) {
            problems.add(c.getName() + "." + m.getName() + " makes a hook public");
          } else if (api.contains(m.getName())) {
            problems.add(c.getName() + "." + m.getName()
                + " adds a public overload of an API method, which would skip the base class's"
                + " checks");
          }
        }
      }
      assertEquals(List.of(), problems,
          "T3: only the base class's public methods are the API; backends implement protected hooks");
    }
  }

  // ===============================================================================================
  // The model check

  /** Random sequences of operations against a sorted-map model of the contract. */
  @Nested
  @DisplayName("Model check")
  class Model {

    @Test
    @DisplayName("S1-S5 R1-R5 D1 I1 I2 M1 M2 model check: random operation sequences agree with a sorted-map model")
    void sequences() {
      ModelCheck model = new ModelCheck(storage, scratch);
      Theories.check(tuning, "model check (S1-S5, R1-R5, D1, I1, I2, M1, M2)",
          "random operation sequences agree with a sorted-map model", tuning.examples(4), 0,
          ModelCheck.sequences(caps.maxObjectSize(), 30), model::check);
    }
  }

  // ===============================================================================================
  // Helpers

  /** A generated round trip: where, what, and how it is handed over. */
  private record RoundTrip(String location, Content content, Op.Source source) {
    @Override
    public String toString() {
      return content + " " + source + " at " + Generators.quote(location);
    }
  }

  /** A generated policy case: the policy, the source kind, what is present, what is stored. */
  private record PolicyCase(WritePolicy policy, Op.Source source, Content present, Content content) {}

  /** Generated listing case: locations stored, prefixes listed. */
  private record ListingCase(List<String> locations, List<String> prefixes) {
    @Override
    public String toString() {
      return "locations " + quoted(locations) + ", prefixes " + quoted(prefixes);
    }
  }

  private Metadata store(String location, Content content, Op.Source source, WritePolicy policy) {
    return new Op.Store(location, content, policy, source).store(storage, location, scratch);
  }

  /** The listing of {@code prefix}, read to its end. */
  private List<String> list(String prefix) {
    return Op.list(storage, "", prefix);
  }

  private List<String> listQuietly(String prefix) {
    try {
      return list(prefix);
    } catch (ExternalResourceException e) {
      return List.of();
    }
  }

  /** Checks that {@code location} holds {@code content}: metadata, streamed bytes, existence. */
  private void assertHolds(String location, Content content, String rule) throws IOException {
    assertTrue(storage.exists(location), () -> rule + ": " + Generators.quote(location) + " must exist");
    assertEquals(content.metadata(), storage.getMetadata(location),
        () -> rule + ": the metadata of " + Generators.quote(location));
    try (InputStream in = storage.loadStream(location)) {
      assertSameBytes(content, in, rule + ": the bytes of " + Generators.quote(location));
    }
  }

  /** Compares {@code actual} with {@code expected} chunk by chunk, without holding either whole. */
  private static void assertSameBytes(Content expected, InputStream actual, String message)
      throws IOException {
    try (InputStream want = expected.unknownLengthStream()) {
      long offset = 0;
      while (true) {
        byte[] a = want.readNBytes(64 * 1024);
        byte[] b = actual.readNBytes(64 * 1024);
        if (!Arrays.equals(a, b)) {
          int at = Arrays.mismatch(a, b);
          if (at >= Math.min(a.length, b.length)) {
            fail(message + ": expected " + expected.size() + " bytes, but the data "
                + (b.length < a.length ? "ended after " + (offset + b.length) + " bytes"
                    : "goes on after them"));
          }
          fail(message + ": the bytes differ at offset " + (offset + at) + " of "
              + expected.size());
        }
        if (a.length == 0) {
          return;
        }
        offset += a.length;
      }
    }
  }

  /**
   * Checks that every operation rejects {@code invalid} with {@link InvalidLocationException}
   * under rule L2, before reading a source, and that the store is unchanged afterwards; and that
   * {@code iterContents} rejects it under L5 if it is not a valid prefix either.
   */
  private void assertRejectedEverywhere(String invalid, String what) {
    List<String> before = list("");
    Path file = scratch.file(new Content(3, 1));
    Metadata md = new Content(3, 1).metadata();
    List<Call> calls = new ArrayList<>(List.of(
        new Call("storeBytes", (s, l, in) -> s.storeBytes(l, new byte[] {1, 2, 3})),
        new Call("storeStream", (s, l, in) -> s.storeStream(l, in)),
        new Call("storePath", (s, l, in) -> s.storePath(l, file)),
        new Call("loadStream", (s, l, in) -> s.loadStream(l).close()),
        new Call("verified loadStream", (s, l, in) -> s.loadStream(l, md).close()),
        new Call("loadBytes", (s, l, in) -> s.loadBytes(l)),
        new Call("verified loadBytes", (s, l, in) -> s.loadBytes(l, md)),
        new Call("exists", (s, l, in) -> s.exists(l)),
        new Call("getMetadata", (s, l, in) -> s.getMetadata(l)),
        new Call("verify", (s, l, in) -> s.verify(l)),
        new Call("uri", (s, l, in) -> s.uri(l)),
        new Call("delete", (s, l, in) -> s.delete(l)),
        new Call("deleteIfExists", (s, l, in) -> s.deleteIfExists(l))));
    for (WritePolicy policy : WritePolicy.values()) {
      calls.add(new Call("storeBytes " + policy, (s, l, in) -> s.storeBytes(l, new byte[] {1}, policy)));
      calls.add(new Call("storeStream " + policy, (s, l, in) -> s.storeStream(l, in, policy)));
      calls.add(new Call("storePath " + policy, (s, l, in) -> s.storePath(l, file, policy)));
    }
    for (Call call : calls) {
      CountingStream source = new CountingStream(new Content(3, 1).unknownLengthStream());
      Supplier<String> message = () -> "L2: " + call.name() + " must reject "
          + Generators.quote(invalid) + " (" + what + ") with InvalidLocationException";
      InvalidLocationException e = assertThrows(InvalidLocationException.class,
          () -> call.body().call(storage, invalid, source), message);
      assertEquals("L2", e.rule(), message);
      assertTrue(e.getMessage().contains("L2"), message);
      assertEquals(Optional.of(invalid), e.location(), message);
      assertEquals(0, source.reads, () -> "L2: " + call.name() + " must not read its source"
          + " when it rejects the location");
    }
    if (!invalid.isEmpty() && !invalid.endsWith("/") || invalid.equals("/")
        || invalid.endsWith("//")) {
      assertPrefixRejected(invalid);
    }
    assertEquals(before, list(""), "L2: rejected operations must leave the store as it was");
  }

  private void assertPrefixRejected(String prefix) {
    Supplier<String> message = () -> "L5: iterContents must reject the prefix "
        + Generators.quote(prefix) + " with InvalidLocationException";
    InvalidLocationException e = assertThrows(InvalidLocationException.class,
        () -> storage.iterContents(prefix).close(), message);
    assertEquals("L5", e.rule(), message);
    assertTrue(e.getMessage().contains("L5"), message);
  }

  /** One API call, applied to a location, with a source stream it may read. */
  private record Call(String name, CallBody body) {}

  @FunctionalInterface
  private interface CallBody {
    void call(ExternalStorage storage, String location, InputStream source) throws Exception;
  }

  /** Counts reads, to check that a rejected store does not read its source. */
  private static final class CountingStream extends java.io.FilterInputStream {
    int reads;

    CountingStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      reads++;
      return super.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      reads++;
      return super.read(b, off, len);
    }
  }

  /**
   * Runs {@code rounds} races of {@code writers} threads storing different contents to one fresh
   * location with CREATE, spread over {@code instances}; exactly one must win each.
   */
  private void createRaces(ExternalStorage[] instances, int writers, int rounds) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      for (int round = 0; round < rounds; round++) {
        String location = "race/" + round;
        CyclicBarrier start = new CyclicBarrier(writers);
        List<Future<Outcome>> results = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
          ExternalStorage instance = instances[w % instances.length];
          Content content = new Content(1000 + w, w);
          results.add(pool.submit(() -> {
            start.await(60, TimeUnit.SECONDS);
            try {
              return Outcome.of(instance.storeBytes(location, content.bytes(), WritePolicy.CREATE));
            } catch (RuntimeException e) {
              return Outcome.thrown(e);
            }
          }));
        }
        List<Outcome> outcomes = new ArrayList<>();
        for (Future<Outcome> f : results) {
          outcomes.add(f.get(60, TimeUnit.SECONDS));
        }
        List<Integer> winners = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
          if (outcomes.get(w).equals(Outcome.of(new Content(1000 + w, w).metadata()))) {
            winners.add(w);
          } else {
            assertEquals(Outcome.thrown(ExistingExternalResourceException.class), outcomes.get(w),
                "S5: a CREATE that loses a race must fail with ExistingExternalResourceException");
          }
        }
        assertEquals(1, winners.size(),
            "S5: of " + writers + " concurrent CREATE stores of one location exactly one must win;"
                + " outcomes: " + outcomes.stream().map(Outcome::detailed).toList());
        int w = winners.get(0);
        assertEquals(new Content(1000 + w, w).metadata(), storage.getMetadata(location),
            "S5: the winner's content must be stored");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private void assumeCapability(boolean present, String capability, String why) {
    assumeTrue(present, () -> "needs capability " + capability + ": " + why
        + "; declare it in capabilities() if the backend has it");
  }

  private void assumeCorrupter() {
    assumeCapability(caps.corrupter().isPresent(), "corrupter",
        "the test damages a stored object behind the backend's back");
  }

  private void corrupt(String location) throws Exception {
    caps.corrupter().orElseThrow().corrupt(storage, location);
  }

  /** The sizes that fit in {@link Capabilities#maxObjectSize()}, each cut to it. */
  private int[] sizes(int... wanted) {
    return Arrays.stream(wanted).map(s -> (int) Math.min(s, caps.maxObjectSize())).distinct()
        .toArray();
  }

  private static void assertCauseIsTheSourcesError(ExternalResourceException e) {
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof IOException && String.valueOf(t.getMessage()).contains("on purpose")) {
        return;
      }
    }
    fail("T2: the error of a store whose source failed must keep the source's IOException as"
        + " its cause", e);
  }

  private static void assertNames(ExternalResourceException e, String backend, String location) {
    assertAll(
        () -> assertTrue(e.getMessage().contains(backend),
            "T2: the message must name the backend (" + backend + "): " + e.getMessage()),
        () -> assertTrue(e.getMessage().contains(location),
            "T2: the message must name the location (" + location + "): " + e.getMessage()),
        () -> assertEquals(Optional.of(location), e.location(),
            "T2: location() must give the location"));
  }

  private static void assertNotSecret(ThrowingSupplier<byte[]> load, byte[] secret, String message) {
    byte[] got;
    try {
      got = load.get();
    } catch (ExternalResourceException refused) {
      return;
    } catch (Exception e) {
      throw new AssertionError(message + ": failed with " + e, e);
    }
    assertFalse(Arrays.equals(secret, got), message);
  }

  @FunctionalInterface
  private interface ThrowingSupplier<T> {
    T get() throws Exception;
  }

  /** Runs a call whose outcome does not matter, only its effect. */
  private static void attempt(Executable call) {
    try {
      call.execute();
    } catch (Throwable e) {
      if (e instanceof Error error && !(e instanceof AssertionError)) {
        throw error;
      }
    }
  }

  private static boolean createLink(Path link, Path target) {
    try {
      Files.createSymbolicLink(link, target);
      return true;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Collections.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private static byte[] readAllOf(InputStream in) throws IOException {
    try (in) {
      return in.readAllBytes();
    }
  }

  private static void drain(InputStream in) throws IOException {
    byte[] buffer = new byte[8192];
    while (in.read(buffer) >= 0) {
      // read to the end
    }
  }

  private static <T> T getOrRethrow(Future<T> f) throws Exception {
    try {
      return f.get(120, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof AssertionError a) {
        throw a;
      }
      throw e;
    }
  }

  /** A location of exactly {@code bytes} UTF-8 bytes, in segments of at most 255 bytes. */
  private static String exactLocation(int bytes) {
    StringBuilder out = new StringBuilder();
    int remaining = bytes;
    int segment = 0;
    while (remaining > 0) {
      if (out.length() > 0) {
        out.append('/');
        remaining--;
      }
      int size = Math.min(200, remaining);
      if (remaining - size == 1) {
        size--;
      }
      String piece = segment++ % 2 == 0 ? "\u00e9".repeat(size / 2) + "x".repeat(size % 2)
          : "\ud83d\ude00".repeat(size / 4) + "y".repeat(size % 4);
      out.append(piece);
      remaining -= size;
    }
    return out.toString();
  }

  private static int utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  private static List<String> sorted(String... locations) {
    List<String> out = new ArrayList<>(List.of(locations));
    out.sort(Location.UTF8_ORDER);
    return out;
  }

  private static String quoted(List<String> locations) {
    return locations.stream().map(Generators::quote).collect(Collectors.joining(", ", "[", "]"));
  }
}
