package org.stowage.testkit;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.function.Executable;
import org.stowage.ExistingExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.ExternalStorage;
import org.stowage.InvalidLocationException;
import org.stowage.Location;
import org.stowage.Metadata;
import org.stowage.WritePolicy;

/**
 * What every group of contract checks shares: the storage under test and its capabilities, the
 * tuning, scratch files, and the assertions and helpers several groups use. Each group ({@link
 * LocationChecks}, {@link StoringChecks}, ...) extends this class, and {@link
 * ExternalStorageContract} makes each group one of its {@code @Nested} classes, so that a backend's
 * test extends one class and runs them all.
 */
abstract class ContractGroup {

  private final ExternalStorageContract contract;

  /** The storage under test, fresh for each test. */
  ExternalStorage storage;
  /** What the backend declared. */
  Capabilities caps;
  /** How hard properties try, and with which seed. */
  Tuning tuning;
  /** Scratch files for the test, deleted after it. */
  Scratch scratch;

  ContractGroup(ExternalStorageContract contract) {
    this.contract = Objects.requireNonNull(contract, "contract");
  }

  /** Runs after the contract's own {@code @BeforeEach}, which made the storage for this test. */
  @BeforeEach
  final void bindContractStorage() {
    storage = contract.storage();
    caps = contract.caps();
    tuning = contract.tuning();
    scratch = contract.scratch();
  }

  /** A second storage from the backend's {@link ExternalStorageContract#newStorage()}. */
  ExternalStorage newStorage() throws Exception {
    return contract.newStorage();
  }

  Metadata store(String location, Content content, Op.Source source, WritePolicy policy) {
    return new Op.Store(location, content, policy, source).store(storage, location, scratch);
  }

  /** The listing of {@code prefix}, read to its end. */
  List<String> list(String prefix) {
    return Op.list(storage, "", prefix);
  }

  List<String> listQuietly(String prefix) {
    try {
      return list(prefix);
    } catch (ExternalResourceException e) {
      return List.of();
    }
  }

  /** Checks that {@code location} holds {@code content}: metadata, streamed bytes, existence. */
  void assertHolds(String location, Content content, String rule) throws IOException {
    assertTrue(storage.exists(location), () -> rule + ": " + Generators.quote(location) + " must exist");
    assertEquals(content.metadata(), storage.getMetadata(location),
        () -> rule + ": the metadata of " + Generators.quote(location));
    try (InputStream in = storage.loadStream(location)) {
      assertSameBytes(content, in, rule + ": the bytes of " + Generators.quote(location));
    }
  }

  /** Compares {@code actual} with {@code expected} chunk by chunk, without holding either whole. */
  static void assertSameBytes(Content expected, InputStream actual, String message)
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
  void assertRejectedEverywhere(String invalid, String what) {
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

  void assertPrefixRejected(String prefix) {
    Supplier<String> message = () -> "L5: iterContents must reject the prefix "
        + Generators.quote(prefix) + " with InvalidLocationException";
    InvalidLocationException e = assertThrows(InvalidLocationException.class,
        () -> storage.iterContents(prefix).close(), message);
    assertEquals("L5", e.rule(), message);
    assertTrue(e.getMessage().contains("L5"), message);
    Supplier<String> withContent = () -> "L5: iterObjects must reject the prefix "
        + Generators.quote(prefix) + " with InvalidLocationException";
    InvalidLocationException listed = assertThrows(InvalidLocationException.class,
        () -> storage.iterObjects(prefix, "", 0).close(), withContent);
    assertEquals("L5", listed.rule(), withContent);
  }

  /** One API call, applied to a location, with a source stream it may read. */
  record Call(String name, CallBody body) {}

  @FunctionalInterface
  interface CallBody {
    void call(ExternalStorage storage, String location, InputStream source) throws Exception;
  }

  /** Counts reads, to check that a rejected store does not read its source. */
  static final class CountingStream extends java.io.FilterInputStream {
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
  void createRaces(ExternalStorage[] instances, int writers, int rounds) throws Exception {
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

  void assumeCapability(boolean present, String capability, String why) {
    assumeTrue(present, () -> "needs capability " + capability + ": " + why
        + "; declare it in capabilities() if the backend has it");
  }

  /**
   * Skips the test unless the kit can damage a stored object behind the backend's back: with the
   * declared {@link Capabilities#corrupter()}, or else, for a backend with {@link
   * Capabilities#localFileUris()}, by flipping a byte of the file its {@code uri} names.
   */
  void assumeCorrupter() {
    assumeCapability(corrupter().isPresent(), "corrupter (or localFileUris, through which the kit"
            + " damages the file uri() names)",
        "the test damages a stored object behind the backend's back; with a corrupter the kit also"
            + " checks that verified loads (R2), getMetadata (R3), verify (R4) and verified copies"
            + " and moves (M1, M2) catch bytes changed behind the backend's back");
  }

  /** The declared corrupter, or one through the backend's {@code file:} URIs, if it has them. */
  Optional<Corrupter> corrupter() {
    if (caps.corrupter().isPresent() || !caps.localFileUris()) {
      return caps.corrupter();
    }
    return Optional.of(ContractGroup::flipByteOfUriFile);
  }

  void corrupt(String location) throws Exception {
    corrupter().orElseThrow().corrupt(storage, location);
  }

  /**
   * Flips the middle byte of the file that {@code storage.uri(location)} names, keeping its size
   * and its modification time: damage a backend can only find by reading the bytes.
   */
  static void flipByteOfUriFile(ExternalStorage storage, String location) throws IOException {
    Path file = Path.of(storage.uri(location));
    FileTime modified = Files.getLastModifiedTime(file);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      long at = channel.size() / 2;
      ByteBuffer one = ByteBuffer.allocate(1);
      if (channel.read(one, at) != 1) {
        throw new IOException("cannot damage the empty file " + file);
      }
      one.put(0, (byte) (one.get(0) ^ 0x5a)).rewind();
      channel.write(one, at);
    }
    Files.setLastModifiedTime(file, modified);
  }

  /** The sizes that fit in {@link Capabilities#maxObjectSize()}, each cut to it. */
  int[] sizes(int... wanted) {
    return Arrays.stream(wanted).map(s -> (int) Math.min(s, caps.maxObjectSize())).distinct()
        .toArray();
  }

  static void assertCauseIsTheSourcesError(ExternalResourceException e) {
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof IOException && String.valueOf(t.getMessage()).contains("on purpose")) {
        return;
      }
    }
    fail("T2: the error of a store whose source failed must keep the source's IOException as"
        + " its cause", e);
  }

  static void assertNames(ExternalResourceException e, String backend, String location) {
    assertAll(
        () -> assertTrue(e.getMessage().contains(backend),
            "T2: the message must name the backend (" + backend + "): " + e.getMessage()),
        () -> assertTrue(e.getMessage().contains(location),
            "T2: the message must name the location (" + location + "): " + e.getMessage()),
        () -> assertEquals(Optional.of(location), e.location(),
            "T2: location() must give the location"));
  }

  static void assertNotSecret(ThrowingSupplier<byte[]> load, byte[] secret, String message) {
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
  interface ThrowingSupplier<T> {
    T get() throws Exception;
  }

  /** Runs a call whose outcome does not matter, only its effect. */
  static void attempt(Executable call) {
    try {
      call.execute();
    } catch (Throwable e) {
      if (e instanceof Error error && !(e instanceof AssertionError)) {
        throw error;
      }
    }
  }

  static boolean createLink(Path link, Path target) {
    try {
      Files.createSymbolicLink(link, target);
      return true;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Collections.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  static byte[] readAllOf(InputStream in) throws IOException {
    try (in) {
      return in.readAllBytes();
    }
  }

  static void drain(InputStream in) throws IOException {
    byte[] buffer = new byte[8192];
    while (in.read(buffer) >= 0) {
      // read to the end
    }
  }

  static <T> T getOrRethrow(Future<T> f) throws Exception {
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
  static String exactLocation(int bytes) {
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

  static int utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  static List<String> sorted(String... locations) {
    List<String> out = new ArrayList<>(List.of(locations));
    out.sort(Location.UTF8_ORDER);
    return out;
  }

  static String quoted(List<String> locations) {
    return locations.stream().map(Generators::quote).collect(Collectors.joining(", ", "[", "]"));
  }
}
