package org.stowage.testkit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.stowage.ExistingExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.Metadata;
import org.stowage.WritePolicy;

/** Rules S1 to S5: what a store returns, atomicity, files, streams, write policies. */
abstract class StoringChecks extends ContractGroup {

  StoringChecks(ExternalStorageContract contract) {
    super(contract);
  }

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
    Gen<RoundTrip> examples = Generators.validLocations(caps.maxLocationBytes()).zip(
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

  /** A generated round trip: where, what, and how it is handed over. */
  record RoundTrip(String location, Content content, Op.Source source) {
    @Override
    public String toString() {
      return content + " " + source + " at " + Generators.quote(location);
    }
  }

  /** A generated policy case: the policy, the source kind, what is present, what is stored. */
  record PolicyCase(WritePolicy policy, Op.Source source, Content present, Content content) {}

  @Test
  @DisplayName("S6 changing the array passed to storeBytes, after the call, changes nothing stored")
  void storedArrayIsCopied() throws IOException {
    int[] sizes = sizes(1, 5000, 300_000);
    for (WritePolicy policy : WritePolicy.values()) {
      for (int size : sizes) {
        String location = "s6/" + policy + "/" + size;
        Content content = new Content(size, size + policy.ordinal());
        byte[] given = content.bytes();
        Metadata md = storage.storeBytes(location, given, policy);
        Arrays.fill(given, (byte) 0x5a);
        assertEquals(content.metadata(), md, "S6: storeBytes returns the metadata of the bytes given");
        assertDoesNotThrow(() -> assertHolds(location, content,
                "S6: after the caller changed the array it passed to storeBytes " + policy),
            "S6: the store must not use the caller's array after storeBytes returned");
        assertEquals(content.metadata(), assertDoesNotThrow(() -> storage.verify(location),
                "S6: verify after the caller changed the array it stored"),
            "S6: verify after the caller changed the array it stored");
      }
    }
  }
}
