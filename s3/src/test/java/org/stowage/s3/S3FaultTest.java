package org.stowage.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.stowage.ExistingExternalResourceException;
import org.stowage.ExternalResourceException;
import org.stowage.Metadata;
import org.stowage.WritePolicy;
import org.stowage.s3.FaultProxy.Direction;
import org.stowage.s3.FaultProxy.Fault;
import org.stowage.s3.FaultProxy.Kind;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Network faults between S3Storage and the server: a {@link FaultProxy} between the client and an
 * s3proxy drops, resets or stalls chosen connections after chosen numbers of bytes. Whatever
 * happens, an operation either succeeds after the SDK's retries, with the right result, or fails
 * with an {@link ExternalResourceException}; a store never leaves a partial object, a temporary
 * object or a multipart upload behind (checked with a client that talks to s3proxy directly), and
 * a load never returns truncated data as good (rules S2, R2, T2).
 *
 * <p>The sweep's schedule comes from a seed, printed with every scenario; replay it with {@code
 * -Dstowage.faults.seed=N}, and run more scenarios with {@code -Dstowage.faults.scenarios=N}.
 */
class S3FaultTest {
  private static final int PART = (int) S3Storage.MIN_PART_SIZE;
  private static final long MULTIPART_SIZE = 12L << 20;
  private static final int SMALL_SIZE = 1 << 20;
  private static final int READ_SIZE = 2 << 20;
  private static final int LISTED = 10;
  private static final long DEFAULT_SEED = 20_250_611L;
  private static final int DEFAULT_SCENARIOS = 33;

  private static S3ProxyServer server;
  private static S3Endpoint endpoint;
  private static FaultProxy proxy;
  private static S3Client raw;

  @BeforeAll
  static void start() throws Exception {
    server = S3ProxyServer.startTransient();
    endpoint = server.endpoint("faults");
    proxy = new FaultProxy(server.port());
    raw = endpoint.client();
  }

  @AfterAll
  static void stop() throws Exception {
    if (raw != null) {
      raw.close();
    }
    if (proxy != null) {
      proxy.close();
    }
    if (server != null) {
      server.close();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Targeted faults

  @Test
  @DisplayName("R2 a verified download cut short (FIN or RST) raises, never returns short data")
  void verifiedDownloadCutShort() throws Exception {
    String prefix = S3Endpoint.freshPrefix();
    try (S3Storage direct = direct(prefix)) {
      byte[] data = TestData.bytes(1, READ_SIZE);
      Metadata md = direct.storeBytes("big", data);
      for (Kind kind : List.of(Kind.DROP, Kind.RESET)) {
        Fault cut = new Fault(kind, Direction.DOWN, READ_SIZE / 2);
        // Every connection is cut half-way through the body: the SDK's retries meet it too.
        proxy.arm(k -> cut);
        try (S3Storage s3 = throughProxy(prefix, Duration.ofSeconds(5))) {
          try (InputStream in = s3.loadStream("big", md)) {
            Exception e = assertThrows(Exception.class, () -> in.readAllBytes(), kind.toString());
            assertTrue(
                e instanceof IOException || e instanceof ExternalResourceException, e.toString());
          }
          assertThrows(ExternalResourceException.class, () -> s3.loadBytes("big", md));
          // Without expected metadata too: a short body is an error, never a short result.
          try (InputStream in = s3.loadStream("big")) {
            assertThrows(IOException.class, () -> in.readAllBytes(), kind.toString());
          }
          ExternalResourceException plain =
              assertThrows(ExternalResourceException.class, () -> s3.loadBytes("big"));
          assertNotNull(plain.getCause(), plain.toString());
          // verify() reads through a cut connection too.
          assertThrows(ExternalResourceException.class, () -> s3.verify("big"));
        }
        assertTrue(proxy.faultsFired() >= 5, "the proxy cut " + proxy.faultsFired() + " bodies");
      }
      proxy.disarm();
      assertArrayEquals(data, direct.loadBytes("big", md));
    }
  }

  @Test
  @DisplayName("S2 an upload in parts whose every attempt is cut fails cleanly: old object intact, no upload or temp object left")
  void multipartFailsCleanly() throws Exception {
    String prefix = S3Endpoint.freshPrefix();
    try (S3Storage direct = direct(prefix)) {
      Metadata old = direct.storeBytes("obj", TestData.bytes(2, SMALL_SIZE));
      // The first part's body is cut at 2 MiB on three connections in a row: all three attempts.
      proxy.arm(k -> k <= 3 ? new Fault(Kind.DROP, Direction.UP, 2 << 20) : null);
      try (S3Storage s3 = throughProxy(prefix, Duration.ofSeconds(5))) {
        ExternalResourceException e =
            assertThrows(
                ExternalResourceException.class,
                () -> s3.storeStream("obj", TestData.stream(3, MULTIPART_SIZE)));
        assertEquals(ExternalResourceException.class, e.getClass(), e.toString());
        assertTrue(e.getMessage().contains("UploadPart"), e.getMessage());
      }
      assertEquals(3, proxy.faultsFired());
      proxy.disarm();
      assertEquals(old, direct.verify("obj"), "the previous object is intact");
      assertClean(prefix, List.of("obj"));
    }
  }

  @Test
  @DisplayName("S2 a lost answer to CreateMultipartUpload (temporary or final key) leaves no orphan upload")
  void lostCreateMultipartUploadAnswer() throws Exception {
    for (int occurrence = 1; occurrence <= 2; occurrence++) {
      String prefix = S3Endpoint.freshPrefix();
      try (S3Storage direct = direct(prefix)) {
        Fault lost = new Fault(Kind.DROP, Direction.DOWN, 0, "?uploads", occurrence);
        proxy.arm(k -> k == 1 ? lost : null);
        Metadata stored;
        try (S3Storage s3 = throughProxy(prefix, Duration.ofSeconds(5))) {
          stored = s3.storeStream("obj", TestData.stream(4, MULTIPART_SIZE));
        }
        assertEquals(1, proxy.faultsFired(), "the answer was lost once");
        proxy.disarm();
        assertEquals(new Metadata(TestData.md5(4, MULTIPART_SIZE), MULTIPART_SIZE), stored);
        assertEquals(stored, direct.verify("obj"));
        assertClean(prefix, List.of("obj"));
      }
    }
  }

  @Test
  @DisplayName("S5 a lost answer to a conditional write (PUT, CompleteMultipartUpload) is recognised as our own write")
  void lostConditionalWriteAnswer() throws Exception {
    String prefix = S3Endpoint.freshPrefix();
    try (S3Storage direct = direct(prefix)) {
      // A single PUT with If-None-Match: the object lands, its answer is lost, the retry gets 412.
      proxy.arm(k -> k == 1 ? new Fault(Kind.RESET, Direction.DOWN, 0, "PUT /", 1) : null);
      try (S3Storage s3 = throughProxy(prefix, Duration.ofSeconds(5))) {
        byte[] data = TestData.bytes(5, SMALL_SIZE);
        assertEquals(
            new Metadata(TestData.md5(data), data.length),
            s3.storeBytes("small", data, WritePolicy.CREATE));
      }
      assertEquals(1, proxy.faultsFired());
      // The final CompleteMultipartUpload: requests with "POST /" are create (temporary), complete
      // (temporary), create (final), complete (final).
      proxy.arm(k -> k == 1 ? new Fault(Kind.DROP, Direction.DOWN, 0, "POST /", 4) : null);
      try (S3Storage s3 = throughProxy(prefix, Duration.ofSeconds(5))) {
        assertEquals(
            new Metadata(TestData.md5(6, MULTIPART_SIZE), MULTIPART_SIZE),
            s3.storeStream("multi", TestData.stream(6, MULTIPART_SIZE), WritePolicy.CREATE));
      }
      assertEquals(1, proxy.faultsFired());
      proxy.disarm();
      assertEquals(TestData.md5(6, MULTIPART_SIZE), direct.verify("multi").md5());
      assertEquals(TestData.md5(TestData.bytes(5, SMALL_SIZE)), direct.verify("small").md5());
      assertClean(prefix, List.of("multi", "small"));
    }
  }

  @Test
  @DisplayName("S2 S5 direct uploads of files (PUT, parts on the final key): cut parts fail cleanly; lost create and complete answers leave no orphan and count as our own")
  void directUploadFaults(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    String prefix = S3Endpoint.freshPrefix();
    byte[] big = TestData.bytes(20, (int) MULTIPART_SIZE);
    java.nio.file.Path bigFile = java.nio.file.Files.write(dir.resolve("big"), big);
    Metadata bigMd = new Metadata(TestData.md5(big), big.length);
    byte[] small = TestData.bytes(21, SMALL_SIZE);
    java.nio.file.Path smallFile = java.nio.file.Files.write(dir.resolve("small"), small);
    Metadata smallMd = new Metadata(TestData.md5(small), small.length);
    try (S3Storage direct = direct(prefix)) {
      // Every attempt of the first part is cut: the store fails, the old object stays, nothing left.
      Metadata old = direct.storeBytes("obj", TestData.bytes(22, SMALL_SIZE));
      proxy.arm(k -> k <= 3 ? new Fault(Kind.DROP, Direction.UP, 2 << 20) : null);
      try (S3Storage s3 = throughProxy(prefix, Duration.ofSeconds(5))) {
        ExternalResourceException e =
            assertThrows(ExternalResourceException.class, () -> s3.storePath("obj", bigFile));
        assertEquals(ExternalResourceException.class, e.getClass(), e.toString());
        assertTrue(e.getMessage().contains("UploadPart"), e.getMessage());
      }
      assertEquals(3, proxy.faultsFired());
      proxy.disarm();
      assertEquals(old, direct.verify("obj"), "the previous object is intact");
      assertClean(prefix, List.of("obj"));

      // The answer to CreateMultipartUpload on the final key is lost once: the SDK's retry makes a
      // second upload, and the first is found and aborted.
      proxy.arm(k -> k == 1 ? new Fault(Kind.DROP, Direction.DOWN, 0, "?uploads", 1) : null);
      try (S3Storage s3 = throughProxy(prefix, Duration.ofSeconds(5))) {
        assertEquals(bigMd, s3.storePath("lost-create", bigFile));
      }
      assertEquals(1, proxy.faultsFired());
      proxy.disarm();
      assertEquals(bigMd, direct.verify("lost-create"));
      assertClean(prefix, List.of("lost-create", "obj"));

      // Lost answers to conditional writes: the PUT lands, its answer is lost, the retry gets 412;
      // the CompleteMultipartUpload (the second "POST /": create, complete) likewise.
      proxy.arm(k -> k == 1 ? new Fault(Kind.RESET, Direction.DOWN, 0, "PUT /", 1) : null);
      try (S3Storage s3 = throughProxy(prefix, Duration.ofSeconds(5))) {
        assertEquals(smallMd, s3.storePath("small", smallFile, WritePolicy.CREATE));
      }
      assertEquals(1, proxy.faultsFired());
      proxy.arm(k -> k == 1 ? new Fault(Kind.DROP, Direction.DOWN, 0, "POST /", 2) : null);
      try (S3Storage s3 = throughProxy(prefix, Duration.ofSeconds(5))) {
        assertEquals(bigMd, s3.storePath("multi", bigFile, WritePolicy.CREATE));
      }
      assertEquals(1, proxy.faultsFired());
      proxy.disarm();
      assertEquals(bigMd, direct.verify("multi"));
      assertEquals(smallMd, direct.verify("small"));
      assertClean(prefix, List.of("lost-create", "multi", "obj", "small"));
    }
  }

  @Test
  @DisplayName("T2 a stalled answer: released, the call succeeds; never released, the call times out, retries and succeeds")
  void stalls() throws Exception {
    String prefix = S3Endpoint.freshPrefix();
    try (S3Storage direct = direct(prefix)) {
      byte[] data = TestData.bytes(7, READ_SIZE);
      Metadata md = direct.storeBytes("obj", data);
      ExecutorService pool = Executors.newSingleThreadExecutor();
      try {
        // Released: the client waits, then gets every byte.
        proxy.arm(k -> k == 1 ? new Fault(Kind.STALL, Direction.DOWN, READ_SIZE / 3) : null);
        try (S3Storage s3 = throughProxy(prefix, Duration.ofSeconds(30))) {
          Future<byte[]> load = pool.submit(() -> s3.loadBytes("obj", md));
          assertEquals(1, proxy.firstStall().get(30, TimeUnit.SECONDS));
          assertFalse(load.isDone(), "the load waits while the answer is held back");
          proxy.releaseStalls();
          assertArrayEquals(data, load.get(30, TimeUnit.SECONDS));
        }
        // Never released, on the request: the socket timeout ends the attempt, the retry works.
        proxy.arm(k -> k == 1 ? new Fault(Kind.STALL, Direction.UP, 100) : null);
        try (S3Storage s3 = throughProxy(prefix, Duration.ofMillis(500))) {
          assertEquals(md, s3.getMetadata("obj"));
        }
        assertEquals(1, proxy.faultsFired());
        // Never released, in the body of a load after the call returned: the read fails.
        proxy.arm(k -> k == 1 ? new Fault(Kind.STALL, Direction.DOWN, READ_SIZE / 2) : null);
        try (S3Storage s3 = throughProxy(prefix, Duration.ofMillis(500));
            InputStream in = s3.loadStream("obj", md)) {
          assertThrows(IOException.class, () -> in.readAllBytes());
        }
      } finally {
        proxy.releaseStalls();
        proxy.disarm();
        pool.shutdownNow();
      }
    }
  }

  @Test
  @DisplayName("R1 R2 R3 I1 answers cut inside their header block, at every offset: an error or the right result, never short data, a short listing or wrong metadata")
  void answersCutInTheirHeaders() throws Exception {
    String prefix = S3Endpoint.freshPrefix();
    try (S3Storage direct = direct(prefix)) {
      byte[] data = TestData.bytes(9, 100_000);
      Metadata md = direct.storeBytes("obj", data);
      List<String> listed = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        direct.storeBytes("list/" + i, new byte[] {(byte) i});
        listed.add("list/" + i);
      }
      List<String> problems = new ArrayList<>();
      // Every 23rd offset by default (the header blocks are 400 to 700 bytes); every one with
      // -Dstowage.faults.headerStep=1.
      int step = Integer.getInteger("stowage.faults.headerStep", 23);
      for (int offset = 0; offset < 800; offset += step) {
        // Every attempt cut at the same offset: no right answer can come; errors only. Then only
        // the first connection: a transient cut, which must not pass for a changed object.
        for (boolean everyConnection : new boolean[] {true, false}) {
          Fault cut = new Fault(Kind.DROP, Direction.DOWN, offset);
          proxy.arm(k -> everyConnection || k == 1 ? cut : null);
          String when = "cut at " + offset + (everyConnection ? " on every connection" : " once");
          // With every connection cut, the SDK's retries cannot help: one attempt each.
          try (S3Storage s3 = throughProxy(prefix, Duration.ofSeconds(5), everyConnection ? 1 : 3)) {
            check(problems, when, "getMetadata", everyConnection,
                () -> assertEquals(md, s3.getMetadata("obj")));
            check(problems, when, "loadStream", false, () -> {
              try (InputStream in = s3.loadStream("obj")) {
                assertArrayEquals(data, in.readAllBytes());
              }
            });
            check(problems, when, "loadBytes", false, () -> assertArrayEquals(data, s3.loadBytes("obj")));
            check(problems, when, "loadBytes(md)", false, () -> assertArrayEquals(data, s3.loadBytes("obj", md)));
            check(problems, when, "verify", everyConnection, () -> assertEquals(md, s3.verify("obj")));
            check(problems, when, "iterContents", false, () -> {
              try (Stream<String> names = s3.iterContents("list/")) {
                assertEquals(listed, names.collect(Collectors.toList()));
              }
            });
          }
        }
      }
      proxy.disarm();
      assertEquals(List.of(), problems, String.join("\n", problems));
    }
  }

  private interface Action {
    void run() throws Exception;
  }

  /**
   * Runs {@code action}: the right result, an IOException or an ExternalResourceException is
   * fine; a wrong result is not, nor a ChangedExternalResourceException unless {@code
   * changedAllowed} (when every answer is cut the same way, a cut answer and a changed object look
   * alike).
   */
  private static void check(
      List<String> problems, String when, String what, boolean changedAllowed, Action action) {
    try {
      action.run();
    } catch (AssertionError e) {
      problems.add(when + ": " + what + " gave a wrong result: " + e.getMessage());
    } catch (org.stowage.ChangedExternalResourceException e) {
      if (!changedAllowed) {
        problems.add(when + ": " + what + " took a cut answer for a changed object: " + e.getMessage());
      }
    } catch (ExternalResourceException | IOException e) {
      // a failure, typed
    } catch (Exception e) {
      problems.add(when + ": " + what + " failed untyped: " + e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The sweep

  enum Op {
    STORE_SMALL,
    STORE_SMALL_CREATE,
    STORE_MULTIPART,
    STORE_MULTIPART_CREATE,
    LOAD,
    LOAD_VERIFIED,
    LOAD_BYTES_VERIFIED,
    VERIFY,
    METADATA,
    LIST,
    DELETE
  }

  @Test
  @DisplayName("S2 R2 T2 sweep: seeded drops, resets and stalls on every kind of operation; success with the right result, or a typed error and a clean bucket")
  void sweep() throws Exception {
    long seed = Long.getLong("stowage.faults.seed", DEFAULT_SEED);
    int scenarios = Integer.getInteger("stowage.faults.scenarios", DEFAULT_SCENARIOS);
    System.out.println("S3FaultTest.sweep: seed " + seed + ", " + scenarios
        + " scenarios; replay with -Dstowage.faults.seed=" + seed);
    String prefix = S3Endpoint.freshPrefix();
    int fired = 0;
    int failed = 0;
    List<String> log = new ArrayList<>();
    ExecutorService pool = Executors.newCachedThreadPool();
    try (S3Storage direct = direct(prefix)) {
      byte[] readData = TestData.bytes(8, READ_SIZE);
      Metadata readMd = direct.storeBytes("reads/obj", readData);
      List<String> listed = new ArrayList<>();
      for (int i = 0; i < LISTED; i++) {
        direct.storeBytes("list/" + i, new byte[] {(byte) i});
        listed.add("list/" + i);
      }
      // How many bytes each operation sends and receives, so that faults land inside them.
      java.util.Map<Op, long[]> traffic = new java.util.EnumMap<>(Op.class);
      for (Op op : Op.values()) {
        Scenario dry = new Scenario(-1 - op.ordinal(), op, null, 1, 0, false);
        run(dry, prefix, direct, readData, readMd, listed, pool);
        traffic.put(op, new long[] {lastTraffic[0], lastTraffic[1]});
      }
      for (int i = 0; i < scenarios; i++) {
        Random rnd = new Random(seed * 1_000_003L + i);
        Op op = Op.values()[i % Op.values().length];
        Scenario s = Scenario.random(i, op, rnd, traffic.get(op));
        String line;
        try {
          Outcome outcome = run(s, prefix, direct, readData, readMd, listed, pool);
          fired += outcome.faults() > 0 ? 1 : 0;
          failed += outcome.failure() == null ? 0 : 1;
          line = s + " => " + outcome;
        } catch (AssertionError | Exception e) {
          throw new AssertionError(
              "seed " + seed + ", " + s + ": " + e + "\nreplay with -Dstowage.faults.seed=" + seed
                  + "\nearlier scenarios:\n" + String.join("\n", log),
              e);
        } finally {
          proxy.releaseStalls();
          proxy.disarm();
        }
        log.add(line);
        System.out.println("  " + line);
      }
    } finally {
      pool.shutdownNow();
    }
    assertTrue(fired >= scenarios / 2, "faults fired in only " + fired + " of " + scenarios + " scenarios");
    assertTrue(failed > 0 && failed < scenarios,
        "the sweep should see both recoveries and failures: " + failed + " of " + scenarios + " failed");
  }

  /**
   * One scenario: an operation, the fault, the connections it hits, and whether a stall is
   * released by the test (otherwise the client's socket timeout ends it).
   */
  record Scenario(int index, Op op, Fault fault, int firstConnection, int connections, boolean release) {
    /**
     * A random fault somewhere in the bytes the operation sends ({@code traffic[0]}) or receives
     * ({@code traffic[1]}) when nothing goes wrong, on the first connection, or on the first
     * three (which exhausts the three attempts of a request that meets it on each).
     */
    static Scenario random(int index, Op op, Random rnd, long[] traffic) {
      Kind kind = Kind.values()[rnd.nextInt(Kind.values().length)];
      Direction direction = rnd.nextBoolean() ? Direction.UP : Direction.DOWN;
      long bytes = traffic[direction == Direction.UP ? 0 : 1];
      long after = (long) (rnd.nextDouble() * bytes);
      boolean release = kind == Kind.STALL && rnd.nextBoolean();
      // A stall that ends by timeout costs the socket timeout per connection: hit one.
      int count = kind == Kind.STALL && !release ? 1 : (rnd.nextBoolean() ? 1 : 3);
      return new Scenario(index, op, new Fault(kind, direction, after), 1, count, release);
    }

    IntFunction<Fault> plan() {
      return k -> k >= firstConnection && k < firstConnection + connections ? fault : null;
    }

    @Override
    public String toString() {
      if (fault == null) {
        return "dry run of " + op;
      }
      return "#" + index + " " + op + ": " + fault + " on connection(s) " + firstConnection
          + (connections > 1 ? ".." + (firstConnection + connections - 1) : "")
          + (fault.kind() == Kind.STALL ? (release ? ", released" : ", until timeout") : "");
    }
  }

  /**
   * What an operation gave: a failure, or nothing (its result was checked); and how many faults
   * the proxy injected on how many connections.
   */
  record Outcome(Throwable failure, int faults, int connections) {
    @Override
    public String toString() {
      return (failure == null ? "ok" : "failed: " + failure.getClass().getSimpleName())
          + " (" + faults + " fault(s), " + connections + " connection(s))";
    }
  }

  /** The bytes sent and received by the last operation {@link #run}. */
  private final long[] lastTraffic = new long[2];

  private Outcome run(
      Scenario s,
      String prefix,
      S3Storage direct,
      byte[] readData,
      Metadata readMd,
      List<String> listed,
      ExecutorService pool)
      throws Exception {
    String loc = "s" + s.index();
    long seed = 1000L + s.index();
    boolean withPrevious = s.index() % 2 == 0;
    boolean create = s.op() == Op.STORE_SMALL_CREATE || s.op() == Op.STORE_MULTIPART_CREATE;
    Metadata previous = null;
    if (withPrevious && s.op().name().startsWith("STORE") || s.op() == Op.DELETE) {
      previous = direct.storeBytes(loc, TestData.bytes(seed + 500_000, 1000));
    }
    Metadata next =
        switch (s.op()) {
          case STORE_SMALL, STORE_SMALL_CREATE -> new Metadata(TestData.md5(seed, SMALL_SIZE), SMALL_SIZE);
          case STORE_MULTIPART, STORE_MULTIPART_CREATE ->
              new Metadata(TestData.md5(seed, MULTIPART_SIZE), MULTIPART_SIZE);
          default -> null;
        };
    proxy.arm(s.plan());
    boolean timesOut = s.fault() != null && s.fault().kind() == Kind.STALL && !s.release();
    Duration socketTimeout = timesOut ? Duration.ofMillis(700) : Duration.ofSeconds(20);
    Throwable failure;
    try (S3Storage s3 = throughProxy(prefix, socketTimeout)) {
      Future<Void> call =
          pool.submit(
              () -> {
                operate(s, s3, loc, seed, readData, readMd, listed);
                return null;
              });
      if (s.release()) {
        CompletableFuture.anyOf(proxy.firstStall(), CompletableFuture.runAsync(() -> awaitQuietly(call), pool))
            .get(60, TimeUnit.SECONDS);
        proxy.releaseStalls();
      }
      try {
        call.get(120, TimeUnit.SECONDS);
        failure = null;
      } catch (ExecutionException e) {
        failure = e.getCause();
      }
    }
    int faults = proxy.faultsFired();
    int connections = proxy.connections();
    lastTraffic[0] = proxy.traffic(Direction.UP);
    lastTraffic[1] = proxy.traffic(Direction.DOWN);
    proxy.releaseStalls();
    proxy.disarm();
    if (failure instanceof AssertionError) {
      throw (AssertionError) failure;
    }
    if (failure != null) {
      boolean typed =
          failure instanceof ExternalResourceException
              || (failure instanceof IOException && streamsAfterCall(s.op()));
      if (!typed) {
        throw new AssertionError("an untyped failure: " + failure, failure);
      }
      if (failure instanceof ExistingExternalResourceException) {
        assertTrue(create && previous != null, "only CREATE over an object may be refused: " + failure);
      }
    }
    // The state, seen directly.
    switch (s.op()) {
      case STORE_SMALL, STORE_SMALL_CREATE, STORE_MULTIPART, STORE_MULTIPART_CREATE -> {
        Metadata now = direct.exists(loc) ? direct.verify(loc) : null;
        if (failure == null) {
          assertEquals(create && previous != null ? previous : next, now, "the store's result is there");
        } else if (now != null) {
          assertTrue(now.equals(previous) || now.equals(next),
              "a failed store leaves the previous object or the complete new one, not " + now);
        } else {
          assertEquals(null, previous, "a failed store does not delete the previous object");
        }
        assertClean(prefix, null);
      }
      case DELETE -> {
        if (failure == null) {
          assertFalse(direct.exists(loc), "a delete that succeeded removed the object");
        } else if (direct.exists(loc)) {
          assertEquals(previous, direct.verify(loc));
        }
      }
      default -> assertEquals(readMd, direct.verify("reads/obj"));
    }
    return new Outcome(failure, faults, connections);
  }

  private static void awaitQuietly(Future<?> f) {
    try {
      f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      // reported by the caller
    }
  }

  /** Whether the operation reads a body after its call returned, where IOExceptions come out. */
  private static boolean streamsAfterCall(Op op) {
    return op == Op.LOAD || op == Op.LOAD_VERIFIED;
  }

  private static void operate(
      Scenario s, S3Storage s3, String loc, long seed, byte[] readData, Metadata readMd, List<String> listed)
      throws IOException {
    switch (s.op()) {
      case STORE_SMALL -> s3.storeBytes(loc, TestData.bytes(seed, SMALL_SIZE));
      case STORE_SMALL_CREATE -> s3.storeBytes(loc, TestData.bytes(seed, SMALL_SIZE), WritePolicy.CREATE);
      case STORE_MULTIPART -> s3.storeStream(loc, TestData.stream(seed, MULTIPART_SIZE));
      case STORE_MULTIPART_CREATE ->
          s3.storeStream(loc, TestData.stream(seed, MULTIPART_SIZE), WritePolicy.CREATE);
      case LOAD -> {
        try (InputStream in = s3.loadStream("reads/obj")) {
          assertEquals(readMd, digest(in), "a plain load that ends without an error gave every byte");
        }
      }
      case LOAD_VERIFIED -> {
        try (InputStream in = s3.loadStream("reads/obj", readMd)) {
          assertEquals(readMd, digest(in));
        }
      }
      case LOAD_BYTES_VERIFIED -> assertArrayEquals(readData, s3.loadBytes("reads/obj", readMd));
      case VERIFY -> assertEquals(readMd, s3.verify("reads/obj"));
      case METADATA -> assertEquals(readMd, s3.getMetadata("reads/obj"));
      case LIST -> {
        try (Stream<String> names = s3.iterContents("list/")) {
          assertEquals(listed.stream().sorted().collect(Collectors.toList()), names.collect(Collectors.toList()),
              "a listing that ends without an error is complete");
        }
      }
      case DELETE -> s3.delete(loc);
    }
  }

  private static Metadata digest(InputStream in) throws IOException {
    MessageDigest md5 = TestData.newMd5();
    byte[] buffer = new byte[64 * 1024];
    long size = 0;
    int n;
    while ((n = in.read(buffer)) >= 0) {
      md5.update(buffer, 0, n);
      size += n;
    }
    return new Metadata(HexFormat.of().formatHex(md5.digest()), size);
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /**
   * No multipart upload in the bucket, no temporary object under {@code prefix}, and, if {@code
   * expected} is given, exactly those locations.
   */
  private static void assertClean(String prefix, List<String> expected) {
    List<MultipartUpload> uploads = raw.listMultipartUploads(r -> r.bucket(endpoint.bucket())).uploads();
    assertEquals(List.of(), uploads.stream().map(u -> u.key() + " " + u.uploadId()).collect(Collectors.toList()),
        "no multipart upload is left in the bucket");
    List<String> keys =
        raw.listObjectsV2Paginator(r -> r.bucket(endpoint.bucket()).prefix(prefix + "/")).contents().stream()
            .map(S3Object::key)
            .map(k -> k.substring(prefix.length() + 1))
            .collect(Collectors.toList());
    for (String k : keys) {
      assertFalse(k.startsWith(S3Storage.TEMP_FOLDER), "a temporary object is left: " + k);
    }
    if (expected != null) {
      assertEquals(expected, keys);
    }
  }

  private static S3Storage direct(String prefix) {
    return endpoint.storage(prefix).partSize(PART).build();
  }

  private static S3Storage throughProxy(String prefix, Duration socketTimeout) {
    return throughProxy(prefix, socketTimeout, 3);
  }

  private static S3Storage throughProxy(String prefix, Duration socketTimeout, int attempts) {
    return S3Storage.builder()
        .serverFeatures(S3Endpoint.TESTED_S3PROXY)
        .bucket(endpoint.bucket())
        .prefix(prefix)
        .region(endpoint.region())
        .endpointOverride(proxy.uri())
        .pathStyleAccess(true)
        .credentialsProvider(
            StaticCredentialsProvider.create(
                AwsBasicCredentials.create(endpoint.accessKey(), endpoint.secretKey())))
        .partSize(PART)
        .uploadConcurrency(1)
        .listPageSize(3)
        .maxAttempts(attempts)
        .connectionTimeout(Duration.ofSeconds(2))
        .socketTimeout(socketTimeout)
        .apiCallAttemptTimeout(Duration.ofSeconds(30))
        .apiCallTimeout(Duration.ofSeconds(90))
        .build();
  }
}
